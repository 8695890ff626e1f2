#!/usr/bin/env python3
"""End to end: slow and stalling peers against `crossmux proxy` (issue #15).

- HTTP/1.1 head limits fire at once: a 66,000-byte field and 100,000 tiny fields get 431 right
  away (not the request-headers 408), and a raised max_header_bytes is honoured;
- timeouts.request_headers counts from a head's first byte: a head (HTTP/1.1) or a frame
  (HTTP/2) trickled in one byte at a time is cut at the deadline, however steady the trickle;
- an HTTP/2 client that holds its window at zero and leaves (FIN) frees its backend connection
  at once: with one connection per backend, the next client is served right away, not after
  timeouts.flow_control_stall;
- a pipelined upload that stops after its backend answered whole gives its backend connection up
  at timeouts.stream_progress, and the client still gets every response in order (issue #14).

Usage: slow_peers_e2e.py CROSSMUX
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import h2_wire
from h2_wire import PREFACE, frame, free_port, h2_get, read_status

crossmux = sys.argv[1]
work = tempfile.mkdtemp()
procs = []


def fail(msg):
    print("FAIL:", msg)
    for name in sorted(os.listdir(work)):
        if name.endswith(".log"):
            with open(os.path.join(work, name), errors="replace") as f:
                print("---", name)
                print("".join(f.readlines()[-20:]))
    sys.exit(1)


def wait_port(port):
    if not h2_wire.wait_port(port):
        fail(f"nothing listens on {port}")


def start(name, args):
    log = open(os.path.join(work, name + ".log"), "w")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def main():
    origin_port = free_port()
    start("origin", [crossmux, "origin", "--listen", f"127.0.0.1:{origin_port}"])
    wait_port(origin_port)
    ports = {"default": free_port(), "raised": free_port()}
    for name, extra in (("default", ""), ("raised", "max_header_bytes = 200000\n")):
        with open(os.path.join(work, name + ".toml"), "w") as f:
            f.write(f"""
