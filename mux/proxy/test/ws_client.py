#!/usr/bin/env python3
"""WebSocket checks through the proxy (RFC 6455 client on the standard library only).

Usage: ws_client.py h1 PORT HOST       a real HTTP/1.1 Upgrade handshake on a socket
       ws_client.py h2 PORT HOST TOOL  an HTTP/2 extended CONNECT stream (RFC 8441) opened by
                                       TOOL (h2_tunnel_client), WebSocket frames over its pipes
       ws_client.py h1-status PORT HOST PATH  prints the status of an Upgrade to PATH
       ws_client.py h1-flood PORT HOST PROXY_PID MIB  backpressure (see flood())
       ws_client.py h1-idle PORT HOST PAUSE MIN MAX   timeouts.tunnel (see idle())
       ws_client.py h2-idle PORT HOST PAUSE MIN MAX TOOL

Against the origin's /ws echo, each check opens a WebSocket and asserts:
  handshake  101 with the right Sec-WebSocket-Accept (HTTP/1.1) or 200 (HTTP/2);
  echo       a text, a 70000-byte binary (64-bit length) and a fragmented message come back,
             a ping gets its pong;
  client close  our close frame (1000) is answered with a close and the stream ends;
  server close  the origin's close (on "please close") reaches us and the stream ends;
  half close    ending our direction without a close frame (FIN / END_STREAM) ends theirs.
Exits non-zero with a reason on the first failure.
"""
import base64, hashlib, os, socket, struct, subprocess, sys, time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 20


