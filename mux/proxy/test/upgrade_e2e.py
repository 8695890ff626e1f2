#!/usr/bin/env python3
"""End to end: tunnels open only when both ends agree (RFC 9110 §7.8, §9.3.6; RFC 8441 §5).

Through `crossmux proxy` in front of `crossmux origin --record` (an HTTP/1.1 and an h2c cluster,
one connection per backend so a poisoned pool shows at once) and a backend that answers every
request with `101 Switching Protocols` to h2c:

- an HTTP/1.1 client's WebSocket upgrade that the backend refuses (200, 404, 426) gets that
  response, never a 101, and the connection goes on as HTTP/1.1 (a pipelined request after it is
  served); an HTTP/2 client's extended CONNECT refused the same way gets that status with
  END_STREAM, and the DATA it sent before or after the answer never reaches the backend;
- after each refusal a second client on a new connection is served at once (the pool holds no
  connection in a state it does not know);
- `Upgrade: websocket, h2c` reaches the backend as `Upgrade: websocket`;
- a 101 to h2c (a protocol nobody asked for) is a 502, the bytes that follow never go anywhere,
  and that connection is never used again.

Usage: upgrade_e2e.py CROSSMUX H2_TUNNEL_CLIENT
"""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

crossmux, tunnel_client = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp()
procs = []
KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def fail(msg):
    print("FAIL:", msg)
    for name in sorted(os.listdir(work)):
        if name.endswith(".log"):
            with open(os.path.join(work, name), errors="replace") as f:
                print("---", name)
                print("".join(f.readlines()[-20:]))
    sys.exit(1)


def free_port():
    for _ in range(500):
        p = random.randint(20000, 32767)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            s.close()
        return p
    fail("no free port")


def wait_port(port):
    for _ in range(400):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(0.05)
    fail(f"nothing listens on {port}")


class Switcher(threading.Thread):
    """An HTTP/1.1 backend that answers any request head with a 101 to h2c, then records every
    byte it receives afterwards (none may come: the proxy must not tunnel to it)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.heads = 0
        self.after = b""

    def run(self):
        while True:
            c, _ = self.sock.accept()
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return
            data += chunk
        self.heads += 1
        head, rest = data.split(b"\r\n\r\n", 1)
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n")
        self.after += rest
        c.settimeout(3)
        try:
            while True:
                chunk = c.recv(65536)
                if not chunk:
                    break
                self.after += chunk
        except OSError:
            pass
        c.close()


def recv_response(s, timeout=5):
    """Reads one HTTP/1.1 response (head and Content-Length body); returns (status, head, body)."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    if b"\r\n\r\n" not in data:
        return None, data, b""
    head, rest = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    s.pending = rest[length:]
    return status, head, rest[:length]


def upgrade_request(host, path, upgrade="websocket"):
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: {upgrade}\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
            f"Sec-WebSocket-Version: 13\r\n\r\n").encode()


class Sock(socket.socket):
    pending = b""


