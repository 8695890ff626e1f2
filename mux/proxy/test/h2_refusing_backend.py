#!/usr/bin/env python3
"""An h2c backend that processes nothing (standard library only): after the connection preface
and SETTINGS exchange, every request stream it sees is refused.

Usage: h2_refusing_backend.py PORT MODE COUNT_FILE
  MODE refuse: RST_STREAM(REFUSED_STREAM) on each request stream (RFC 9113 §8.7);
  MODE goaway: GOAWAY(last-stream-id 0, NO_ERROR) at the first request, then close (§6.8).
Each request stream seen appends one line to COUNT_FILE, so a test can tell the proxy reached it.
"""
import socket, struct, sys, threading

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x1, 0x3, 0x4, 0x7


def frame(ftype, flags, stream, payload=b""):
    return struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack("!I", stream) + payload


def serve(conn, mode, count_file):
    buf = b""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            chunk = conn.recv(65536)
            if not chunk:
                raise EOFError
            buf += chunk
    try:
        need(len(PREFACE))
        buf = buf[len(PREFACE):]
        conn.sendall(frame(SETTINGS, 0, 0))
        while True:
            need(9)
            length = int.from_bytes(buf[:3], "big")
            ftype, flags = buf[3], buf[4]
            stream = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
            need(9 + length)
            buf = buf[9 + length:]
            if ftype == SETTINGS and not flags & 1:
                conn.sendall(frame(SETTINGS, 1, 0))
            elif ftype == HEADERS:
                with open(count_file, "a") as f:
                    f.write(f"{stream}\n")
                if mode == "refuse":
                    conn.sendall(frame(RST_STREAM, 0, stream, struct.pack("!I", 0x7)))
                else:
                    # Close gracefully: FIN after the GOAWAY, then drain what the proxy still
                    # sends, so no RST makes the proxy's kernel drop the unread GOAWAY.
                    conn.sendall(frame(GOAWAY, 0, 0, struct.pack("!II", 0, 0)))
                    conn.shutdown(socket.SHUT_WR)
                    while conn.recv(65536):
                        pass
                    return
    except (EOFError, ConnectionError):
        pass
    finally:
        conn.close()


def main():
    port, mode, count_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, mode, count_file), daemon=True).start()


if __name__ == "__main__":
    main()
