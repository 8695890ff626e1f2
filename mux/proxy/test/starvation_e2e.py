#!/usr/bin/env python3
"""End to end: a few stalled HTTP/2 readers cannot starve a cluster's backend pool (issue #15).

Three HTTP/2 connections each open 12 streams for a 1 MB response with
SETTINGS_INITIAL_WINDOW_SIZE 0 (a few hundred bytes sent in all) against a cluster capped at 8
connections per backend: every backend connection carries a response nobody reads, and the rest
queue. A normal HTTP/1.1 client must still be served during the attack (a stall holding a
connection others queue for is cut after kStallGraceUnderPressureMs, not after
timeouts.flow_control_stall), while the attackers keep their connections open and keep opening
streams, and right after they leave; the queue serves the client holding the fewest backend
connections first. The cap itself must hold: before, a busy HTTP/1.1 connection left the pool's
count (36 connections for a cap of 8); with the cap and no grace, a probe waited the whole 30 s
stall.

Then the memory a stalled stream costs: 100 zero-window streams may grow the proxy's RSS by at
most MEMORY_BOUND_KIB each. And the buffer budgets that bound their sum: once the worker's
exchanges hold more than limits.max_buffers (or one connection's more than
limits.max_buffers_per_connection), stalled streams are cut after kStallGraceUnderPressureMs
(RST_STREAM CANCEL) instead of timeouts.flow_control_stall; before, both keys were read and
documented but nothing counted against them.

Usage: starvation_e2e.py CROSSMUX
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

from h2_wire import PREFACE, frame, free_port, h2_get, read_status, settings, wait_port

crossmux = sys.argv[1]
work = tempfile.mkdtemp()
procs = []
CAP = 8            # max_connections_per_backend
STREAMS = 12       # per attacking connection
MEMORY_BOUND_KIB = 200
PROBE_BOUND = 3.0  # seconds a probe may take during the attack


def fail(msg):
    print("FAIL:", msg)
    for name in sorted(os.listdir(work)):
        if name.endswith(".log"):
            with open(os.path.join(work, name), errors="replace") as f:
                print("---", name)
                print("".join(f.readlines()[-20:]))
    sys.exit(1)


def start(name, args):
    log = open(os.path.join(work, name + ".log"), "w")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    return p


def attacker(port, stop):
    """One zero-window HTTP/2 connection: opens STREAMS streams, and a new one for every stream
    the proxy resets, until `stop` is set. Reads (and ignores) whatever the proxy sends."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(PREFACE + settings(initial_window_size=0))
    next_id = 1
    for _ in range(STREAMS):
        s.sendall(h2_get(next_id, "a", "/bytes/1000000"))
        next_id += 2
    s.settimeout(0.2)
    buf = b""
    while not stop.is_set():
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            ftype = buf[3]
            buf = buf[9 + length:]
            if ftype == 3 and next_id < 2**31 - 2:  # RST_STREAM: take its place again
                s.sendall(h2_get(next_id, "a", "/bytes/1000000"))
                next_id += 2
    s.close()


def backend_connections(origin_port):
    """Established TCP connections to the origin (/proc/net/tcp: remote port in hex, state 01)."""
    n = 0
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[2].split(":")[1], 16) == origin_port:
                n += 1
    return n


def probe(port, what):
    c = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    c.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: a\r\n\r\n")
    status = read_status(c, 20)
    took = time.monotonic() - started
    c.close()
    if status != 200 or took > PROBE_BOUND:
        fail(f"{what}: a normal client got {status} after {took:.2f}s (bound {PROBE_BOUND}s)")
    print(f"ok: {what}: served in {took * 1000:.0f} ms")
    return took


