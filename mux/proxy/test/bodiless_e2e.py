#!/usr/bin/env python3
"""End to end: DATA an h2c backend sends after a bodiless response never reaches an HTTP/1.1
client (issue #16).

A 204, a 304 and the response to a HEAD have no content (RFC 9110 §6.4.1, §15.3.5, §15.4.5); an
HTTP/2 response that carries DATA anyway is malformed (RFC 9113 §8.1.1). Over HTTP/1.1 the client
reads the bodiless head as a complete message, so any of those bytes forwarded would be parsed as
the start of the next response: response splitting. A hand-written h2c backend answers each
connection's first request with the bodiless head followed by DATA holding a whole HTTP/1.1
response, and the second request normally. The client pipelines a second request on the same
connection: it must get the bodiless head, then either the real second response or a closed
connection, and never a byte of the smuggled one.

Usage: bodiless_e2e.py CROSSMUX
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from h2_wire import PREFACE, frame, free_port, wait_port

crossmux = sys.argv[1]
work = tempfile.mkdtemp()
SMUGGLED = b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Smuggled: yes\r\n\r\nSMUGGLED"
# HPACK static table (RFC 7541 Appendix A): 0x88 :status 200, 0x89 :status 204, 0x8b 304.
CASES = [("204", "GET", 0x89), ("304", "GET", 0x8B), ("HEAD 200", "HEAD", 0x88)]


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def serve(c, status):
    """One backend connection: the first request gets `status` plus DATA, the next a 200."""
    c.sendall(frame(4, 0, 0))
    buf, requests = b"", 0
    while True:
        try:
            data = c.recv(65536)
        except OSError:
            return
        if not data:
            return
        buf += data
        if buf.startswith(PREFACE):
            buf = buf[len(PREFACE):]
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            length, ftype, flags = int.from_bytes(buf[:3], "big"), buf[3], buf[4]
            stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            buf = buf[9 + length:]
            if ftype == 4 and not flags & 1:
                c.sendall(frame(4, 1, 0))
            if ftype != 1:
                continue
            requests += 1
            if requests == 1:  # END_HEADERS only, then DATA with END_STREAM
                c.sendall(frame(1, 0x4, stream, bytes([status])) + frame(0, 0x1, stream, SMUGGLED))
            else:
                c.sendall(frame(1, 0x4, stream, b"\x88") + frame(0, 0x1, stream, b"second"))


def backend(listener, status):
    while True:
        try:
            c, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(c, status), daemon=True).start()


def run_case(name, method, status):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bport = free_port()
    listener.bind(("127.0.0.1", bport))
    listener.listen(8)
    threading.Thread(target=backend, args=(listener, status), daemon=True).start()
    port = free_port()
    conf = os.path.join(work, "proxy.toml")
    with open(conf, "w") as f:
        f.write(f"""
[global]
access_log = "off"
[[listeners]]
name = "main"
address = "127.0.0.1:{port}"
[[clusters]]
name = "o"
protocol = "h2c"
backends = ["127.0.0.1:{bport}"]
[[frontends]]
cluster = "o"
""")
    log = open(os.path.join(work, "proxy.log"), "w")
    proxy = subprocess.Popen([crossmux, "proxy", "--workers", "1", "--config", conf],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_port(port):
            fail(f"{name}: proxy did not start")
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(f"{method} /first HTTP/1.1\r\nHost: a\r\n\r\n".encode())
        time.sleep(0.3)  # the smuggled DATA has arrived by now
        try:
            c.sendall(b"GET /second HTTP/1.1\r\nHost: a\r\n\r\n")
        except OSError:
            pass  # the proxy closed the connection: allowed
        c.settimeout(3)
        got = b""
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                got += data
                if b"second" in got and got.endswith(b"\r\n0\r\n\r\n"):
                    break  # the second response, chunked, is whole
        except (socket.timeout, ConnectionResetError):
            pass
        c.close()
        if b"SMUGGLED" in got or b"X-Smuggled" in got:
            fail(f"{name}: DATA after a bodiless response reached the client: {got!r}")
        # The first answer is the bodiless head (forwarded before the DATA arrived) or a 502
        # (the malformed response was refused before its head went out).
        first_status = name.split()[-1]
        head_end = got.find(b"\r\n\r\n") + 4
        if not head_end or not got.startswith(b"HTTP/1.1 "):
            fail(f"{name}: no response head: {got!r}")
        status = got.split(b" ")[1].decode()
        rest = got[head_end:]
        if status == "502":
            if method != "HEAD":  # a 502 to HEAD has no body either
                length = got[:head_end].lower().split(b"content-length: ")[1].split(b"\r\n")[0]
                rest = rest[int(length):]
        elif status != first_status:
            fail(f"{name}: the first response is a {status}: {got!r}")
        if rest and not (rest.startswith(b"HTTP/1.1 200 ") and
                         rest.endswith(b"\r\n6\r\nsecond\r\n0\r\n\r\n")):
            fail(f"{name}: after the first response the client read {rest!r}")
        print(f"ok: {name}: nothing of the DATA reached the client (first answer {status}, "
              f"{'second response served' if rest else 'connection closed'})")
    finally:
        proxy.send_signal(signal.SIGTERM)
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
        listener.close()


try:
    for case in CASES:
        run_case(*case)
finally:
    if not os.environ.get("KEEP_WORK"):
        shutil.rmtree(work, ignore_errors=True)
