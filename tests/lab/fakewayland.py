#!/usr/bin/env python3
"""A Wayland "compositor" that is not wlroots-based, for the desktop lab
test (issue 13 point 1): it listens on a Unix socket, answers
wl_display.get_registry with a few core globals (wl_compositor, wl_shm,
wl_data_device_manager; none of zwlr_screencopy_manager_v1,
zwlr_virtual_pointer_manager_v1, zwp_virtual_keyboard_manager_v1) and
wl_display.sync with wl_callback.done; every other request is ignored.
Enough for a client to learn what the compositor offers, as wayvnc does
at start.  Runs at most LIFETIME seconds (default 120).

    fakewayland.py SOCKET [LIFETIME]
"""
import os
import select
import socket
import struct
import sys
import time

# No wl_seat nor wl_output: a client that binds them waits for their
# events, which this fake does not send (wayvnc 0.5 crashes on a nameless
# seat); the protocols that tell wlroots apart are missing either way.
GLOBALS = [("wl_compositor", 4), ("wl_shm", 1), ("wl_data_device_manager", 3)]


def msg(obj, opcode, payload):
    return struct.pack("=II", obj, (8 + len(payload)) << 16 | opcode) + payload


def string(s):
    b = s.encode() + b"\0"
    return struct.pack("=I", len(b)) + b + b"\0" * (-len(b) % 4)


def answer(buf):
    """The replies to the complete requests in buf, and what is left."""
    out = b""
    while len(buf) >= 8:
        obj, word = struct.unpack("=II", buf[:8])
        size, opcode = word >> 16, word & 0xFFFF
        if size < 8 or size % 4:
            raise ValueError("bad request size %d" % size)
        if len(buf) < size:
            break
        args, buf = buf[8:size], buf[size:]
        if obj == 1 and opcode == 1:  # get_registry(new_id)
            reg = struct.unpack("=I", args[:4])[0]
            for i, (name, ver) in enumerate(GLOBALS):
                out += msg(reg, 0, struct.pack("=I", i + 1) + string(name) +
                           struct.pack("=I", ver))
        elif obj == 1 and opcode == 0:  # sync(new_id callback)
            cb = struct.unpack("=I", args[:4])[0]
            out += msg(cb, 0, struct.pack("=I", 1))  # wl_callback.done
            out += msg(1, 1, struct.pack("=I", cb))  # wl_display.delete_id
    return out, buf


def main():
    path = sys.argv[1]
    deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2
                                   else 120)
    if os.path.exists(path):
        os.unlink(path)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(8)
    clients = {}
    while time.monotonic() < deadline:
        r, _, _ = select.select([ls] + list(clients), [], [], 0.5)
        for s in r:
            if s is ls:
                c, _ = ls.accept()
                clients[c] = b""
                continue
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                del clients[s]
                s.close()
                continue
            try:
                out, clients[s] = answer(clients[s] + data)
                if out:
                    s.sendall(out)
            except (ValueError, OSError):
                del clients[s]
                s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
