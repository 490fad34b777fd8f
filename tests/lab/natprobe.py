#!/usr/bin/env python3
"""NAT behaviour probe for the Teredo lab (RFC 4787 / RFC 5780 style).

responder IP1 IP2 P1 P2
    Runs on a host with two addresses.  Listens on all four IP x port
    endpoints.  A request is a JSON object {"id": N, "from": WHAT}; the answer
    {"id": N, "seen": "ip:port", "local": "ip:port"} reports the request's
    observed source and is sent from the endpoint WHAT names: "same" (the one
    that got the request), "ip" (other address, same port), "port" (same
    address, other port) or "both".

probe IP1 IP2 P1 P2
    Runs behind the NAT under test and prints one JSON line:
      mapping   EIM | ADM | APDM (RFC 4787 §4.1), or null
      filtering EIF | ADF | APDF (RFC 4787 §5), or null
      port_preserved  the first mapping kept the local port (RFC 4787 §4.2.1)
      port_step the difference between the ports of consecutive new
                mappings when it is the same every time (sequential), or null
      addresses how many external addresses the mappings used
      hairpin   a datagram from a second socket to the first one's mapping
                came back in (RFC 4787 §6), and hairpin_src its source
      kind      none | fullcone | restricted | portrestricted | symmetric |
                ppsymmetric | sequential | addrsymmetric | blocked
                (teredo-spec.md §5.0 vocabulary; RFC 6081 §2)
    Mapping: one socket sends to IP1:P1, IP2:P1, IP1:P2 and IP2:P2 and
    compares the mapped endpoints the responder saw; an APDM NAT whose first
    mapping kept the local port is port-preserving symmetric, one whose
    ports step by one from mapping to mapping is sequential; an ADM NAT that
    used another external address for IP2 is address-symmetric.  Filtering:
    a fresh socket (so that no earlier destination opened anything) asks
    IP1:P1 to answer from IP2 (EIF passes); another fresh socket asks it to
    answer from P2 on IP1 (EIF and ADF pass).  Hairpinning: two more fresh
    sockets learn their mappings; the second sends to the first's.  No answer
    at all to the first request: UDP blocked.

mapped IP PORT
    One fresh socket, one request to IP:PORT: prints the mapping the
    responder saw ("ip:port"), or nothing.  Run from several hosts in turn,
    it shows how a NAT allocates ports across hosts (sequential NATs).

    hairpinning: whether a datagram to the mapped address comes back
    (null without a NAT).

routers GW LOCAL
    NAT-PMP, PCP ANNOUNCE and SSDP to the gateway: what it offers.

send HOST PORT COUNT / listen PORT SECONDS
    Unsolicited-traffic helpers: "listen" prints how many datagrams arrived.

Every wait is bounded: a request is tried TRIES times, WAIT seconds each.
"""

import json
import select
import socket
import sys
import time

TRIES = 3
WAIT = 0.7


def ask(sock, dest, what, rid):
    """Sends a request; returns the answer dict or None after TRIES tries."""
    msg = json.dumps({"id": rid, "from": what}).encode()
    for _ in range(TRIES):
        sock.sendto(msg, dest)
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], left)
            if not r:
                break
            data, src = sock.recvfrom(2048)
            try:
                ans = json.loads(data)
            except ValueError:
                continue
            if isinstance(ans, dict) and ans.get("id") == rid:
                ans["src"] = "%s:%d" % src
                return ans
    return None


def fresh_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    return s


