#!/usr/bin/env python3
"""Backpressure end to end with the real `crossmux proxy` binary.

A client that stops reading a 64 MiB download must stop the backend's writes, and a backend that
stops reading a 64 MiB upload must stop the client's; meanwhile the proxy's memory stays bounded
(its RSS grows by far less than the body), and once the stalled side resumes every byte arrives
(SHA-256 checked). Then timeouts.flow_control_stall: a client that never takes the response (an
HTTP/2 client holding its window at zero, an HTTP/1.1 client not reading) loses that stream (RST_STREAM
CANCEL, the connection still answers PING) or, on HTTP/1.1, the connection. And a backend that
resets mid-response costs only its own HTTP/2 stream. HTTP/1.1 on both sides
for the resume cases, where only the proxy's own backpressure (pausing reads)
can stop the flow. And an h2c client uploading to a stalled backend (that HTTP/1.1 one, or an h2c
one granting no stream credit): the proxy returns receive credit only as it forwards (RFC 9113
§6.9), so the stream's window reaches zero and stays there, while a second stream on the same
connection sends its body and gets its answer at once.

Usage: backpressure_e2e.py CROSSMUX_BINARY
"""
import hashlib
import os
import random
import select
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

BODY = 64 * 1024 * 1024
CHUNK = 256 * 1024
# Kernel socket buffers on loopback can hold several MiB per direction and connection; the proxy
# itself may hold its per-exchange queue and codec buffers. Anything near the body size means the
# proxy buffered instead of pushing back.
MAX_IN_FLIGHT = 32 * 1024 * 1024
MAX_RSS_GROWTH_KIB = 16 * 1024
STALL_SECONDS = 2.0


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    """A free port below the kernel's ephemeral range (32768+): no client socket of a concurrent
    test can take it between this pick and the bind."""
    for _ in range(500):
        port = random.randint(20000, 32767)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        return port
    fail("no free port")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pattern(n, offset=0):
    """Deterministic body bytes (so both ends can check without holding 64 MiB twice)."""
    block = bytes((i * 31 + 7) % 251 for i in range(CHUNK))
    out = bytearray()
    while len(out) < n:
        out += block
    return bytes(out[:n])


BLOCK = pattern(CHUNK)
BLOCK2 = BLOCK + BLOCK  # any CHUNK-long window of the repeated body


def expected_sha(size=BODY):
    h = hashlib.sha256()
    left = size
    while left:
        n = min(left, CHUNK)
        h.update(BLOCK[:n])
        left -= n
    return h.hexdigest()


def read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            raise EOFError("connection closed before the head ended")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