[global]
access_log = "{work}/{name}.access"
[[listeners]]
name = "main"
address = "127.0.0.1:{ports[name]}"
[timeouts]
request_headers = "1s"
[limits]
{extra}
[[clusters]]
name = "o"
protocol = "http1"
backends = ["127.0.0.1:{origin_port}"]
max_connections_per_backend = 1
[[frontends]]
cluster = "o"
""")
        start("proxy-" + name, [crossmux, "proxy", "--config", os.path.join(work, name + ".toml")])
        wait_port(ports[name])
    port = ports["default"]

    # 1. Head limits answer at once.
    for what, head in (
            ("a 66,000-byte field", b"X-Big: " + b"a" * 66000 + b"\r\n"),
            ("100,000 tiny fields", b"".join(b"a:b\r\n" for _ in range(100000)))):
        s = socket.create_connection(("127.0.0.1", port))
        started = time.monotonic()
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n" + head + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        status = read_status(s, 5)
        took = time.monotonic() - started
        s.close()
        if status != 431 or took > 0.8:
            fail(f"{what}: got {status} after {took:.2f}s (want 431 at once, before the 1s "
                 "request-headers deadline)")
        print(f"ok: {what}: 431 after {took * 1000:.0f} ms")
    s = socket.create_connection(("127.0.0.1", ports["raised"]))
    s.sendall(b"GET /bytes/3 HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n")
    status = read_status(s, 5)
    s.close()
    time.sleep(0.2)
    with open(os.path.join(work, "raised.access")) as f:
        line = [l for l in f if "/bytes/3" in l]
    # The origin has its own 64 KiB limit: what matters is that the proxy forwarded the head.
    if (not line or not re.search(r'\breason="?-"?(\s|$)', line[-1]) or
            "backend=127.0.0.1:" not in line[-1]):
        fail(f"max_header_bytes = 200000: a 100 KB field got {status} from the proxy itself "
             f"({line[-1].strip() if line else 'not logged'})")
    print(f"ok: a raised max_header_bytes is honoured (100 KB field forwarded, origin said {status})")

    # 2. The request-headers deadline counts from the first byte, however steady the trickle.
    def trickle(what, data, expect_408):
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(0.1)
        started = time.monotonic()
        closed_at = None
        got = b""
        for b in data:
            try:
                s.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed_at = time.monotonic()
                break
            try:
                chunk = s.recv(65536)
                if not chunk:
                    closed_at = time.monotonic()
                    break
                got += chunk
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_at = time.monotonic()
                break
            if time.monotonic() - started > 4:
                break
        s.close()
        if closed_at is None:
            fail(f"{what}: still open after {time.monotonic() - started:.1f}s of trickling "
                 "(timeouts.request_headers is 1s)")
        took = closed_at - started
        if took > 2.0:
            fail(f"{what}: closed only after {took:.2f}s (deadline 1s from the first byte)")
        if expect_408 and not got.startswith(b"HTTP/1.1 408"):
            fail(f"{what}: got {got[:40]!r}, not a 408")
        print(f"ok: {what}: cut after {took:.2f}s")

    trickle("an HTTP/1.1 head one byte per 100 ms",
            b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n", True)
    settings = frame(4, 0, 0)
    trickle("an HTTP/2 HEADERS frame one byte per 100 ms",
            PREFACE + settings + h2_get(1, "a", "/" + "a" * 100), False)

    # 3. An HTTP/2 client holding its window at zero leaves: its backend connection (the only one
    # allowed) is free at once for the next client.
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(PREFACE + frame(4, 0, 0, struct.pack(">HI", 4, 0)) +  # INITIAL_WINDOW_SIZE 0
              h2_get(1, "a", "/bytes/1000000"))
    time.sleep(0.5)  # the backend answers; its bytes wait for a window that never opens
    s.shutdown(socket.SHUT_WR)
    time.sleep(0.2)
    s.close()
    c = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    c.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: a\r\n\r\n")
    status = read_status(c, 10)
    took = time.monotonic() - started
    c.close()
    if status != 200 or took > 2:
        fail(f"after a zero-window HTTP/2 client left: the next request got {status} after "
             f"{took:.2f}s (its backend connection was still held)")
    print(f"ok: a zero-window HTTP/2 client that leaves frees its backend connection "
          f"({took * 1000:.0f} ms)")

    stalled_upload_after_a_whole_response()
    for p in procs:
        p.send_signal(signal.SIGTERM)


def stalled_upload_after_a_whole_response():
    """4. A pipelined upload that stops after its backend answered whole, behind a slower response:
    timeouts.stream_progress gives its backend connection up (the request never ended framed, so
    the connection is closed), and both responses still reach the client in order."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(8)
    backend_port = lsn.getsockname()[1]
    early_closed = threading.Event()
    seen = {}

    def serve(conn):
        with conn:
            conn.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            if head.startswith(b"GET /slow"):
                early_closed.wait(8)  # without a deadline, the held connection never closes
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow")
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
            answered = time.monotonic()
            try:
                while conn.recv(65536):
                    pass
            except (socket.timeout, ConnectionResetError):
                return
            seen["closed_after"] = time.monotonic() - answered
            early_closed.set()

    def accept():
        for _ in range(2):
            conn, _ = lsn.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    port = free_port()
    with open(os.path.join(work, "stall.toml"), "w") as f:
        f.write(f"""
[[listeners]]
name = "main"
address = "127.0.0.1:{port}"
[timeouts]
stream_progress = "1s"
[[clusters]]
name = "raw"
protocol = "http1"
backends = ["127.0.0.1:{backend_port}"]
[[frontends]]
cluster = "raw"
""")
    start("proxy-stall", [crossmux, "proxy", "--config", os.path.join(work, "stall.toml")])
    wait_port(port)
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(15)
    c.sendall(b"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
              b"POST /early HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
    got = b""
    try:
        while chunk := c.recv(65536):
            got += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    c.close()
    lsn.close()
    if "closed_after" not in seen or seen["closed_after"] > 3:
        fail("a stalled upload whose backend answered whole held the backend connection "
             f"(closed after {seen.get('closed_after', 'never')} s; stream_progress is 1s)")
    bodies = re.findall(rb"HTTP/1.1 200 OK\r\n.*?\r\n\r\n(slow|early)", got, re.S)
    if bodies != [b"slow", b"early"]:
        fail(f"the client did not get both responses in order: {got[:300]!r}")
    print(f"ok: a stalled upload gives its backend connection up after "
          f"{seen['closed_after']:.2f}s; both pipelined responses still delivered")


try:
    main()
finally:
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    if not os.environ.get("KEEP_WORK"):
        shutil.rmtree(work, ignore_errors=True)
print("slow_peers_e2e: ok")