def h1_connect(port):
    s = Sock(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    return s


def plain_get(port, host, path="/bytes/10"):
    s = h1_connect(port)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    try:
        status, _, body = recv_response(s, timeout=5)
    except OSError:
        status, body = None, b""
    s.close()
    return status, body


def h2_tunnel(port, host, path, data, delay=0.0, timeout=10):
    """An HTTP/2 extended CONNECT (:protocol websocket) sending `data` as DATA, before the answer
    (delay 0) or `delay` seconds after it was sent; returns (status line, exit code)."""
    p = subprocess.Popen([tunnel_client, str(port), host, path], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if delay:
            time.sleep(delay)
        p.stdin.write(data)
        p.stdin.flush()
    except BrokenPipeError:
        pass
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return out.split(b"\n", 1)[0].decode(errors="replace"), "timeout"
    rc = p.returncode if p.returncode == 0 else f"{p.returncode} ({err.decode(errors='replace').strip()})"
    return out.split(b"\n", 1)[0].decode(errors="replace"), rc


def records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    proxy_port = free_port()
    origin_log = os.path.join(work, "origin.log")
    record = os.path.join(work, "origin.record")
    origin = subprocess.Popen([crossmux, "origin", "--listen", "127.0.0.1:0", "--record", record],
                              stdout=open(origin_log, "w"), stderr=subprocess.STDOUT)
    procs.append(origin)
    origin_port = None
    for _ in range(200):
        with open(origin_log) as f:
            for line in f:
                if "listening on" in line:
                    origin_port = int(line.rsplit(":", 1)[1].split()[0])
        if origin_port:
            break
        time.sleep(0.05)
    if not origin_port:
        fail("origin did not start")
    switcher = Switcher()
    switcher.start()
    with open(os.path.join(work, "proxy.toml"), "w") as f:
        f.write(f"""
[global]
access_log = "{work}/access.txt"
[[listeners]]
name = "main"
address = "127.0.0.1:{proxy_port}"
[[clusters]]
name = "h1"
protocol = "http1"
backends = ["127.0.0.1:{origin_port}"]
max_connections_per_backend = 1
[[clusters]]
name = "h2c"
protocol = "h2c"
backends = ["127.0.0.1:{origin_port}"]
max_connections_per_backend = 1
[[clusters]]
name = "switcher"
protocol = "http1"
backends = ["127.0.0.1:{switcher.port}"]
[[frontends]]
hostname = "h2c.test"
cluster = "h2c"
[[frontends]]
hostname = "switcher.test"
cluster = "switcher"
[[frontends]]
cluster = "h1"
""")
    proxy = subprocess.Popen([crossmux, "proxy", "--config", os.path.join(work, "proxy.toml")],
                             stdout=open(os.path.join(work, "proxy.log"), "w"),
                             stderr=subprocess.STDOUT)
    procs.append(proxy)
    wait_port(origin_port)
    wait_port(proxy_port)

    def healthy(host, what):
        status, _ = plain_get(proxy_port, host)
        if status != 200:
            fail(f"{what}: a second client's GET through {host} got {status} (pool poisoned)")

    # 1. HTTP/1.1 clients: a refused upgrade is an ordinary response; the connection goes on.
    for host, statuses in (("h1.test", (200, 404, 426)), ("h2c.test", (404, 426))):
        for code in statuses:
            what = f"HTTP/1.1 upgrade refused with {code} by {host}"
            s = h1_connect(proxy_port)
            s.sendall(upgrade_request(host, f"/status/{code}") +
                      f"GET /after-refusal-{code} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            status, head, body = recv_response(s)
            if status != code:
                fail(f"{what}: client got {status} ({head[:80]!r}), not the backend's {code}")
            if b"sec-websocket-accept" in head.lower():
                fail(f"{what}: a WebSocket accept was fabricated")
            if body != f"status {code}\n".encode():
                fail(f"{what}: body {body!r}")
            # The bytes after a refused upgrade are the next HTTP/1.1 request (RFC 9110 §7.8).
            s.settimeout(5)
            leftover = s.pending
            while b"\r\n\r\n" not in leftover:
                chunk = s.recv(65536)
                if not chunk:
                    break
                leftover += chunk
            if not leftover.startswith(b"HTTP/1.1 404"):
                fail(f"{what}: the pipelined request after it got {leftover[:60]!r}")
            s.close()
            healthy(host, what)
            print(f"ok: {what}")

    # 2. HTTP/2 clients: refused extended CONNECT; DATA before and after the answer goes nowhere.
    for host, statuses in (("h1.test", (200, 404, 426)), ("h2c.test", (404, 426))):
        for code in statuses:
            for delay in (0.0, 0.5):
                what = f"HTTP/2 extended CONNECT refused with {code} by {host} (DATA at +{delay}s)"
                smuggled = f"/smuggled-{host}-{code}-{int(delay * 10)}"
                payload = f"GET {smuggled} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
                line, rc = h2_tunnel(proxy_port, host, f"/status/{code}", payload, delay)
                if line != f"STATUS {code}" or rc != 0:
                    fail(f"{what}: client saw {line!r}, exit {rc} (want STATUS {code}, stream ended)")
                time.sleep(0.2)
                if any(r["path"] == smuggled for r in records(record)):
                    fail(f"{what}: the client's DATA reached the backend as a request")
                healthy(host, what)
                print(f"ok: {what}")

    # 3. Upgrade lists: h2c never reaches a backend.
    s = h1_connect(proxy_port)
    s.sendall(upgrade_request("h1.test", "/headers", "websocket, h2c"))
    status, _, body = recv_response(s)
    s.close()
    seen = [r for r in records(record) if r["path"] == "/headers"]
    if status != 200 or not seen:
        fail(f"Upgrade list: status {status}, origin saw {len(seen)} requests")
    upgrades = [v for n, v in seen[-1]["headers"] if n.lower() == "upgrade"]
    if upgrades != ["websocket"]:
        fail(f"Upgrade list: the backend got Upgrade {upgrades}")
    print("ok: Upgrade: websocket, h2c forwarded as Upgrade: websocket")

    # 4. A 101 to h2c: 502, nothing tunnelled, the connection never reused.
    s = h1_connect(proxy_port)
    s.sendall(upgrade_request("switcher.test", "/ws") + b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    status, _, _ = recv_response(s)
    s.close()
    if status != 502:
        fail(f"HTTP/1.1 client, backend 101 to h2c: client got {status}, not 502")
    line, rc = h2_tunnel(proxy_port, "switcher.test", "/ws", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    if line != "STATUS 502":
        fail(f"HTTP/2 client, backend 101 to h2c: client saw {line!r}, not STATUS 502")
    time.sleep(0.5)
    if switcher.after:
        fail(f"bytes reached the backend after its 101 to h2c: {switcher.after[:60]!r}")
    if switcher.connections != switcher.heads or switcher.heads != 2:
        fail(f"backend 101 to h2c: {switcher.heads} requests on {switcher.connections} connections "
             "(a connection that switched protocols was reused, or a request was lost)")
    print("ok: a 101 to h2c is a 502; nothing tunnelled; that connection never reused")

    proxy.send_signal(signal.SIGTERM)
    try:
        proxy.wait(timeout=15)
    except subprocess.TimeoutExpired:
        fail("proxy did not stop on SIGTERM")
    if proxy.returncode != 0:
        fail(f"proxy exited {proxy.returncode}")


try:
    main()
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
    if not os.environ.get("KEEP_WORK"):
        shutil.rmtree(work, ignore_errors=True)
print("upgrade_e2e: ok")