class StallingBackend(threading.Thread):
    """A tiny HTTP/1.1 origin. GET /download sends BODY bytes, counting what send() accepted;
    POST /upload waits for `resume` before reading the body, then answers its SHA-256."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.sent = 0
        self.resume = threading.Event()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # A fixed receive buffer (accepted sockets inherit it): autotuning may otherwise grow a
        # stalled upload's buffer towards tcp_rmem's maximum (32 MiB on some machines), which
        # would blur what the proxy itself holds back.
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(16)

    def run(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        try:
            while True:
                head, rest = read_head(conn)
                line = head.split("\r\n", 1)[0]
                fields = {}
                for l in head.split("\r\n")[1:]:
                    k, _, v = l.partition(":")
                    fields[k.strip().lower()] = v.strip()
                if line.startswith("GET /download"):
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % BODY)
                    left = BODY
                    while left:
                        n = min(left, CHUNK)
                        conn.sendall(BLOCK[:n])
                        self.sent += n
                        left -= n
                elif line.startswith("GET /small"):
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n" + BLOCK[:10000])
                elif line.startswith("GET /reset-mid"):
                    # A response cut by a reset after 1000 of its 100000 bytes.
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + BLOCK[:1000])
                    time.sleep(0.2)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                elif line.startswith("POST /sink"):
                    length = int(fields.get("content-length", "0"))
                    got = len(rest)
                    while got < length:
                        d = conn.recv(1 << 20)
                        if not d:
                            return
                        got += len(d)
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%d" % (len(str(got)), got))
                elif line.startswith("POST /upload"):
                    self.resume.wait()
                    length = int(fields.get("content-length", "0"))
                    h = hashlib.sha256()
                    h.update(rest)
                    got = len(rest)
                    while got < length:
                        d = conn.recv(1 << 20)
                        if not d:
                            return
                        h.update(d)
                        got += len(d)
                    body = h.hexdigest().encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
        except (OSError, EOFError):
            pass
        finally:
            conn.close()


class H2StallingBackend(threading.Thread):
    """A tiny h2c origin (raw frames). It reads every frame at once and returns connection credit
    for every DATA, but the first request body it sees (the upload) gets no stream credit until
    `resume` is set: the proxy may send it 65,535 bytes and must hold the rest. Every other
    request is answered as it ends. Answers: the upload's SHA-256, the others' body length."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.resume = threading.Event()
        self.upload = None  # (connection, stream id) of the stalled upload
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", port))
        self.srv.listen(16)

    def run(self):
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        lock = threading.Lock()
        owed = [0]  # stream credit held back from the upload

        def send(data):
            with lock:
                conn.sendall(data)

        def release():
            self.resume.wait()
            with lock:
                if owed[0]:
                    conn.sendall(h2_frame(0x8, 0, self.upload[1], struct.pack(">I", owed[0])))
                owed[0] = -1

        bodies = {}
        buf = b""
        try:
            while len(buf) < 24:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            buf = buf[24:]
            send(h2_frame(0x4, 0, 0))
            while True:
                while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
                    n = int.from_bytes(buf[:3], "big")
                    t, f = buf[3], buf[4]
                    sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
                    p = buf[9:9 + n]
                    buf = buf[9 + n:]
                    if t == 0x4 and not f & 1:
                        send(h2_frame(0x4, 0x1, 0))
                    elif t == 0x1:
                        bodies[sid] = hashlib.sha256(), 0
                        if not f & 1 and self.upload is None:
                            self.upload = (conn, sid)
                            threading.Thread(target=release, daemon=True).start()
                    elif t == 0x0:
                        pad = p[0] + 1 if f & 0x8 else 0
                        data = p[pad:len(p) - (p[0] if f & 0x8 else 0)]
                        h, got = bodies[sid]
                        h.update(data)
                        bodies[sid] = h, got + len(data)
                        if n:
                            with lock:
                                conn.sendall(h2_frame(0x8, 0, 0, struct.pack(">I", n)))
                                if self.upload == (conn, sid) and owed[0] >= 0:
                                    owed[0] += n
                                elif not f & 1:
                                    conn.sendall(h2_frame(0x8, 0, sid, struct.pack(">I", n)))
                    if t in (0x0, 0x1) and f & 1:
                        h, got = bodies.pop(sid)
                        body = h.hexdigest().encode() if self.upload == (conn, sid) else \
                            str(got).encode()
                        send(h2_frame(0x1, 0x4, sid, b"\x88") + h2_frame(0x0, 0x1, sid, body))
                d = conn.recv(1 << 20)
                if not d:
                    return
                buf += d
        except OSError:
            pass
        finally:
            conn.close()


def wait_listening(port, proc, log):
    for _ in range(200):
        if proc.poll() is not None:
            fail("proxy exited: " + open(log).read())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    fail("proxy did not listen")