class SocketStream:
    def __init__(self, port, host, path="/ws"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise SystemExit(f"connection closed during the handshake: {head!r}")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.expected_accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()

    def check_handshake(self):
        if self.status != 101:
            raise SystemExit(f"handshake status {self.status}, want 101")
        if self.headers.get("upgrade", "").lower() != "websocket":
            raise SystemExit(f"101 without Upgrade: websocket: {self.headers}")
        if "upgrade" not in self.headers.get("connection", "").lower():
            raise SystemExit(f"101 without Connection: upgrade: {self.headers}")
        if self.headers.get("sec-websocket-accept") != self.expected_accept:
            raise SystemExit(f"Sec-WebSocket-Accept {self.headers.get('sec-websocket-accept')!r},"
                             f" want {self.expected_accept!r}")

    def send(self, data):
        self.sock.sendall(data)

    def recv(self):
        if self.buf:
            data, self.buf = self.buf, b""
            return data
        return self.sock.recv(65536)

    def end(self):
        self.sock.shutdown(socket.SHUT_WR)


class TunnelToolStream:
    def __init__(self, tool, port, host, path="/ws"):
        self.proc = subprocess.Popen([tool, str(port), host, path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line.startswith(b"STATUS "):
            raise SystemExit(f"no response head (exit {self.proc.wait()}): {line!r}")
        self.status = int(line.split()[1])
        self.buf = b""

    def check_handshake(self):
        if self.status != 200:
            raise SystemExit(f"extended CONNECT status {self.status}, want 200")

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def recv(self):
        return os.read(self.proc.stdout.fileno(), 65536)

    def end(self):
        self.proc.stdin.close()


class WebSocket:
    def __init__(self, stream):
        self.s = stream
        self.buf = b""

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        # XOR with the repeated key as one big integer: fast enough for tens of MiB.
        key = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
        self.s.send(head + mask + masked)

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv()
            if not chunk:
                raise SystemExit(f"stream ended inside a frame ({len(self.buf)} of {n} bytes)")
            self.buf += chunk

    def recv_frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise SystemExit("server frame is masked")
        n, at = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(at + n)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def expect(self, fin, opcode, payload, what):
        got = self.recv_frame()
        if got != (fin, opcode, payload):
            raise SystemExit(f"{what}: got fin={got[0]} opcode={got[1]} "
                             f"{len(got[2])} bytes {got[2][:40]!r}")

    def expect_end(self, what):
        if self.buf:
            raise SystemExit(f"{what}: {len(self.buf)} unexpected bytes before the end")
        try:
            chunk = self.s.recv()
        except (ConnectionResetError, socket.timeout) as e:
            raise SystemExit(f"{what}: {e!r} instead of a clean end")
        if chunk:
            raise SystemExit(f"{what}: {chunk[:40]!r} instead of the end")


def run(open_stream):
    ws = WebSocket(open_stream())
    ws.s.check_handshake()
    ws.send_frame(0x1, b"hello through the proxy")
    ws.expect(True, 0x1, b"hello through the proxy", "text echo")
    big = os.urandom(70000)
    ws.send_frame(0x2, big)
    ws.expect(True, 0x2, big, "70000-byte binary echo")
    ws.send_frame(0x1, b"frag", fin=False)
    ws.send_frame(0x0, b"mented", fin=True)
    ws.expect(False, 0x1, b"frag", "first fragment")
    ws.expect(True, 0x0, b"mented", "last fragment")
    ws.send_frame(0x9, b"ping!")
    ws.expect(True, 0xA, b"ping!", "pong")
    ws.send_frame(0x8, struct.pack("!H", 1000))
    ws.expect(True, 0x8, struct.pack("!H", 1000), "close answered")
    ws.expect_end("after the client's close")

    ws = WebSocket(open_stream())
    ws.s.check_handshake()
    ws.send_frame(0x1, b"please close")
    ws.expect(True, 0x8, struct.pack("!H", 1000) + b"bye", "server-initiated close")
    ws.expect_end("after the server's close")

    ws = WebSocket(open_stream())
    ws.s.check_handshake()
    ws.send_frame(0x2, b"\x00\x01")
    ws.expect(True, 0x2, b"\x00\x01", "echo before half close")
    ws.s.end()
    ws.expect_end("after our half close")


def peak_rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM")


def flood(port, host, proxy_pid, mib):
    """Backpressure: MIB MiB of binary frames are sent while nothing is read (the echo piles up
    behind the proxy), then all of it is read back intact. The proxy's peak RSS may grow by far
    less than what crossed it: each direction holds a bounded queue and stops reading when full."""
    ws = WebSocket(SocketStream(port, host))
    ws.s.check_handshake()
    before = peak_rss_kib(proxy_pid)
    frame = 64 * 1024
    sent = hashlib.sha256()
    for i in range(mib * 16):
        payload = bytes([i % 251]) * frame
        sent.update(payload)
        ws.send_frame(0x2, payload)
    got = hashlib.sha256()
    for i in range(mib * 16):
        fin, opcode, payload = ws.recv_frame()
        if (fin, opcode, len(payload)) != (True, 0x2, frame):
            raise SystemExit(f"flood frame {i}: fin={fin} opcode={opcode} {len(payload)} bytes")
        got.update(payload)
    if got.digest() != sent.digest():
        raise SystemExit("flood echo differs from what was sent")
    growth = peak_rss_kib(proxy_pid) - before
    if growth > 16 * 1024:
        raise SystemExit(f"proxy peak RSS grew by {growth} KiB while {mib} MiB were held back")
    print(f"{mib} MiB each way, proxy peak RSS +{growth} KiB")


def idle(stream, pause, least, most):
    """timeouts.tunnel: a WebSocket left idle for PAUSE seconds (longer than the proxy's
    stream_progress, shorter than its tunnel timeout) still echoes; left idle again, the proxy
    ends it after at least LEAST and at most MOST seconds (a close or a reset, never data)."""
    ws = WebSocket(stream)
    ws.s.check_handshake()
    ws.send_frame(0x1, b"before the pause")
    ws.expect(True, 0x1, b"before the pause", "echo before the pause")
    time.sleep(pause)
    ws.send_frame(0x1, b"after the pause")
    ws.expect(True, 0x1, b"after the pause", f"echo after {pause}s idle")
    start = time.monotonic()
    try:
        chunk = ws.s.recv()
    except ConnectionResetError:
        chunk = b""
    except socket.timeout:
        raise SystemExit(f"idle tunnel still open after {time.monotonic() - start:.1f}s")
    waited = time.monotonic() - start
    if chunk:
        raise SystemExit(f"idle tunnel sent {chunk[:40]!r}")
    if not least <= waited <= most:
        raise SystemExit(f"idle tunnel ended after {waited:.1f}s, want {least}-{most}s")
    print(f"echo after {pause}s idle, then ended after {waited:.1f}s idle")


def main():
    mode, port, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "h1":
        run(lambda: SocketStream(port, host))
    elif mode == "h2":
        run(lambda: TunnelToolStream(sys.argv[4], port, host))
    elif mode == "h1-flood":
        flood(port, host, int(sys.argv[4]), int(sys.argv[5]))
    elif mode in ("h1-idle", "h2-idle"):
        pause, least, most = (float(a) for a in sys.argv[4:7])
        stream = (SocketStream(port, host) if mode == "h1-idle"
                  else TunnelToolStream(sys.argv[7], port, host))
        idle(stream, pause, least, most)
    elif mode == "h1-status":
        print(SocketStream(port, host, sys.argv[4]).status)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
