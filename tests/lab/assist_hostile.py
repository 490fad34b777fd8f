#!/usr/bin/env python3
"""A hostile Helper for t-assist-hostile (issue 10 point 9).  Each mode
runs the real OpenSSH client (or a raw socket) the way a misbehaving
Helper would; every loop is bounded in count and time.

  term SSHARGS... : `ssh -tt` whose output is never read (the pipe fills,
      ssh stops taking the channel's data: window 0 on the User's side)
      while it types: "echo before >FILE.before" once, then a flood of
      harmless ": fill" lines until FLAG exists, then "touch FILE.after"
      lines for 3 s.  Env: HOSTILE_FILE, HOSTILE_FLAG, HOSTILE_SECONDS.
  attack SSHARGS... : like term, but types ATTACK (one line) after the
      first line, then waits for FLAG and types "touch FILE.after" lines.
  sftp-flood N SSHARGS... : an SFTP client that sends INIT, OPEN of
      HOSTILE_PATH and N pipelined READs of 32 KiB, and never reads an
      answer.
  stall-kex HOST PORT N SECONDS : N connections that send an SSH version
      line and then nothing.
"""
import os
import socket
import struct
import subprocess
import sys
import time


def ssh(args, **kw):
    return subprocess.Popen(["ssh"] + args, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            **kw)


def typing(p, line):
    try:
        p.stdin.write(line.encode() + b"\r")
        p.stdin.flush()
        return True
    except (BrokenPipeError, OSError):
        return False


def term(args, attack=None):
    f, flag = os.environ["HOSTILE_FILE"], os.environ["HOSTILE_FLAG"]
    limit = time.time() + float(os.environ.get("HOSTILE_SECONDS", "90"))
    p = ssh(args)
    os.set_blocking(p.stdin.fileno(), False)  # a full pipe drops, never waits
    # Never read p.stdout: what the User's side sends piles up.
    while not os.path.exists(f + ".go") and time.time() < limit:
        time.sleep(0.05)
    typing(p, "echo before >%s.before" % f)
    if attack:
        time.sleep(0.5)
        typing(p, attack)
    while not os.path.exists(flag) and time.time() < limit:
        if attack is None:
            typing(p, ": fill fill fill fill fill fill fill fill")
            time.sleep(0.002)
        else:
            time.sleep(0.05)
    end = time.time() + 3
    i = 0
    while time.time() < end:
        typing(p, "touch %s.after%d" % (f, i))
        i += 1
        time.sleep(0.05)
    while time.time() < limit and p.poll() is None:
        time.sleep(0.2)
    p.kill()


def sftp_packet(kind, body):
    return struct.pack(">IB", len(body) + 1, kind) + body


def sftp_string(b):
    return struct.pack(">I", len(b)) + b


def sftp_flood(n, args):
    path = os.environ["HOSTILE_PATH"].encode()
    limit = time.time() + float(os.environ.get("HOSTILE_SECONDS", "90"))
    p = ssh(args)
    os.set_blocking(p.stdin.fileno(), False)
    out = sftp_packet(1, struct.pack(">I", 3))  # INIT, version 3
    # OPEN id=1 path READ; the handle of the first OPEN on a fresh
    # sftp-server is "\0\0\0\0" (its handle index 0, as a 4-byte string).
    out += sftp_packet(3, struct.pack(">I", 1) + sftp_string(path) +
                       struct.pack(">II", 1, 0))
    handle = sftp_string(b"\0\0\0\0")
    for i in range(n):
        out += sftp_packet(5, struct.pack(">I", 2 + i) + handle +
                           struct.pack(">QI", (i * 32768) % (1 << 23), 32768))
    sent = 0
    while sent < len(out) and time.time() < limit:
        try:
            sent += os.write(p.stdin.fileno(), out[sent:sent + 65536])
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            break
    print("sftp-flood: %d of %d request bytes sent" % (sent, len(out)),
          flush=True)
    while time.time() < limit and p.poll() is None:
        time.sleep(0.2)
    p.kill()


def stall_kex(host, port, n, seconds):
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"SSH-2.0-OpenSSH_9.2p1 stall\r\n")
        socks.append(s)
    time.sleep(seconds)


def main():
    mode = sys.argv[1]
    if mode == "term":
        term(sys.argv[2:])
    elif mode == "attack":
        term(sys.argv[3:], attack=sys.argv[2])
    elif mode == "sftp-flood":
        sftp_flood(int(sys.argv[2]), sys.argv[3:])
    elif mode == "stall-kex":
        stall_kex(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                  float(sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