def download_case(proxy_port, host, backend, proxy_pid):
    backend.sent = 0
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    base = rss_kib(proxy_pid)
    s.sendall(f"GET /download HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head, rest = read_head(s)
    if " 200 " not in head.split("\r\n")[0]:
        fail(f"download via {host}: {head}")
    time.sleep(STALL_SECONDS)  # the client reads nothing: the pipeline must fill up and stop
    in_flight = backend.sent
    growth = rss_kib(proxy_pid) - base
    if in_flight >= MAX_IN_FLIGHT:
        fail(f"download via {host}: the backend wrote {in_flight} bytes to a client that reads nothing")
    if growth > MAX_RSS_GROWTH_KIB:
        fail(f"download via {host}: proxy RSS grew by {growth} KiB while the client stalled")
    h = hashlib.sha256()
    h.update(rest)
    got = len(rest)
    s.settimeout(60)
    while got < BODY:
        d = s.recv(1 << 20)
        if not d:
            fail(f"download via {host}: connection closed after {got} bytes")
        h.update(d)
        got += len(d)
    s.close()
    if got != BODY or h.hexdigest() != expected_sha():
        fail(f"download via {host}: {got} bytes, checksum mismatch")
    print(f"ok download via {host}: stalled with {in_flight >> 20} MiB in flight, RSS +{growth} KiB")


def upload_case(proxy_port, host, backend, proxy_pid):
    backend.resume.clear()
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    base = rss_kib(proxy_pid)
    sent = [0]
    error = []

    def writer():
        try:
            s.sendall(f"POST /upload HTTP/1.1\r\nHost: {host}\r\ncontent-length: {BODY}\r\n\r\n".encode())
            left = BODY
            while left:
                n = min(left, CHUNK)
                s.sendall(BLOCK[:n])
                sent[0] += n
                left -= n
        except OSError as e:
            error.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    time.sleep(STALL_SECONDS)  # the backend reads nothing: the client's writes must block
    in_flight = sent[0]
    growth = rss_kib(proxy_pid) - base
    if in_flight >= MAX_IN_FLIGHT:
        fail(f"upload via {host}: the client wrote {in_flight} bytes to a backend that reads nothing")
    if growth > MAX_RSS_GROWTH_KIB:
        fail(f"upload via {host}: proxy RSS grew by {growth} KiB while the backend stalled")
    backend.resume.set()
    t.join(60)
    if t.is_alive() or error:
        fail(f"upload via {host}: the client could not finish sending ({error})")
    s.settimeout(60)
    head, rest = read_head(s)
    if " 200 " not in head.split("\r\n")[0]:
        fail(f"upload via {host}: {head}")
    while len(rest) < 64:
        d = s.recv(4096)
        if not d:
            break
        rest += d
    s.close()
    if rest[:64].decode() != expected_sha():
        fail(f"upload via {host}: the backend got a different body ({rest[:64]!r})")
    print(f"ok upload via {host}: stalled with {in_flight >> 20} MiB in flight, RSS +{growth} KiB")


def h2_frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def h2_request_block(authority, path, length):
    """POST with content-length, as literals (RFC 7541 §6.2.2) with static-table names."""
    cl = str(length).encode()
    return (b"\x83\x86" + b"\x01" + bytes([len(authority)]) + authority +
            b"\x04" + bytes([len(path)]) + path + b"\x0f\x0d" + bytes([len(cl)]) + cl)


class H2Uploader:
    """A raw h2c client that sends DATA exactly within the windows the proxy grants."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.s.setblocking(False)
        self.buf = b""
        self.initial = 65535
        self.conn_window = 65535
        self.windows = {}
        self.granted = {}  # per stream: the initial window plus every WINDOW_UPDATE
        self.frames = []  # (type, flags, stream, payload) of everything else read
        self.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(0x4, 0, 0))

    def send(self, data, deadline=None):
        deadline = deadline or time.time() + 10
        while data:
            try:
                n = self.s.send(data)
                data = data[n:]
            except BlockingIOError:
                if time.time() > deadline:
                    fail("h2 upload: the proxy stopped reading the client connection")
                self.pump(0.05)

    def open(self, sid, block):
        self.windows[sid] = self.initial
        self.granted[sid] = self.initial
        self.send(h2_frame(0x1, 0x4, sid, block))

    def pump(self, wait):
        """Reads what has arrived (waiting up to `wait` s) and applies SETTINGS/WINDOW_UPDATE."""
        if select.select([self.s], [], [], wait)[0]:
            try:
                d = self.s.recv(1 << 20)
            except BlockingIOError:
                d = b""
            self.buf += d
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            t, f = self.buf[3], self.buf[4]
            sid = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            p = self.buf[9:9 + n]
            self.buf = self.buf[9 + n:]
            if t == 0x4 and not f & 1:
                for i in range(0, len(p), 6):
                    ident, value = struct.unpack(">HI", p[i:i + 6])
                    if ident == 0x4:
                        for k in self.windows:
                            self.windows[k] += value - self.initial
                            self.granted[k] += value - self.initial
                        self.initial = value
                self.send(h2_frame(0x4, 0x1, 0))
            elif t == 0x8:
                inc = int.from_bytes(p, "big") & 0x7FFFFFFF
                if sid == 0:
                    self.conn_window += inc
                elif sid in self.windows:
                    self.windows[sid] += inc
                    self.granted[sid] += inc
            else:
                self.frames.append((t, f, sid, p))

    def push(self, sid, total, sent, deadline, until_blocked=False):
        """Sends DATA on `sid` while both windows allow, until `total` or the deadline (or, with
        `until_blocked`, until a window is spent)."""
        while sent < total and time.time() < deadline:
            batch = b""
            while len(batch) < CHUNK and sent < total:
                n = min(16384, total - sent, self.windows[sid], self.conn_window)
                if n <= 0:
                    break
                end = 0x1 if sent + n == total else 0
                at = sent % CHUNK  # the body is BLOCK repeated, as upload_case sends it
                batch += h2_frame(0x0, end, sid, BLOCK2[at:at + n])
                self.windows[sid] -= n
                self.conn_window -= n
                sent += n
            if batch:
                self.send(batch, deadline)
            elif until_blocked:
                break
            self.pump(0 if batch else 0.05)
        return sent

    def push_until_stalled(self, sid, total, quiet, deadline):
        """push() until both the windows are spent and `quiet` seconds bring no more credit."""
        sent = 0
        while time.time() < deadline:
            sent = self.push(sid, total, sent, deadline, until_blocked=True)
            if sent == total:
                break
            granted = self.granted[sid], self.conn_window
            stop = time.time() + quiet
            while time.time() < stop and (self.granted[sid], self.conn_window) == granted:
                self.pump(0.1)
            if (self.granted[sid], self.conn_window) == granted:
                return sent
        return sent

    def response(self, sid, deadline):
        """The status and body of `sid`, once its END_STREAM arrived."""
        body, status = b"", None
        while time.time() < deadline:
            for t, f, s, p in self.frames:
                if s == sid and t == 0x3:
                    fail(f"h2 upload: stream {sid} reset (code {int.from_bytes(p, 'big')})")
            done = [fr for fr in self.frames if fr[2] == sid and fr[1] & 1 and fr[0] in (0, 1)]
            if done:
                for t, f, s, p in self.frames:
                    if s == sid and t == 0x1:
                        status = p
                    if s == sid and t == 0x0:
                        body += p
                return status, body
            self.pump(0.1)
        return None, None


def upload_h2_case(proxy_port, host, backend, proxy_pid, body_size=BODY):
    """An h2c client uploads `body_size` bytes to a backend that takes none of them (an HTTP/1.1
    backend that reads nothing, or an h2c backend that grants no stream credit): the proxy returns
    credit only as it forwards (RFC 9113 §6.9), so the stream's window reaches zero with far less
    than the body sent, and no more credit comes while the backend stalls; a second stream on the
    same connection is served meanwhile; once the backend reads, every byte arrives."""
    backend.resume.clear()
    base = rss_kib(proxy_pid)
    c = H2Uploader(proxy_port)
    c.pump(0.5)
    c.open(1, h2_request_block(host.encode(), b"/upload", body_size))
    sent = c.push_until_stalled(1, body_size, STALL_SECONDS, time.time() + 60)
    if sent >= min(MAX_IN_FLIGHT, body_size):
        fail(f"h2 upload via {host}: {sent} bytes credited to a stream whose backend reads nothing")
    if c.windows[1] != 0 and c.conn_window != 0:
        fail(f"h2 upload via {host}: stalled with windows still open ({c.windows[1]}, "
             f"{c.conn_window}) after {sent} bytes")
    granted = c.granted[1]
    growth = rss_kib(proxy_pid) - base
    if growth > MAX_RSS_GROWTH_KIB:
        fail(f"h2 upload via {host}: proxy RSS grew by {growth} KiB while the backend stalled")
    # A second stream on the same connection: its request body and its answer pass at once.
    small = 20000
    c.open(3, h2_request_block(host.encode(), b"/sink", small))
    start = time.time()
    if c.push(3, small, 0, start + 5) != small:
        fail(f"h2 upload via {host}: a second stream could not send {small} bytes beside the "
             "stalled one")
    _, body = c.response(3, start + 5)
    if body != str(small).encode():
        fail(f"h2 upload via {host}: the second stream got {body!r}, expected {small}")
    second = time.time() - start
    backend.resume.set()
    sent = c.push(1, body_size, sent, time.time() + 120)
    if sent != body_size:
        fail(f"h2 upload via {host}: only {sent} of {body_size} bytes sent after the backend resumed "
             f"(windows {c.windows[1]}, {c.conn_window}; frames "
             f"{[(t, f, sid, p[:40]) for t, f, sid, p in c.frames][-8:]})")
    _, body = c.response(1, time.time() + 60)
    if body is None or body[:64].decode() != expected_sha(body_size):
        fail(f"h2 upload via {host}: the backend got a different body ({body!r:.80})")
    c.s.close()
    print(f"ok h2 upload via {host}: stream window zero after {granted} bytes "
          f"({granted >> 10} KiB credited, none more while stalled), a second stream served in "
          f"{second:.2f} s, RSS +{growth} KiB")


def read_frames(sock, until, deadline):
    """Reads HTTP/2 frames until `until(type, flags, stream, payload)` is true or the deadline."""
    buf = b""
    sock.settimeout(0.5)
    while time.time() < deadline:
        while len(buf) >= 9:
            n = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + n:
                break
            ftype, flags = buf[3], buf[4]
            stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            payload = buf[9:9 + n]
            buf = buf[9 + n:]
            if until(ftype, flags, stream, payload):
                return (ftype, flags, stream, payload)
        try:
            d = sock.recv(65536)
        except socket.timeout:
            continue
        if not d:
            return None
        buf += d
    return None


def stall_h2_case(proxy_port, host):
    """An h2c client with SETTINGS_INITIAL_WINDOW_SIZE 0 asks for 64 MiB and never opens its window."""
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(0x4, 0, 0, struct.pack(">HI", 0x4, 0)))
    authority = host.encode()
    block = (b"\x82\x86" + b"\x41" + bytes([len(authority)]) + authority +
             b"\x04" + bytes([len(b"/download")]) + b"/download")
    s.sendall(h2_frame(0x1, 0x5, 1, block))  # HEADERS, END_STREAM | END_HEADERS
    start = time.time()
    rst = read_frames(s, lambda t, f, sid, p: t == 0x3 and sid == 1, start + 30)
    if rst is None:
        fail("h2 zero window: no RST_STREAM for the stalled stream")
    code = int.from_bytes(rst[3], "big")
    if code != 0x8:
        fail(f"h2 zero window: RST_STREAM code {code}, expected CANCEL (8)")
    waited = time.time() - start
    s.sendall(h2_frame(0x6, 0, 0, b"stillok!"))
    ack = read_frames(s, lambda t, f, sid, p: t == 0x6 and f & 1 and p == b"stillok!", time.time() + 10)
    if ack is None:
        fail("h2 zero window: the connection did not answer PING after the stream was cut")
    s.close()
    print(f"ok h2 zero window: stream cut with CANCEL after {waited:.1f} s, connection alive")


def reset_mid_response_case(proxy_port, host):
    """Two streams on one h2c connection: the backend of one resets mid-response. That stream
    gets RST_STREAM; the other completes whole, and the connection still answers PING."""
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(0x4, 0, 0))
    authority = host.encode()
    for sid, path in ((1, b"/reset-mid"), (3, b"/small")):
        block = (b"\x82\x86" + b"\x41" + bytes([len(authority)]) + authority +
                 b"\x04" + bytes([len(path)]) + path)
        s.sendall(h2_frame(0x1, 0x5, sid, block))
    got = {1: 0, 3: 0}
    ended, reset = set(), {}

    def watch(t, f, sid, p):
        if t == 0x0 and sid in got:
            got[sid] += len(p)
            if f & 1:
                ended.add(sid)
        if t == 0x3:
            reset[sid] = int.from_bytes(p, "big")
        return 1 in reset and 3 in ended

    if read_frames(s, watch, time.time() + 30) is None:
        fail(f"reset mid-response: streams ended {ended}, reset {reset}, bytes {got}")
    if got[3] != 10000 or 3 in reset:
        fail(f"reset mid-response: the other stream got {got[3]} bytes, reset {reset}")
    if 1 in ended:
        fail("reset mid-response: the cut response was ended cleanly instead of reset")
    s.sendall(h2_frame(0x6, 0, 0, b"stillok!"))
    if read_frames(s, lambda t, f, sid, p: t == 0x6 and f & 1, time.time() + 10) is None:
        fail("reset mid-response: the connection did not answer PING")
    s.close()
    print(f"ok backend reset mid-response: that stream reset (code {reset[1]}) after {got[1]} "
          f"bytes, the other whole")


def stall_h1_case(proxy_port, host):
    """An HTTP/1.1 client that reads the head of a 64 MiB response and then nothing: closed."""
    s = socket.create_connection(("127.0.0.1", proxy_port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    s.sendall(f"GET /download HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    start = time.time()
    head, rest = read_head(s)
    time.sleep(4)  # well past the 1 s stall deadline
    got = len(rest)
    s.settimeout(10)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            got += len(d)
    except ConnectionResetError:
        pass
    except socket.timeout:
        fail("h1 stalled reader: the proxy kept the connection open")
    if got >= BODY:
        fail("h1 stalled reader: the whole body arrived although the client stalled past the deadline")
    s.close()
    print(f"ok h1 stalled reader: closed after {got >> 20} MiB, {time.time() - start:.1f} s")


def start_proxy(crossmux, work, name, proxy_port, backend_port, h2_backend_port, stall):
    cfg = os.path.join(work, name + ".toml")
    with open(cfg, "w") as f:
        f.write(f"""[global]
access_log = "off"
[timeouts]
flow_control_stall = "{stall}"
[[listeners]]
name = "main"
address = "127.0.0.1:{proxy_port}"
protocols = ["http/1.1", "h2c"]
[[clusters]]
name = "stall"
protocol = "http1"
backends = ["127.0.0.1:{backend_port}"]
[[clusters]]
name = "stall-h2"
protocol = "h2c"
backends = ["127.0.0.1:{h2_backend_port}"]
[[frontends]]
hostname = "h2.stall.test"
cluster = "stall-h2"
[[frontends]]
cluster = "stall"
""")
    log = os.path.join(work, name + ".log")
    with open(log, "w") as out:
        proc = subprocess.Popen([crossmux, "proxy", "--config", cfg], stdout=out, stderr=out)
    wait_listening(proxy_port, proc, log)
    return proc, log


def main():
    if len(sys.argv) != 2:
        fail(__doc__)
    crossmux = sys.argv[1]
    work = tempfile.mkdtemp(prefix="crossmux-bp-")
    backend = StallingBackend(free_port())
    backend.start()
    h2_backend = H2StallingBackend(free_port())
    h2_backend.start()
    proxy_port = free_port()
    proc, log = start_proxy(crossmux, work, "patient", proxy_port, backend.port, h2_backend.port,
                            "60s")
    try:
        download_case(proxy_port, "stall.test", backend, proc.pid)
        upload_case(proxy_port, "stall.test", backend, proc.pid)
        upload_h2_case(proxy_port, "stall.test", backend, proc.pid, 24 * 1024 * 1024)
        upload_h2_case(proxy_port, "h2.stall.test", h2_backend, proc.pid, 8 * 1024 * 1024)
        reset_mid_response_case(proxy_port, "stall.test")
        if proc.poll() is not None:
            fail("proxy died: " + open(log).read())
    finally:
        proc.terminate()
        proc.wait(10)
    strict_port = free_port()
    proc, log = start_proxy(crossmux, work, "strict", strict_port, backend.port, h2_backend.port,
                            "1s")
    try:
        stall_h2_case(strict_port, "stall.test")
        stall_h1_case(strict_port, "stall.test")
        if proc.poll() is not None:
            fail("proxy died: " + open(log).read())
    finally:
        proc.terminate()
        proc.wait(10)
    print("backpressure ok")


if __name__ == "__main__":
    main()
