#!/usr/bin/env python3
"""Wireshark agrees with our codec.

teredo-pcap builds a set of Teredo packets with lib/ and writes them as a
pcap plus a table of the field values Wireshark must show for each frame.
This test runs tshark over the pcap and checks, frame by frame:

  * the frame decodes down to a teredo layer;
  * tshark flags no malformed packet and no expert info of severity
    warning or error (notes and chats are fine);
  * every checksum tshark validates (IPv4, UDP, ICMPv6) is good;
  * every field of the table has the expected value, and fields expected
    absent are absent.

Output is TAP.  Usage: wireshark_test.py TEREDO_PCAP; the TSHARK
environment variable overrides the tshark found in PATH.
"""

import os
import shutil
import subprocess
import sys
import tempfile

TEREDO_PORT = "3544"

# epan/proto.h: PI_COMMENT 0x00100000, PI_CHAT 0x00200000,
# PI_NOTE 0x00400000, PI_WARN 0x00600000, PI_ERROR 0x00800000.
PI_WARN = 0x00600000

# tshark's checksum.status: 0 bad, 1 good, 2 unverified, 3 not present.
CHECKSUM_GOOD = "1"

# Fields read for the generic checks, beyond those of the table.
EXTRA_FIELDS = [
    "frame.protocols",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.message",
]


class Tap:
    """Just enough TAP: numbered results, diagnostics, a trailing plan."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def ok(self, passed, description, diagnostics=()):
        self.count += 1
        if not passed:
            self.failed += 1
        print(f"{'ok' if passed else 'not ok'} {self.count} - {description}")
        if not passed:
            for line in diagnostics:
                print(f"# {line}")
        return passed

    def bail_out(self, reason):
        print(f"Bail out! {reason}")
        print(f"wireshark test: {reason}", file=sys.stderr)
        sys.exit(1)

    def finish(self):
        print(f"1..{self.count}")
        sys.exit(1 if self.failed else 0)


def find_tshark(tap):
    tshark = os.environ.get("TSHARK")
    if tshark is not None:
        if not os.access(tshark, os.X_OK):
            tap.bail_out(f"TSHARK={tshark} is not an executable")
        return tshark
    tshark = shutil.which("tshark")
    if tshark is None:
        tap.bail_out(
            "tshark not found in PATH: install it (Debian: apt-get install "
            "tshark) or set TSHARK=/path/to/tshark")
    return tshark


def read_expectations(path):
    """Returns (tshark field names, [(name, {field: value})])."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = lines[0].split("\t")
    fields = header[1:]
    frames = []
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) != len(header):
            raise ValueError(f"{path}: {len(cells)} cells, want {len(header)}")
        frames.append((cells[0], dict(zip(fields, cells[1:]))))
    return fields, frames


def decode_as_ports(frames):
    """
    Ports to hand to the Teredo dissector by hand.  tshark decodes Teredo on
    UDP 3544 only, so direct client-to-client traffic needs a decode-as.
    The teredo heuristic is no substitute: it insists that the IPv6 packet
    end exactly where the UDP payload does, so it rejects every packet
    carrying RFC 6081 trailers.
    """
    ports = set()
    for _, want in frames:
        pair = (want["udp.srcport"], want["udp.dstport"])
        if TEREDO_PORT not in pair:
            ports.update(pair)
    return sorted(ports, key=int)


def run_tshark(tap, tshark, pcap, fields, ports, home):
    cmd = [tshark, "-n", "-r", pcap,
           "-o", "ip.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
           "-E", "quote=n", "-E", "header=n"]
    for port in ports:
        cmd += ["-d", f"udp.port=={port},teredo"]
    for field in fields + EXTRA_FIELDS:
        cmd += ["-e", field]
    # A private, empty configuration: the user's preferences (a disabled
    # protocol, another decode-as) must not change the result.
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=home,
               WIRESHARK_CONFIG_DIR=home)
    result = subprocess.run(cmd, capture_output=True, text=True, env=env,
                            check=False)
    if result.returncode != 0:
        tap.bail_out(f"tshark exited with {result.returncode}: "
                     f"{result.stderr.strip()}")
    rows = []
    names = fields + EXTRA_FIELDS
    for line in result.stdout.splitlines():
        cells = line.split("\t")
        cells += [""] * (len(names) - len(cells))
        rows.append(dict(zip(names, cells)))
    return rows


def check_frame(tap, name, want, got):
    label = f"frame {want['frame.number']} {name}"

    layers = got["frame.protocols"].split(":")
    tap.ok("teredo" in layers, f"{label}: decodes as Teredo",
           [f"protocols: {got['frame.protocols']}"])

    tap.ok(got["_ws.malformed"] == "", f"{label}: not malformed",
           [f"expert: {got['_ws.expert.message']}"])

    severities = [int(v) for v in got["_ws.expert.severity"].split(",") if v]
    messages = got["_ws.expert.message"].split(",")
    serious = [f"{sev:#x} {msg}" for sev, msg in zip(severities, messages)
               if sev >= PI_WARN]
    tap.ok(not serious, f"{label}: no expert warning or error", serious)

    bad = [f"{field} = {value}" for field, value in got.items()
           if field.endswith(".checksum.status") and value != ""
           and value != CHECKSUM_GOOD]
    tap.ok(not bad, f"{label}: checksums good", bad)

    diffs = [f"{field}: want {want[field]!r}, tshark shows {got[field]!r}"
             for field in want if got[field] != want[field]]
    tap.ok(not diffs, f"{label}: {len(want)} fields as expected", diffs)


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} TEREDO_PCAP", file=sys.stderr)
        return 2
    teredo_pcap = sys.argv[1]
    tap = Tap()
    tshark = find_tshark(tap)

    with tempfile.TemporaryDirectory(prefix="shipworm-ws-") as tmp:
        pcap = os.path.join(tmp, "teredo.pcap")
        expect = os.path.join(tmp, "expect.tsv")
        result = subprocess.run(
            [teredo_pcap, "--quiet", "--pcap", pcap, "--expect", expect],
            capture_output=True, text=True, check=False)
        if not tap.ok(result.returncode == 0, "teredo-pcap writes the pcap",
                      result.stderr.splitlines()):
            tap.finish()

        fields, frames = read_expectations(expect)
        rows = run_tshark(tap, tshark, pcap, fields, decode_as_ports(frames),
                          tmp)

    if not tap.ok(len(rows) == len(frames),
                  f"tshark reads {len(frames)} frames",
                  [f"tshark printed {len(rows)} lines"]):
        tap.finish()
    for (name, want), got in zip(frames, rows):
        check_frame(tap, name, want, got)
    tap.finish()


if __name__ == "__main__":
    sys.exit(main())