def local_ip_toward(ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((ip, 9))
        return s.getsockname()[0]
    finally:
        s.close()


def probe(ip1, ip2, p1, p2):
    res = {"mapping": None, "filtering": None, "kind": None}
    rid = int(time.monotonic() * 1000) % 1000000
    s = fresh_socket()
    local = "%s:%d" % (local_ip_toward(ip1), s.getsockname()[1])
    res["local"] = local
    a1 = ask(s, (ip1, p1), "same", rid + 1)
    if a1 is None:
        res["kind"] = "blocked"
        return res
    a2 = ask(s, (ip2, p1), "same", rid + 2)
    a3 = ask(s, (ip1, p2), "same", rid + 3)
    a4 = ask(s, (ip2, p2), "same", rid + 6)
    res["seen"] = [a["seen"] if a else None for a in (a1, a2, a3, a4)]
    if a2 is None or a3 is None or a4 is None:
        res["kind"] = "unknown"
        return res
    m1, m2, m3, m4 = a1["seen"], a2["seen"], a3["seen"], a4["seen"]
    if m1 == m2 == m3 == m4:
        res["mapping"] = "EIM"
    elif m1 == m3 and m2 == m4:
        res["mapping"] = "ADM"
    else:
        res["mapping"] = "APDM"
    res["port_preserved"] = m1.split(":")[1] == local.split(":")[1]
    res["addresses"] = len({m.split(":")[0] for m in (m1, m2, m3, m4)})
    ports = [int(m.split(":")[1]) for m in (m1, m2, m3, m4)]
    steps = {(b - a) % 65536 for a, b in zip(ports, ports[1:])}
    res["port_step"] = steps.pop() if len(steps) == 1 and 0 not in steps \
        else None
    res["nat"] = m1 != local
    res["hairpinning"] = hairpin_self(s, m1) if res["nat"] else None
    s.close()
    res["hairpin"], res["hairpin_src"], res["hairpin_src_mapped"] = \
        hairpin(ip1, p1, rid + 7)

    s = fresh_socket()
    other_ip = ask(s, (ip1, p1), "ip", rid + 4)
    s.close()
    s = fresh_socket()
    other_port = ask(s, (ip1, p1), "port", rid + 5)
    s.close()
    if other_ip is not None:
        res["filtering"] = "EIF"
    elif other_port is not None:
        res["filtering"] = "ADF"
    else:
        res["filtering"] = "APDF"

    if res["mapping"] == "ADM" and res["addresses"] > 1:
        res["kind"] = "addrsymmetric"
    elif res["mapping"] != "EIM" and res["port_preserved"]:
        res["kind"] = "ppsymmetric"
    elif res["mapping"] != "EIM" and res["port_step"] == 1:
        res["kind"] = "sequential"
    elif res["mapping"] != "EIM":
        res["kind"] = "symmetric"
    elif not res["nat"]:
        res["kind"] = "none" if res["filtering"] == "EIF" else "firewall"
    else:
        res["kind"] = {
            "EIF": "fullcone",
            "ADF": "restricted",
            "APDF": "portrestricted",
        }[res["filtering"]]
    return res


def hairpin_self(sock, mapped):
    """RFC 4787 REQ-9: does a datagram to our own mapped address come back
    to us?  A few tries, to our own mapping only."""
    ip, port = mapped.split(":")
    token = b"hairpin %d" % int(time.monotonic() * 1000)
    for _ in range(TRIES):
        sock.sendto(token, (ip, int(port)))
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], left)
            if not r:
                break
            data, _ = sock.recvfrom(2048)
            if data == token:
                return True
    return False


def routers(gw, local):
    """The lab's own port-mapping probe: NAT-PMP external address
    (RFC 6886), PCP ANNOUNCE (RFC 6887) and an SSDP search for an IGD,
    all to the gateway.  Prints one JSON line."""
    res = {"natpmp": False, "natpmp_external": None, "pcp": False,
           "upnp": False}
    s = fresh_socket()
    lip = bytes(int(x) for x in local.split("."))
    pcp = bytes([2, 0, 0, 0]) + bytes(4) + bytes(10) + b"\xff\xff" + lip
    for _ in range(TRIES):
        if res["natpmp"] and res["pcp"]:
            break
        s.sendto(b"\0\0", (gw, 5351))
        s.sendto(pcp, (gw, 5351))
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            data, src = s.recvfrom(2048)
            if src != (gw, 5351) or len(data) < 4:
                continue
            if data[0] == 0 and data[1] == 128 and len(data) >= 12:
                if data[2:4] == b"\0\0":
                    res["natpmp"] = True
                    res["natpmp_external"] = ".".join(str(b) for b in data[8:12])
            elif data[0] == 2 and data[1] == 0x80 and data[3] == 0:
                res["pcp"] = True
    s.close()
    s = fresh_socket()
    search = (b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
              b"MAN: \"ssdp:discover\"\r\nMX: 1\r\n"
              b"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n")
    for _ in range(TRIES):
        s.sendto(search, ("239.255.255.250", 1900))
        r, _, _ = select.select([s], [], [], WAIT)
        if r:
            data, _ = s.recvfrom(4096)
            if b"InternetGatewayDevice" in data:
                res["upnp"] = True
                break
    s.close()
    return res
