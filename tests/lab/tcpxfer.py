#!/usr/bin/env python3
"""TCP transfer over the lab's Teredo addresses, bounded in time.

  tcpxfer.py serve PORT            accept one connection, read to EOF,
                                   print "<bytes> <sha256>"
  tcpxfer.py send ADDR PORT BYTES  send BYTES deterministic bytes, print
                                   "<bytes> <sha256>"

Both sides give up after 30 s; the test compares the two lines.
"""
import hashlib
import socket
import sys

TIMEOUT = 30


def serve(port):
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(TIMEOUT)
        s.bind(("::", port))
        s.listen(1)
        conn, _ = s.accept()
        conn.settimeout(TIMEOUT)
        digest, total = hashlib.sha256(), 0
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                break
            digest.update(chunk)
            total += len(chunk)
        conn.close()
    print(total, digest.hexdigest(), flush=True)


def send(addr, port, count):
    block = hashlib.sha256(b"shipworm").digest() * 2048  # 64 KiB
    digest, sent = hashlib.sha256(), 0
    with socket.create_connection((addr, port), timeout=TIMEOUT) as s:
        while sent < count:
            piece = block[: min(len(block), count - sent)]
            s.sendall(piece)
            digest.update(piece)
            sent += len(piece)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # wait for the peer's close
    print(sent, digest.hexdigest(), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
