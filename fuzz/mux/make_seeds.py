#!/usr/bin/env python3
"""Writes the mux_session seed corpus: action scripts (see mux_session_fuzzer.cc) for the main
paths of a proxy session, and real client traffic recorded from curl and nghttp (captures/:
curl 7.88 and nghttp 1.52 against a socket that records what it receives).

Usage: fuzz/mux/make_seeds.py OUTDIR   (files are named by their SHA-256)
"""
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Opcodes are op % 20 in Harness::step().
REQ, RAW_CLIENT, H2_FRAME, RESP, RAW_BACKEND, STALL, CLIENT_CLOSE, BACKEND_CLOSE = 0, 4, 5, 6, 9, 10, 11, 12
CONNECT, TIME, NEW_CLIENT, CONTINUE = 13, 14, 16, 18
# Body size indexes (Harness::body_size): 0, 1, 5, 100, 4000, 20000, 70000.
B0, B1, B5, B100, B4K, B20K, B70K = range(7)


def header(mode=0, shape=0, peer=0):
    # mode: 1 H2 client, 2 cluster a over h2c, 4 connects wait for the script, 8 two backends,
    # 16 default (long) timeouts, 0x60/0xA0/0xE0 max_request_body 300/3999/4000 (LIMIT_*).
    # peer: 128 HTTP/2 backends without extended CONNECT.
    return bytes([mode, shape, peer])


def h1_req(shape=0, method=0, target=0, host=0, body=B0, sizes=(), client=0):
    # shape: 1 HTTP/1.0, 2 Host even when empty, (shape>>2)&3 framing none/CL/chunked/both,
    # 16 Connection: close, 32 Expect: 100-continue, 64 Upgrade, 128 chunked trailers.
    return bytes([REQ, client, shape, method, target, host, body, len(sizes), *sizes])


def raw_client(data, sizes=(), client=0):
    return bytes([RAW_CLIENT, client, len(data) >> 8, len(data) & 255]) + data + bytes([len(sizes), *sizes])


def h1_resp(shape=0, body=B5, sizes=(), backend=0):
    # shape&7 status 200/204/304/404/502/101/200/301; (shape>>3)&3 CL/chunked/close/none;
    # 32 Connection: close; 64 extra fields; 128 chunked trailers.
    return bytes([RESP, backend, shape, body, len(sizes), *sizes])


def h2_resp(pick=0, shape=0, body=B5, backend=0):
    # shape&7 status 200/204/304/404/502/103/200/301; 8 content-type; 16 content-length;
    # 32 raw frames for a bodiless status or HEAD (DATA follows) or a tunnel request (2xx left open).
    return bytes([RESP, backend, pick, shape, body])


def time(step):  # 1, 10, 99, 150, 301, 1000, 10001, 61000 ms
    return bytes([TIME, step])


def h2_req(shape=0, body=B0, pshape=0, method=0, first=False, client=0):
    # An HTTP/2 request (session_traffic.h h2_request): shape 1 a body, 2 trailers; pshape%8 == 5
    # adds :protocol websocket; method 0 GET, 1 POST, 2 HEAD, 3 CONNECT, 4 OPTIONS, 5 PUT;
    # :scheme https, :authority example.com, :path /, no other field, one HEADERS frame.
    # `first`: the connection's preface and an empty SETTINGS go first.
    out = bytes([REQ, client]) + (bytes([0]) if first else b"") + bytes([shape])
    out += bytes([body]) if shape & 1 else b""
    out += bytes([pshape, method]) + bytes([0] * sum(pshape % 8 != k for k in (1, 2, 3)))
    out += bytes([0, 1])  # no regular field; the block in one HEADERS frame
    if shape & 2:
        out += bytes([0, 1])  # trailers: no field
    return out + bytes([0])  # sent in one piece


def h2_data(data, end=False, client=0):  # DATA on the client's newest stream
    return bytes([H2_FRAME, client, 2, len(data)]) + data + bytes([1 if end else 0, 0])


