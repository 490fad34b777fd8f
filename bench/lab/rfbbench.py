#!/usr/bin/env python3
"""A measuring RFB client for bench/lab/desktop (issue 13 point 5).

    rfbbench.py fps HOST PORT SECONDS
        incremental updates as fast as the server gives them (one request
        outstanding, as viewers do); prints frames, bytes, frames/s and
        bytes/frame (ZRLE, the encoding gvncviewer and TigerVNC prefer)
    rfbbench.py latency HOST PORT COUNT
        on a static screen: a key press (and release), then the time until
        the first update that touches the top-left square the User's app
        flips on each key; prints each and the median / 90th percentile
Security type None only (the session's x11vnc; the direct one likewise).
"""
import socket
import statistics
import struct
import sys
import time


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("server closed")
        buf += chunk
    return bytes(buf)


def connect(host, port):
    s = socket.create_connection((host, port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    recv_exact(s, 12)
    s.sendall(b"RFB 003.008\n")
    n = recv_exact(s, 1)[0]
    if 1 not in recv_exact(s, n):
        raise SystemExit("no security type None")
    s.sendall(b"\x01")
    if struct.unpack(">I", recv_exact(s, 4))[0] != 0:
        raise SystemExit("security failed")
    s.sendall(b"\x01")
    w, h = struct.unpack(">HH", recv_exact(s, 4))
    recv_exact(s, 16)
    recv_exact(s, struct.unpack(">I", recv_exact(s, 4))[0])
    # 32 bpp true colour, then ZRLE, CopyRect, Raw.
    s.sendall(struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1,
                          255, 255, 255, 16, 8, 0))
    encs = [16, 1, 0]
    s.sendall(struct.pack(">BxH", 2, len(encs)) +
              b"".join(struct.pack(">i", e) for e in encs))
    return s, w, h


def request(s, w, h, incremental):
    s.sendall(struct.pack(">BBHHHH", 3, incremental, 0, 0, w, h))


def read_message(s):
    """One server message; returns (bytes read, rects or None)."""
    t = recv_exact(s, 1)[0]
    if t == 0:
        n = struct.unpack(">xH", recv_exact(s, 3))[0]
        total, rects = 4, []
        for _ in range(n):
            x, y, rw, rh, enc = struct.unpack(">HHHHi", recv_exact(s, 12))
            total += 12
            if enc == 16:
                ln = struct.unpack(">I", recv_exact(s, 4))[0]
                recv_exact(s, ln)
                total += 4 + ln
            elif enc == 1:
                recv_exact(s, 4)
                total += 4
            elif enc == 0:
                recv_exact(s, rw * rh * 4)
                total += rw * rh * 4
            else:
                raise SystemExit(f"unexpected encoding {enc}")
            rects.append((x, y, rw, rh))
        return total, rects
    if t == 2:  # bell
        return 1, None
    if t == 3:  # cut text
        ln = struct.unpack(">xxxI", recv_exact(s, 7))[0]
        recv_exact(s, ln)
        return 8 + ln, None
    if t == 1:  # colour map
        _, n = struct.unpack(">xHH", recv_exact(s, 5))
        recv_exact(s, n * 6)
        return 6 + n * 6, None
    raise SystemExit(f"unexpected message {t}")


def fps(host, port, secs):
    s, w, h = connect(host, port)
    request(s, w, h, 0)
    read_message(s)  # the full first frame
    frames = total = 0
    t0 = time.monotonic()
    request(s, w, h, 1)
    while time.monotonic() - t0 < secs:
        n, rects = read_message(s)
        if rects is None:
            continue
        request(s, w, h, 1)
        if rects:
            frames += 1
            total += n
    dt = time.monotonic() - t0
    print(f"fps {frames / dt:.1f} frames {frames} bytes {total} "
          f"bytes_per_frame {total / max(frames, 1):.0f} seconds {dt:.1f} "
          f"screen {w}x{h}")


def latency(host, port, count):
    s, w, h = connect(host, port)
    request(s, w, h, 0)
    read_message(s)
    lat = []
    keysym = 0x61
    for _ in range(count):
        time.sleep(0.25)  # the screen settles
        request(s, w, h, 1)
        t0 = time.monotonic()
        s.sendall(struct.pack(">BBHI", 4, 1, 0, keysym) +
                  struct.pack(">BBHI", 4, 0, 0, keysym))
        while True:
            n, rects = read_message(s)
            if rects is None:
                continue
            if any(x < 160 and y < 160 for x, y, _, _ in rects):
                lat.append((time.monotonic() - t0) * 1000)
                break
            request(s, w, h, 1)
            if time.monotonic() - t0 > 5:
                raise SystemExit("no change after the key: is input on?")
    lat.sort()
    print("latency_ms " + " ".join(f"{v:.1f}" for v in lat))
    print(f"latency median {statistics.median(lat):.1f} ms p90 "
          f"{lat[int(len(lat) * 0.9) - 1]:.1f} ms n {len(lat)}")


if __name__ == "__main__":
    mode, host, port, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        float(sys.argv[4])
    if mode == "fps":
        fps(host, port, arg)
    else:
        latency(host, port, int(arg))
