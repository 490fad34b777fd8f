#!/usr/bin/env python3
"""Tables from a bench/lab/run results directory (Markdown, on stdout).

    bench/lab/report.py bench/lab/results/<stamp>

Reads the raw files the run keeps: iperf3 -J output per transport and test,
ping output, the daemons' CPU ticks, rsload's JSON per server and rate.
"""
import json
import os
import re
import sys

TRANSPORTS = ("shipworm", "miredo", "plain")
# (file prefix, table title, the far host snapped, its daemon's label)
PATHS = (
    ("", "fc (behind the NAT) -> pub (public)", "pub", "receiver (pub)"),
    ("relay-", "fc (behind the NAT) -> relay rly -> n6 (native IPv6)",
     "rly", "relay (rly)"),
)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(v, digits=1):
    if v is None:
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}"


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def reps(res, prefix=""):
    """The repetition numbers present in the results directory."""
    found = set()
    for f in os.listdir(res):
        m = re.fullmatch(re.escape(prefix) + r"[a-z]+-tcp-(\d+)\.json", f)
        if m:
            found.add(int(m.group(1)))
    return sorted(found)


def iperf(res, tr, name):
    j = load(os.path.join(res, f"{tr}-{name}.json"))
    if not j or "end" not in j or "error" in j:
        return {}
    end = j["end"]
    rx = end.get("sum_received") or {}
    tx = end.get("sum_sent") or end.get("sum") or {}
    secs = rx.get("seconds") or 0
    out = {}
    if secs:
        out["mbps"] = rx["bytes"] * 8 / secs / 1e6
        out["bytes"] = rx["bytes"]
    if "packets" in rx and secs:
        got = rx["packets"] - rx.get("lost_packets", 0)
        out["kpps"] = got / secs / 1e3
        out["loss"] = rx.get("lost_percent")
    if "retransmits" in tx and tx.get("seconds"):
        out["retr"] = tx["retransmits"] / tx["seconds"]
    if "packets" in tx and tx.get("seconds"):
        out["sent_kpps"] = tx["packets"] / tx["seconds"] / 1e3
    return out


def rtt(res, tr, rep):
    try:
        with open(os.path.join(res, f"{tr}-ping-{rep}.txt")) as f:
            text = f.read()
    except OSError:
        return None, None
    m = re.search(r"= [\d.]+/([\d.]+)/([\d.]+)/[\d.]+ ms", text)
    lost = re.search(r"(\d+) received", text)
    return (float(m.group(1)) if m else None,
            int(lost.group(1)) if lost else None)


def cpu(res, tr, name, hz, rx_bytes):
    c = load(os.path.join(res, f"{tr}-{name}-cpu.json"))
    if not c or tr.endswith("plain"):
        return {}
    wall = c["wall_s"]
    fc = c["fc_ticks"] / hz
    pub = c["pub_ticks"] / hz
    out = {"fc": 100 * fc / wall, "pub": 100 * pub / wall,
           "total": 100 * (fc + pub) / wall,
           "sys": 100 * c["sys_busy"] / c["sys_total"] if c["sys_total"]
           else None}
    if rx_bytes:
        out["us_per_mb"] = (fc + pub) * 1e6 / (rx_bytes / 1e6)
    return out


def snap_delta(res, prefix, host):
    """Counter differences of HOST around one run: (nstat, links)."""
    a = load(os.path.join(res, f"{prefix}-snap-{host}-0.json"))
    b = load(os.path.join(res, f"{prefix}-snap-{host}-1.json"))
    if not a or not b:
        return None
    ka, kb = a["nstat"].get("kernel", {}), b["nstat"].get("kernel", {})
    nstat = {k: kb[k] - ka.get(k, 0) for k in kb}
    links = {}
    la = {x["ifname"]: x.get("stats64", {}) for x in a["links"]}
    for x in b["links"]:
        old = la.get(x["ifname"])
        new = x.get("stats64", {})
        if old is None:
            continue
        links[x["ifname"]] = {
            f"{d}_{k}": new[d][k] - old[d][k]
            for d in ("rx", "tx") for k in ("packets", "dropped")
            if d in new and d in old}
    return nstat, links


