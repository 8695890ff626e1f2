"""Helpers shared by the proxy's Python end-to-end tests: ports, HTTP/1.1 status reading, and
hand-built HTTP/2 frames (RFC 9113 §4.1) for peers that misbehave on purpose."""
import random
import socket
import struct
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def free_port():
    """A free port below the ephemeral range (no client socket can take it before the bind)."""
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
    raise RuntimeError("no free port")


def wait_port(port, seconds=20):
    """True once something accepts on 127.0.0.1:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def read_status(s, timeout):
    """The status of the first HTTP/1.1 response on `s`, None on EOF or silence."""
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    if not data.startswith(b"HTTP/1.1 "):
        return None
    return int(data.split(b" ")[1])


def frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def literal(index, value):
    # RFC 7541 §6.2.2: literal without indexing, name from the static table, no Huffman.
    v = value.encode()
    assert len(v) < 127
    return bytes([index]) + bytes([len(v)]) + v


def h2_get(stream, authority, path):
    block = b"\x82\x86" + literal(4, path) + literal(1, authority)  # GET http
    return frame(1, 0x5, stream, block)  # END_STREAM | END_HEADERS


def settings(**values):
    """A SETTINGS frame; keys are RFC 9113 §6.5.2 names: initial_window_size=0 etc."""
    ids = {"header_table_size": 1, "enable_push": 2, "max_concurrent_streams": 3,
           "initial_window_size": 4, "max_frame_size": 5, "max_header_list_size": 6}
    return frame(4, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in values.items()))