def main():
    origin_port = free_port()
    start("origin", [crossmux, "origin", "--listen", f"127.0.0.1:{origin_port}"])
    port = free_port()
    with open(os.path.join(work, "proxy.toml"), "w") as f:
        f.write(f"""
[global]
access_log = "{work}/access.txt"
[[listeners]]
name = "main"
address = "127.0.0.1:{port}"
[timeouts]
flow_control_stall = "30s"
[[clusters]]
name = "o"
protocol = "http1"
backends = ["127.0.0.1:{origin_port}"]
max_connections_per_backend = {CAP}
[[frontends]]
cluster = "o"
""")
    start("proxy", [crossmux, "proxy", "--workers", "1", "--config",
                    os.path.join(work, "proxy.toml")])
    if not (wait_port(origin_port) and wait_port(port)):
        fail("proxy or origin did not start")

    stop = threading.Event()
    threads = [threading.Thread(target=attacker, args=(port, stop)) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # every backend connection now carries a response nobody reads
    for i in range(3):
        held = backend_connections(origin_port)
        if held > CAP:
            fail(f"{held} connections to the backend, max_connections_per_backend is {CAP}")
        probe(port, f"during the attack, probe {i + 1}")
    stop.set()
    for t in threads:
        t.join()
    took = probe(port, "right after the attackers left")
    if took > 1.0:
        fail(f"after the attackers left a probe still waited {took:.2f}s")
    with open(os.path.join(work, "access.txt")) as f:
        cut = sum("others wait for its backend connection" in line for line in f)
    if cut == 0:
        fail("no stalled exchange was cut for the queue (access log)")
    print(f"ok: {cut} stalled exchanges cut so that queued ones could run")
    memory_per_stalled_stream(origin_port)
    buffer_budget(origin_port, "max_buffers", connections=8, streams=12,
                  limits="max_buffers = 64\nmax_buffers_per_connection = 64")
    buffer_budget(origin_port, "max_buffers_per_connection", connections=1, streams=30,
                  limits="max_buffers = 100000\nmax_buffers_per_connection = 16")


def stalled_streams(port, streams):
    """A zero-window HTTP/2 connection with `streams` streams for 1 MB responses."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(PREFACE + settings(initial_window_size=0) +
              b"".join(h2_get(1 + 2 * i, "a", "/bytes/1000000") for i in range(streams)))
    return s


def resets_within(socks, seconds):
    """RST_STREAM frames the proxy sends on `socks` within `seconds`."""
    bufs = {s: b"" for s in socks}
    resets = 0
    deadline = time.monotonic() + seconds
    for s in socks:
        s.setblocking(False)
    while time.monotonic() < deadline:
        for s in socks:
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            bufs[s] += chunk
            buf = bufs[s]
            while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
                length = int.from_bytes(buf[:3], "big")
                resets += buf[3] == 3
                buf = buf[9 + length:]
            bufs[s] = buf
        time.sleep(0.05)
    return resets


def buffer_budget(origin_port, key, connections, streams, limits):
    """Stalled streams holding more than the `key` budget are cut within a few seconds although
    flow_control_stall is 30 s; the access log names the key."""
    port = free_port()
    log = os.path.join(work, f"budget-{key}.txt")
    with open(os.path.join(work, f"budget-{key}.toml"), "w") as f:
        f.write(f"""
[global]
access_log = "{log}"
[[listeners]]
name = "main"
address = "127.0.0.1:{port}"
[timeouts]
flow_control_stall = "30s"
[limits]
{limits}
[[clusters]]
name = "o"
protocol = "http1"
backends = ["127.0.0.1:{origin_port}"]
[[frontends]]
cluster = "o"
""")
    proxy = start(f"budget-{key}", [crossmux, "proxy", "--workers", "1", "--config",
                                    os.path.join(work, f"budget-{key}.toml")])
    if not wait_port(port):
        fail(f"{key} proxy did not start")
    socks = [stalled_streams(port, streams) for _ in range(connections)]
    resets = resets_within(socks, 6.0)
    for s in socks:
        s.close()
    total = connections * streams
    if resets < total // 2:
        fail(f"{key}: {resets} of {total} stalled streams cut within 6 s (flow_control_stall is "
             "30 s): the budget did not shorten the stall")
    proxy.send_signal(signal.SIGTERM)
    proxy.wait(timeout=10)
    with open(log) as f:
        named = sum(f"over limits.{key}" in line and
                    (key != "max_buffers" or "max_buffers_per_connection" not in line)
                    for line in f)
    if named == 0:
        fail(f"{key}: no access log line names limits.{key} as the reason")
    print(f"ok: {key}: {resets} of {total} stalled streams cut within 6 s, {named} logged")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail("no VmRSS")


def memory_per_stalled_stream(origin_port):
    """100 zero-window streams for 1 MB responses each (HTTP/1.1 backend, so 100 backend
    connections): the proxy's RSS may grow by at most MEMORY_BOUND_KIB per stream. Each stalled
    stream holds about kStalledHold of response plus its connections' buffers (131 KiB measured;
    541 KiB when every direction buffered kQueueCap and the codec took a window's worth more)."""
    port = free_port()
    with open(os.path.join(work, "memory.toml"), "w") as f:
        f.write(f"""
[global]
access_log = "off"
[[listeners]]
name = "main"
address = "127.0.0.1:{port}"
[limits]
max_buffers = 100000
max_buffers_per_connection = 100000
[[clusters]]
name = "o"
protocol = "http1"
backends = ["127.0.0.1:{origin_port}"]
[[frontends]]
cluster = "o"
""")
    proxy = start("memory-proxy", [crossmux, "proxy", "--workers", "1", "--config",
                                   os.path.join(work, "memory.toml")])
    if not wait_port(port):
        fail("memory proxy did not start")
    # Warm up (allocator arenas, buffer cache) with one whole response.
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(b"GET /bytes/100000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    while c.recv(65536):
        pass
    c.close()
    time.sleep(0.3)
    before = rss_kib(proxy.pid)
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(PREFACE + settings(initial_window_size=0) +
              b"".join(h2_get(1 + 2 * i, "a", "/bytes/1000000") for i in range(100)))
    time.sleep(2)
    per_stream = (rss_kib(proxy.pid) - before) / 100
    s.close()
    if per_stream > MEMORY_BOUND_KIB:
        fail(f"{per_stream:.0f} KiB of RSS per stalled stream (bound {MEMORY_BOUND_KIB} KiB)")
    print(f"ok: {per_stream:.0f} KiB of RSS per stalled stream (bound {MEMORY_BOUND_KIB} KiB)")


try:
    main()
finally:
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
        except Exception:
            p.kill()
    if not os.environ.get("KEEP_WORK"):
        shutil.rmtree(work, ignore_errors=True)
