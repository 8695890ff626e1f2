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
    # 16 default (long) timeouts.
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
    # shape&7 status 200/204/304/404/502/103/200/301; 8 content-type; 16 content-length.
    return bytes([RESP, backend, pick, shape, body])


def time(step):  # 1, 10, 99, 150, 301, 1000, 10001, 61000 ms
    return bytes([TIME, step])


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