def h2_frames(data, client=0):  # raw client bytes that are whole HTTP/2 frames
    return raw_client(data, client=client)


def h2_frame(type_, flags, stream, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([type_, flags]) + stream.to_bytes(4, "big") + payload


# A POST to example.com on stream 3 left open (HPACK: static :method POST, :scheme https,
# :path /, :authority as a literal without indexing, so no dynamic table changes), then 600 bytes
# of DATA; and the client's SETTINGS ACK (its window settings apply from it, RFC 9113 §6.9.2).
OPEN_POST_3 = h2_frame(1, 4, 3, bytes([0x83, 0x87, 0x84, 0x01, 11]) + b"example.com") + h2_frame(0, 0, 3, b"b" * 600)
SETTINGS_ACK = bytes([H2_FRAME, 0, 5, 4, 1, 0, 0, 0])
# The preface and an empty SETTINGS; a POST's HEADERS on stream 3 left open (as OPEN_POST_3), and
# the same with content-length: 4000 (a literal without indexing, static name index 28).
PREFACE_SETTINGS = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0)
POST_3_HEAD = h2_frame(1, 4, 3, bytes([0x83, 0x87, 0x84, 0x01, 11]) + b"example.com")
POST_3_HEAD_CL_4000 = h2_frame(1, 4, 3, bytes([0x83, 0x87, 0x84, 0x01, 11]) + b"example.com" + bytes([0x0F, 13, 4]) + b"4000")
# Mode bits 5-7 choosing limits.max_request_body (session_config.h kBodyLimits).
LIMIT_300, LIMIT_3999, LIMIT_4000 = 0x60, 0xA0, 0xE0


def stall(backend=False, which=0):  # toggles whether that end reads
    return bytes([STALL, 1 if backend else 0, which])


# HTTP/1.1 tunnel-request answers (h1_resp shape for a request with Upgrade): status
# 200 204 426 404 502 101 101 101; a 101's Upgrade is (shape>>3)&3: websocket, h2c, WebSocket, none.
WS101, H2C101, NOUPGRADE101, R426 = 5, 5 | 8, 5 | 24, 2
UPGRADE = 64  # h1_req shape: Upgrade: websocket


def capture(name):
    with open(os.path.join(HERE, "captures", name), "rb") as f:
        return f.read()


