#!/usr/bin/env python3
"""A bad router for natcheck's tests (issue 12 point 6): a UPnP IGD (SSDP +
HTTP description + SOAP), NAT-PMP and PCP on one LAN address, answering in
one of these ways:

  honest    the given WAN address (a router behind another NAT: double NAT)
  zero      external address 0.0.0.0
  loopback  external address 127.0.0.1
  private   external address 192.168.1.1
  garbage   NAT-PMP and PCP answer junk bytes; the IGD's external address
            is not an address at all
  slow      nothing within 8 s (NAT-PMP, PCP and the IGD's description)

  fakeigd.py LANIP MODE WAN SECONDS

Runs only inside a lab namespace; every wait is bounded by SECONDS.
"""

import http.server
import select
import socket
import struct
import sys
import threading
import time

SSDP = ("239.255.255.250", 1900)
HTTP_PORT = 5001
SLOW = 8.0


def external(mode, wan):
    return {"honest": wan, "zero": "0.0.0.0", "loopback": "127.0.0.1",
            "private": "192.168.1.1", "garbage": "not-an-address<&>",
            "slow": wan}[mode]


DESC = """<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>fake IGD</friendlyName><UDN>uuid:fake-igd-1</UDN>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
<UDN>uuid:fake-wan-1</UDN>
<serviceList><service>
<serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>
<controlURL>/cif</controlURL><eventSubURL>/evt</eventSubURL><SCPDURL>/cif.xml</SCPDURL>
</service></serviceList>
<deviceList><device>
<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
<UDN>uuid:fake-conn-1</UDN>
<serviceList><service>
<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
<serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<controlURL>/ctl</controlURL><eventSubURL>/evt</eventSubURL><SCPDURL>/ip.xml</SCPDURL>
</service></serviceList>
</device></deviceList>
</device></deviceList>
</device></root>
"""

SOAP = """<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
 s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>
<u:{action}Response xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1">
{body}</u:{action}Response></s:Body></s:Envelope>
"""


def make_handler(mode, wan):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            print("http: " + fmt % args, flush=True)

        def reply(self, text, ctype="text/xml"):
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if mode == "slow":
                time.sleep(SLOW)
            self.reply(DESC)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            self.rfile.read(min(n, 65536))
            action = self.headers.get("SOAPAction", "").strip('"').split("#")[-1]
            if action == "GetStatusInfo":
                body = ("<NewConnectionStatus>Connected</NewConnectionStatus>"
                        "<NewLastConnectionError>ERROR_NONE</NewLastConnectionError>"
                        "<NewUptime>100</NewUptime>")
            elif action == "GetExternalIPAddress":
                body = ("<NewExternalIPAddress>%s</NewExternalIPAddress>"
                        % external(mode, wan).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            else:
                body = ""
            self.reply(SOAP.format(action=action, body=body))

    return Handler


def natpmp_answer(mode, wan, req):
    if mode == "garbage":
        return b"\x00\x80\xde\xad\xbe"
    ip = socket.inet_aton(external(mode, wan))
    if req[:1] == b"\x00":
        return struct.pack("!BBHI", 0, 128, 0, int(time.monotonic())) + ip
    return None


def pcp_answer(mode, req):
    if mode == "garbage":
        return b"\x02\x80" + b"\xff" * 7
    if len(req) >= 24 and req[1] == 0:  # ANNOUNCE
        return bytes([2, 0x80, 0, 0]) + struct.pack("!II", 0, int(time.monotonic())) + bytes(12)
    return None


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    lan, mode, wan, seconds = argv[0], argv[1], argv[2], float(argv[3])
    httpd = http.server.ThreadingHTTPServer((lan, HTTP_PORT), make_handler(mode, wan))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    pmp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pmp.bind((lan, 5351))
    ssdp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ssdp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ssdp.bind(("", 1900))
    ssdp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(SSDP[0]) + socket.inet_aton(lan))
    print("ready", flush=True)
    pending = []  # (when, sock, data, dest) for the slow mode
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        r, _, _ = select.select([pmp, ssdp], [], [], 0.2)
        now = time.monotonic()
        for item in [p for p in pending if p[0] <= now]:
            pending.remove(item)
            item[1].sendto(item[2], item[3])
        for s in r:
            data, src = s.recvfrom(4096)
            if s is ssdp:
                if not data.startswith(b"M-SEARCH"):
                    continue
                st = b"urn:schemas-upnp-org:device:InternetGatewayDevice:1"
                ans = (b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: " + st +
                       b"\r\nUSN: uuid:fake-igd-1::" + st + b"\r\nEXT:\r\nSERVER: fake/1 UPnP/1.1\r\n"
                       b"LOCATION: http://%s:%d/desc.xml\r\n\r\n" % (lan.encode(), HTTP_PORT))
                ssdp.sendto(ans, src)
                print("ssdp from %s:%d" % src, flush=True)
                continue
            ans = None
            if data[:1] == b"\x00":
                ans = natpmp_answer(mode, wan, data)
            elif data[:1] == b"\x02":
                ans = pcp_answer(mode, data)
            print("5351 from %s:%d: %d bytes" % (src[0], src[1], len(data)), flush=True)
            if ans is None:
                continue
            if mode == "slow":
                pending.append((now + SLOW, pmp, ans, src))
            else:
                pmp.sendto(ans, src)
    httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