def hairpin(ip1, p1, rid):
    """Two fresh sockets learn their mappings from IP1:P1; the second sends
    to the first's mapping.  Returns (arrived, the source seen, whether that
    source is the second socket's mapping: RFC 4787 REQ-9)."""
    s1, s2 = fresh_socket(), fresh_socket()
    try:
        a1 = ask(s1, (ip1, p1), "same", rid)
        a2 = ask(s2, (ip1, p1), "same", rid + 1)
        if a1 is None or a2 is None:
            return None, None, None
        host, port = a1["seen"].split(":")
        token = b"hairpin %d" % rid
        for _ in range(TRIES):
            try:
                s2.sendto(token, (host, int(port)))
            except OSError:
                pass
            deadline = time.monotonic() + WAIT
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                r, _, _ = select.select([s1], [], [], left)
                if not r:
                    break
                try:
                    data, src = s1.recvfrom(2048)
                except OSError:
                    continue
                if data == token:
                    src = "%s:%d" % src
                    return True, src, src == a2["seen"]
        return False, None, None
    finally:
        s1.close()
        s2.close()


def responder(ip1, ip2, p1, p2, seconds):
    socks = {}
    for ip in (ip1, ip2):
        for port in (p1, p2):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((ip, port))
            socks[(ip, port)] = s
    other = {ip1: ip2, ip2: ip1, p1: p2, p2: p1}
    print("responder ready", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r, _, _ = select.select(list(socks.values()), [], [], 1.0)
        for s in r:
            data, src = s.recvfrom(2048)
            try:
                req = json.loads(data)
                what = req.get("from", "same")
                rid = req["id"]
            except (ValueError, KeyError, AttributeError):
                continue
            lip, lport = s.getsockname()
            if what in ("ip", "both"):
                lip = other[lip]
            if what in ("port", "both"):
                lport = other[lport]
            out = socks[(lip, lport)]
            ans = {"id": rid, "seen": "%s:%d" % src,
                   "local": "%s:%d" % (lip, lport)}
            out.sendto(json.dumps(ans).encode(), src)
            print("req %s from %s:%d answered from %s:%d"
                  % (what, src[0], src[1], lip, lport), flush=True)


def listen(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    print("listening", flush=True)
    n = 0
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([s], [], [], left)
        if r:
            s.recvfrom(2048)
            n += 1
    print(n)


def send(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(count):
        s.sendto(b"unsolicited %d" % i, (host, port))
        time.sleep(0.05)


def main(argv):
    if len(argv) >= 5 and argv[0] == "probe":
        print(json.dumps(probe(argv[1], argv[2], int(argv[3]), int(argv[4]))))
        return 0
    if len(argv) == 3 and argv[0] == "routers":
        print(json.dumps(routers(argv[1], argv[2])))
        return 0
    if len(argv) >= 5 and argv[0] == "responder":
        secs = float(argv[5]) if len(argv) > 5 else 600.0
        responder(argv[1], argv[2], int(argv[3]), int(argv[4]), secs)
        return 0
    if len(argv) == 3 and argv[0] == "mapped":
        s = fresh_socket()
        a = ask(s, (argv[1], int(argv[2])), "same",
                int(time.monotonic() * 1000) % 1000000)
        s.close()
        print(a["seen"] if a else "")
        return 0 if a else 1
    if len(argv) == 3 and argv[0] == "listen":
        listen(int(argv[1]), float(argv[2]))
        return 0
    if len(argv) == 4 and argv[0] == "send":
        send(argv[1], int(argv[2]), int(argv[3]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