SEEDS = {
    "h1_get_h1": header() + h1_req() + h1_resp(),
    "h1_get_h2": header(2) + h1_req() + h2_resp(),
    "h1_post_h2_big": header(2) + h1_req(shape=4, method=1, body=B4K, sizes=(7, 100)) + h2_resp(shape=16, body=B20K),
    "h1_chunked_trailers_h1": header() + h1_req(shape=8 | 128, method=1, body=B100, sizes=(3,)) + h1_resp(shape=8, body=B100, sizes=(9,)),
    "h1_pipelined": header() + h1_req() + h1_req(target=1) + h1_resp() + h1_resp(shape=8),
    "h1_te_and_cl": header() + h1_req(shape=12, method=1, body=B5),
    "h1_expect_continue": header() + h1_req(shape=4 | 32, method=1, body=B5) + bytes([CONTINUE, 0]) + h1_resp(),
    "h1_head": header() + h1_req(method=2) + h1_resp(body=B100),
    "h1_close_delimited": header() + h1_req() + h1_resp(shape=16, body=B100),
    "h1_backend_timeout": header() + h1_req() + time(4) + time(4),
    "h1_connect_refused_retry": header(4 | 8, peer=32) + h1_req() + bytes([CONNECT, 0]) + bytes([CONNECT, 1]) + h1_resp(),
    "h1_connect_accept": header(4) + h1_req() + bytes([CONNECT, 1]) + h1_resp(),
    "h1_stalled_client": header() + h1_req() + bytes([STALL, 0, 0]) + h1_resp(body=B70K) + bytes([STALL, 0, 0]),
    "h1_backend_reset": header() + h1_req() + bytes([BACKEND_CLOSE, 0, 2]),
    "h1_client_reset_mid_body": header() + h1_req(shape=4, method=1, body=B20K, sizes=(200,)) + bytes([CLIENT_CLOSE, 0, 2]),
    "h1_no_route": header() + h1_req(target=2, method=4),
    "curl_get": header() + raw_client(capture("curl_get")) + h1_resp(),
    "curl_post_h2": header(2) + raw_client(capture("curl_post"), sizes=(40,)) + h2_resp(),
    "curl_chunked": header() + raw_client(capture("curl_chunked")) + h1_resp(),
    "curl_h2_h1": header(1) + raw_client(capture("curl_h2")) + h1_resp(shape=8, body=B100),
    "curl_h2_post_h2": header(3) + raw_client(capture("curl_h2_post")) + h2_resp(body=B4K),
    "nghttp_get_h2": header(3) + raw_client(capture("nghttp_get")) + h2_resp(shape=8),
    "nghttp_get_h1": header(1) + raw_client(capture("nghttp_get"), sizes=(24, 9)) + h1_resp(),
    "nghttp_post_h2": header(3) + raw_client(capture("nghttp_post")) + h2_resp(body=B100),
    "nghttp_multi_h2": header(3, shape=1) + raw_client(capture("nghttp_multi")) + h2_resp() + h2_resp(pick=1) + h2_resp(),
    "nghttp_multi_h1_pool": header(1, shape=0x40) + raw_client(capture("nghttp_multi")) + h1_resp() + h1_resp() + h1_resp(),
    "two_clients_share_h2": header(2) + h1_req() + bytes([NEW_CLIENT, 1]) + raw_client(capture("nghttp_get"), client=1) + h2_resp() + h2_resp(),
    "h2_backend_goaway": header(3) + raw_client(capture("nghttp_multi")) + bytes([BACKEND_CLOSE, 0, 3, 0]),
    "h2_idle_timeout": header(3) + raw_client(capture("curl_h2")) + h2_resp() + time(7),
    # Tunnels open only with the backend's consent (issue #14); the bytes sent before it wait.
    "upgrade_101_websocket": header() + h1_req(shape=UPGRADE) + raw_client(b"early") + h1_resp(shape=WS101) + raw_client(b"after"),
    "upgrade_101_h2c_is_502": header() + h1_req(shape=UPGRADE) + raw_client(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + h1_resp(shape=H2C101),
    "upgrade_101_without_upgrade_is_502": header() + h1_req(shape=UPGRADE) + raw_client(b"early") + h1_resp(shape=NOUPGRADE101),
    "upgrade_refused_426_pool_stays_healthy": header() + h1_req(shape=UPGRADE) + raw_client(b"GET /held HTTP/1.1\r\nHost: example.com\r\n\r\n") + h1_resp(shape=R426) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h1_resp(),
    "upgrade_to_h2_backend_consent": header(2) + h1_req(shape=UPGRADE) + raw_client(b"early") + h2_resp(body=B5) + raw_client(b"after"),
    "upgrade_to_h2_backend_refused": header(2) + h1_req(shape=UPGRADE) + raw_client(b"early") + h2_resp(shape=3, body=B5),
    "ext_connect_to_h1_backend_101": header(1) + h2_req(shape=1, body=B5, pshape=5, method=3, first=True) + h1_resp(shape=WS101) + h2_data(b"after"),
    "ext_connect_to_h1_backend_refused": header(1) + h2_req(shape=1, body=B5, pshape=5, method=3, first=True) + h1_resp(shape=R426),
    "ext_connect_to_h2_backend_2xx": header(3) + h2_req(shape=1, body=B5, pshape=5, method=3, first=True) + h2_resp(body=B5) + h2_data(b"after"),
    "ext_connect_to_h2_backend_open_2xx": header(3) + h2_req(shape=1, body=B5, pshape=5, method=3, first=True) + h2_resp(shape=32, body=B5) + h2_data(b"after"),
    "ext_connect_to_h2_backend_refused": header(3) + h2_req(shape=1, body=B5, pshape=5, method=3, first=True) + h2_resp(shape=3, body=B5) + h2_data(b"after"),
    # A connection is reused only after an exchange that ended framed.
    "h1_reuse_after_framed": header() + h1_req() + h1_resp() + h1_req() + h1_resp(shape=8),
    "h1_no_reuse_after_connection_close": header() + h1_req() + h1_resp(shape=32) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h1_resp(),
    "h1_no_reuse_after_unframed_response": header() + h1_req() + h1_resp(shape=24) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h1_resp(),
    "h1_no_reuse_after_client_left_mid_response": header() + h1_req() + stall() + h1_resp(body=B70K) + bytes([CLIENT_CLOSE, 0, 2]) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h1_resp(),
    # Receive credit only for bytes forwarded or discarded (issue #16).
    # (An upload queued behind a busy connection, windows of 1,024: credit is due at 512 bytes.)
    "h2_upload_queued_h1_backend": header(1, shape=4) + h2_req(first=True) + SETTINGS_ACK + h2_frames(OPEN_POST_3) + h1_resp() + h1_resp(),
    "h2_upload_queued_h2_backend": header(3, shape=4, peer=1) + h2_req(first=True) + SETTINGS_ACK + h2_frames(OPEN_POST_3) + h2_resp() + h2_resp(),
    "h2_download_to_stalled_h2_client": header(3) + h2_req(first=True) + stall() + h2_resp(body=7) + time(2) + stall(),
    # Bodiless responses from HTTP/2 backends that carry DATA (RFC 9113 §8.1.1, issue #16).
    "h2_backend_204_with_data": header(2) + h1_req() + h2_resp(shape=1 | 32, body=B5) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h2_resp(),
    "h2_backend_304_with_data": header(2) + h1_req() + h2_resp(shape=2 | 32, body=B100) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h2_resp(),
    "h2_backend_head_with_data": header(2) + h1_req(method=2) + h2_resp(shape=32, body=B5) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h2_resp(),
    "h2_backend_head_with_data_h2_client": header(3) + h2_req(method=2, first=True) + h2_resp(shape=32, body=B5),
    # limits.max_request_body (mode bits 5-7, session_config.h): 413 before forwarding, 413 with the
    # backend's copy abandoned, a body at the limit forwarded whole, a stream cut once answered.
    "h1_content_length_over_limit_413": header(LIMIT_300) + h1_req(shape=4, method=1, body=B4K) + h1_resp(),
    "h1_chunked_over_limit_413_backend_copy_cut": header(LIMIT_300) + h1_req(shape=8, method=1, body=B4K, sizes=(66,)) + bytes([NEW_CLIENT, 0]) + h1_req(client=1) + h1_resp(),
    "h1_body_at_limit_forwarded": header(LIMIT_4000) + h1_req(shape=8, method=1, body=B4K) + h1_resp(),
    "h2_content_length_over_limit_413": header(LIMIT_3999 | 3) + h2_frames(PREFACE_SETTINGS + POST_3_HEAD_CL_4000) + h2_frames(h2_frame(0, 1, 3, b"b" * 200)),
    "h2_data_over_limit_413_h1_backend": header(LIMIT_300 | 1) + h2_frames(PREFACE_SETTINGS + POST_3_HEAD + h2_frame(0, 0, 3, b"b" * 200)) + h2_frames(h2_frame(0, 0, 3, b"b" * 200)) + h1_resp(),
    "h2_data_over_limit_after_response_cut": header(LIMIT_300 | 3) + h2_frames(PREFACE_SETTINGS + POST_3_HEAD + h2_frame(0, 0, 3, b"b" * 200)) + h2_resp() + h2_frames(h2_frame(0, 0, 3, b"b" * 200)),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for data in SEEDS.values():
        with open(os.path.join(out, hashlib.sha256(data).hexdigest()), "wb") as f:
            f.write(data)
    print(f"{len(SEEDS)} seeds in {out}")


if __name__ == "__main__":
    main()
