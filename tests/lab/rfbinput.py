#!/usr/bin/env python3
"""A tiny RFB (VNC) client for the desktop lab test (issue 13): connects
to HOST:PORT (security type None), then sends what a Helper's viewer would:
a pointer move to X,Y, a click there, and a key press and release of
KEYSYM.  Used to check that these reach the User's window only while the
Helper has control.  Exits 0 once everything was sent (whether the server
took it or not is for the User's side to tell), 1 on a protocol error.

    rfbinput.py HOST PORT X Y KEYSYM
    rfbinput.py HOST PORT X Y KEYSYM --stay

With --stay it keeps the one connection and sends the same again for each
line read on stdin (printing "sent N" each time), until EOF: a viewer that
stays connected across a grant or a revoke.
"""
import socket
import struct
import sys
import time


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("server closed")
        buf += chunk
    return buf


def main():
    host, port, x, y, keysym = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5], 0)
    s = socket.create_connection((host, port), timeout=10)
    version = recv_exact(s, 12)
    if not version.startswith(b"RFB "):
        print("not RFB:", version, file=sys.stderr)
        return 1
    s.sendall(b"RFB 003.008\n")
    n = recv_exact(s, 1)[0]
    if n == 0:
        print("refused by the server", file=sys.stderr)
        return 1
    types = recv_exact(s, n)
    if 1 not in types:
        print("no security type None:", list(types), file=sys.stderr)
        return 1
    s.sendall(b"\x01")
    if struct.unpack(">I", recv_exact(s, 4))[0] != 0:
        print("security handshake failed", file=sys.stderr)
        return 1
    s.sendall(b"\x01")  # ClientInit: shared
    w, h = struct.unpack(">HH", recv_exact(s, 4))
    recv_exact(s, 16)  # pixel format
    name_len = struct.unpack(">I", recv_exact(s, 4))[0]
    recv_exact(s, name_len)
    def send_input():
        for mask in (0, 1, 0):  # move, press button 1, release
            s.sendall(struct.pack(">BBHH", 5, mask, x, y))
            time.sleep(0.05)
        for down in (1, 0):
            s.sendall(struct.pack(">BBHI", 4, down, 0, keysym))
            time.sleep(0.05)

    if len(sys.argv) > 6 and sys.argv[6] == "--stay":
        s.settimeout(None)
        n = 0
        for _ in sys.stdin:
            send_input()
            n += 1
            print(f"sent {n}", flush=True)
        time.sleep(0.5)
        s.close()
        return 0
    send_input()
    time.sleep(0.5)  # the server acts before it sees the close
    s.close()
    print(f"sent pointer {x},{y} click and keysym {keysym:#x} to a {w}x{h} screen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