def link_drops(links, skip=()):
    return sum(v.get("rx_dropped", 0) + v.get("tx_dropped", 0)
               for k, v in links.items() if k not in skip)


def losses(res, rep, prefix="", far="pub"):
    print(f"### Where packets were dropped (counter differences, "
          f"repetition {rep})")
    print()
    print("| run | UDP: iperf3 sent; TCP: retransmits | "
          "fc: teredo TX dropped (TUN queue) | "
          f"fc: UDP send buffer errors | fc: other link drops | "
          f"{far}: UDP/IPv4 receive buffer errors | "
          f"{far}: UDP/IPv6 receive buffer errors | {far}: link drops | "
          "iperf3 received |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for tr in (prefix + t for t in TRANSPORTS):
        for name in ("tcp", "udp64", "udp1232"):
            j = load(os.path.join(res, f"{tr}-{name}-{rep}.json"))
            fc = snap_delta(res, f"{tr}-{name}-{rep}", "fc")
            pub = snap_delta(res, f"{tr}-{name}-{rep}", far)
            if not j or "end" not in j or not fc or not pub:
                continue
            tx = j["end"].get("sum_sent", {})
            rx = j["end"].get("sum_received", {})
            if name == "tcp":
                sent = tx.get("retransmits", 0)
                got = "–"
            else:
                sent = tx.get("packets", 0)
                got = f"{rx.get('packets', 0) - rx.get('lost_packets', 0):,}"
            fn, fl = fc
            pn, pl = pub
            tun = fl.get("teredo", {}).get("tx_dropped")
            print(f"| {tr} {name} | {sent:,} | "
                  f"{'–' if tun is None else f'{tun:,}'} | "
                  f"{fn.get('UdpSndbufErrors', 0) + fn.get('Udp6SndbufErrors', 0):,} | "
                  f"{link_drops(fl, ('teredo',)):,} | "
                  f"{pn.get('UdpRcvbufErrors', 0):,} | "
                  f"{pn.get('Udp6RcvbufErrors', 0):,} | "
                  f"{link_drops(pl):,} | {got} |")
    print()
    if far == "pub":
        print("For Teredo, pub's UDP/IPv4 socket is the daemon's and the "
              "UDP/IPv6 one iperf3's; for plain, the IPv4 one is iperf3's.  "
              "Over Teredo, TCP retransmits = the TUN drops on fc + the "
              "receiving daemon's socket overflows on pub.")
    else:
        print(f"For Teredo, {far}'s UDP/IPv4 socket is the relay's; "
              f"plain only forwards through {far} (iperf3 runs on n6, "
              "not snapped).")
    print()


def throughput(res, hz, prefix, title, far, far_label):
    # r[transport] = one dict per repetition
    r = {}
    for tr in TRANSPORTS:
        r[tr] = []
        for rep in reps(res, prefix):
            d = {n: iperf(res, prefix + tr, f"{n}-{rep}")
                 for n in ("tcp", "udp64", "udp1232")}
            d["rtt"], d["ping_rx"] = rtt(res, prefix + tr, rep)
            d["cpu"] = cpu(res, prefix + tr, f"tcp-{rep}", hz,
                           d["tcp"].get("bytes"))
            d["cpu1232"] = cpu(res, prefix + tr, f"udp1232-{rep}", hz,
                               d["udp1232"].get("bytes"))
            r[tr].append(d)

    rows = [
        ("TCP, Mbit/s", lambda d: d["tcp"].get("mbps")),
        ("TCP, retransmits per s", lambda d: d["tcp"].get("retr")),
        ("UDP 64 B, Mbit/s received", lambda d: d["udp64"].get("mbps")),
        ("UDP 64 B, kpkt/s received", lambda d: d["udp64"].get("kpps")),
        ("UDP 64 B, kpkt/s sent", lambda d: d["udp64"].get("sent_kpps")),
        ("UDP 64 B, loss %", lambda d: d["udp64"].get("loss")),
        ("UDP 1232 B, Mbit/s received", lambda d: d["udp1232"].get("mbps")),
        ("UDP 1232 B, kpkt/s received", lambda d: d["udp1232"].get("kpps")),
        ("UDP 1232 B, kpkt/s sent", lambda d: d["udp1232"].get("sent_kpps")),
        ("UDP 1232 B, loss %", lambda d: d["udp1232"].get("loss")),
        ("RTT avg, ms (ping 20 x 50 ms)", lambda d: d["rtt"]),
        ("daemon CPU in TCP, % core: sender (fc)",
         lambda d: d["cpu"].get("fc")),
        (f"daemon CPU in TCP, % core: {far_label}",
         lambda d: d["cpu"].get("pub")),
        ("daemon CPU in TCP, % core: both",
         lambda d: d["cpu"].get("total")),
        ("daemon CPU in TCP, µs per MB received",
         lambda d: d["cpu"].get("us_per_mb")),
        ("machine busy in TCP, % of all cores",
         lambda d: d["cpu"].get("sys")),
        ("daemon CPU in UDP 1232 B, % core: both",
         lambda d: d["cpu1232"].get("total")),
        ("daemon CPU in UDP 1232 B, µs per MB received",
         lambda d: d["cpu1232"].get("us_per_mb")),
    ]
    print(f"### Throughput, {title}")
    print()
    print("| figure | Shipworm | Miredo | plain | Shipworm/Miredo "
          "| Shipworm/plain |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, get in rows:
        s, m, p = (median(get(d) for d in r[t]) for t in TRANSPORTS)
        digits = 3 if label.startswith("RTT") else 1
        print(f"| {label} | {fmt(s, digits)} | {fmt(m, digits)} | "
              f"{fmt(p, digits)} | {ratio(s, m)} | {ratio(s, p)} |")
        if label.startswith("RTT"):
            # The round trip the tunnel adds over plain IPv4.
            sa, ma = (None if x is None or p is None else x - p
                      for x in (s, m))
            print(f"| RTT added over plain, ms | {fmt(sa, 3)} | "
                  f"{fmt(ma, 3)} | – | {ratio(sa, ma)} | – |")
    print()
    n = len(reps(res, prefix))
    print(f"Medians of {n} repetitions (the transports interleaved).  "
          "Plain has no daemon: its CPU rows are empty.  "
          "Received = iperf3's receiver side (-J sum_received).")
    print()
    print("Every repetition (spread):")
    print()
    print("| figure | Shipworm | Miredo | plain |")
    print("|---|---|---|---|")
    for label, get in rows:
        if not label.startswith(("TCP", "UDP 64 B, kpkt/s rec",
                                 "UDP 1232 B, Mbit", "RTT",
                                 "daemon CPU in TCP, µs")):
            continue
        digits = 3 if label.startswith("RTT") else 1
        cells = [" / ".join(fmt(get(d), digits) for d in r[t])
                 for t in TRANSPORTS]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    losses(res, reps(res, prefix)[0], prefix, far)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_DIR")
    res = sys.argv[1]
    meta = load(os.path.join(res, "meta.json")) or {}
    hz = meta.get("clk_tck", 100)
    try:
        with open(os.path.join(res, "busy_before.txt")) as f:
            busy = f.read().strip()
    except OSError:
        busy = "?"
    print(f"Lab benchmark {meta.get('stamp', '?')}: {meta.get('nproc', '?')}"
          f" x {meta.get('cpu', '?')}, Linux {meta.get('kernel', '?')}, "
          f"{meta.get('iperf3', 'iperf3 ?').split(' (')[0]}, Miredo "
          f"{meta.get('miredo', '?')}, Shipworm {meta.get('shipworm', '?')};"
          f" sender behind a {meta.get('nat', '?')} NAT, receiver public; "
          f"load average at start {meta.get('loadavg_start', '?')}, "
          f"machine {busy}% busy in the second before.")
    print()

    for prefix, title, far, far_label in PATHS:
        if reps(res, prefix):
            throughput(res, hz, prefix, title, far, far_label)

    rates = []
    for f in sorted(os.listdir(res)):
        m = re.fullmatch(r"rs-(shipworm|miredo)-(\d+)\.json", f)
        if m and int(m.group(2)) not in rates:
            rates.append(int(m.group(2)))
    rates.sort(key=lambda x: (x == 0, x))
    if not rates:
        return
    print("### Server: Router Solicitations answered "
          "(rsload, many source ports)")
    print()
    print("| offered RS/s | sent RS/s | RA/s Shipworm | RA/s Miredo | "
          "ratio | CPU % Shipworm | CPU % Miredo | µs CPU/RA Shipworm | "
          "µs CPU/RA Miredo | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        v = {}
        sent = []
        for tr in ("shipworm", "miredo"):
            j = load(os.path.join(res, f"rs-{tr}-{rate}.json")) or {}
            if "ra_per_s" not in j:
                v[tr] = (None, None, None)
                continue
            sent.append(j["sent_per_s"])
            secs = j["server_ticks"] / hz
            pct = 100 * secs / j["server_wall_s"]
            per = secs * 1e6 / j["ra_matched"] if j["ra_matched"] else None
            v[tr] = (j["ra_per_s"], pct, per)
        s, m = v["shipworm"], v["miredo"]
        sent_s = " / ".join(fmt(x) for x in sent) if sent else "–"
        print(f"| {'max' if rate == 0 else f'{rate:,}'} | {sent_s} | "
              f"{fmt(s[0])} | {fmt(m[0])} | {ratio(s[0], m[0])} | "
              f"{fmt(s[1])} | {fmt(m[1])} | {fmt(s[2], 2)} | "
              f"{fmt(m[2], 2)} | {ratio(s[2], m[2])} |")
    print()
    print("sent RS/s: what rsload achieved (Shipworm run / Miredo run).  "
          "RA/s counts only RAs whose nonce answers one of our RSs.  "
          "CPU: the server process(es), utime+stime over the run, "
          "softirq work outside it.")
    print()
    print("| offered RS/s | server | RS sent | server UDP in | "
          "server receive buffer errors | core link drops | "
          "RA received at ld | ld receive buffer errors | "
          "machine busy % |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        for tr in ("shipworm", "miredo") + FLOOR + XDP_FLOOR:
            j = load(os.path.join(res, f"rs-{tr}-{rate}.json")) or {}
            srv = snap_delta(res, f"rs-{tr}-{rate}", "srv")
            ld = snap_delta(res, f"rs-{tr}-{rate}", "ld")
            core = snap_delta(res, f"rs-{tr}-{rate}", "core")
            if "sent" not in j or not srv or not ld or not core:
                continue
            busy = (100 * j["sys_busy"] / j["sys_total"]
                    if j.get("sys_total") else None)
            print(f"| {'max' if rate == 0 else f'{rate:,}'} | {tr} | "
                  f"{j['sent']:,} | {srv[0].get('UdpInDatagrams', 0):,} | "
                  f"{srv[0].get('UdpRcvbufErrors', 0):,} | "
                  f"{link_drops(core[1]):,} | "
                  f"{ld[0].get('UdpInDatagrams', 0):,} | "
                  f"{ld[0].get('UdpRcvbufErrors', 0):,} | {fmt(busy)} |")
    print()
    print("Counter differences around each run: where RSs and RAs were lost.")
    floor(res, hz, rates)
    xdp_floor(res, hz, rates)


# nullsrv (bench/lab/nullsrv.c, BENCH_RS_FLOOR=1): teredo-serverd's loop
# and miredo-server's, answering without parsing.
FLOOR = ("nullbatch", "nullblock")
# nullxdp (bench/lab/nullxdp.c): the same answer over an AF_XDP socket.
XDP_FLOOR = ("nullxdp",)


def rs_figures(res, tr, rate, hz):
    """(RA/s, CPU % of a core, µs CPU per answered RS) of one RS run."""
    j = load(os.path.join(res, f"rs-{tr}-{rate}.json")) or {}
    if "ra_per_s" not in j:
        return None, None, None
    secs = j["server_ticks"] / hz
    per = secs * 1e6 / j["ra_matched"] if j["ra_matched"] else None
    return j["ra_per_s"], 100 * secs / j["server_wall_s"], per


def floor(res, hz, rates):
    if not any(os.path.exists(os.path.join(res, f"rs-{tr}-{rate}.json"))
               for tr in FLOOR for rate in rates):
        return
    print()
    print("### Server floor: a do-nothing UDP server (nullsrv) under the "
          "same load")
    print()
    print("| offered RS/s | RA/s null batch | RA/s null block | "
          "CPU % null batch | CPU % null block | µs CPU/RA Shipworm | "
          "µs CPU/RA Miredo | µs CPU/RA null batch | "
          "µs CPU/RA null block | Miredo / 5 | null batch/Miredo | "
          "null block/Miredo | Shipworm/Miredo |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
          "---:|")
    for rate in rates:
        s, m, b, k = (rs_figures(res, tr, rate, hz)
                      for tr in ("shipworm", "miredo") + FLOOR)
        fifth = None if m[2] is None else m[2] / 5
        print(f"| {'max' if rate == 0 else f'{rate:,}'} | {fmt(b[0])} | "
              f"{fmt(k[0])} | {fmt(b[1])} | {fmt(k[1])} | {fmt(s[2], 2)} | "
              f"{fmt(m[2], 2)} | {fmt(b[2], 2)} | {fmt(k[2], 2)} | "
              f"{fmt(fifth, 2)} | {ratio(b[2], m[2])} | "
              f"{ratio(k[2], m[2])} | {ratio(s[2], m[2])} |")
    print()
    print("null batch: nullsrv -m batch, teredo-serverd's loop (epoll, 1 ms "
          "nap, recvmmsg/sendmmsg of 64); null block: nullsrv -m block, "
          "miredo-server's (recvmsg + sendmsg per RS).  Both send a fixed "
          "109-byte RA-sized reply with the RS's nonce, no parsing: the CPU "
          "per RA of the kernel path alone.  A ratio to Miredo above 0.2 "
          "means 1/5 of miredo-server's CPU per RA is below what a "
          "socket server can reach here.")


def xdp_mode(res):
    """nullxdp's XDP mode, from the first line of its log."""
    try:
        with open(os.path.join(res, "nullxdp.log")) as f:
            m = re.search(r"nullxdp: (\w+) XDP, copy mode", f.read())
    except OSError:
        return "?"
    return m.group(1) if m else "?"


def xdp_floor(res, hz, rates):
    if not any(os.path.exists(os.path.join(res, f"rs-{tr}-{rate}.json"))
               for tr in XDP_FLOOR for rate in rates):
        return
    print()
    print("### Server floor over AF_XDP: nullxdp under the same load")
    print()
    print("| offered RS/s | RA/s nullxdp | CPU % nullxdp | "
          "µs CPU/RA Miredo | µs CPU/RA null batch | µs CPU/RA nullxdp | "
          "Miredo / 5 | nullxdp/Miredo | nullxdp/null batch |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        m, b, x = (rs_figures(res, tr, rate, hz)
                   for tr in ("miredo", "nullbatch", "nullxdp"))
        fifth = None if m[2] is None else m[2] / 5
        print(f"| {'max' if rate == 0 else f'{rate:,}'} | {fmt(x[0])} | "
              f"{fmt(x[1])} | {fmt(m[2], 2)} | {fmt(b[2], 2)} | "
              f"{fmt(x[2], 2)} | {fmt(fifth, 2)} | {ratio(x[2], m[2])} | "
              f"{ratio(x[2], b[2])} |")
    print()
    print(f"nullxdp: bench/lab/nullxdp.c on its own host (xsrv), {xdp_mode(res)}"
          " XDP, AF_XDP copy mode (veth has no zero-copy); its XDP program "
          "redirects UDP to its address and port 3544, the rest goes to the "
          "kernel.  nullsrv -m batch's loop (poll, 1 ms nap, batches of 64) "
          "and reply, the frame built in user space, sent with a sendto() "
          "kick.  Its \"server UDP in\" above is 0: the datagrams never "
          "reach the UDP layer.  A ratio to Miredo above 0.2 means 1/5 of "
          "miredo-server's CPU per RA is below what an AF_XDP server can "
          "reach here too.")


if __name__ == "__main__":
    main()
