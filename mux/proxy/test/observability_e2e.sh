#!/usr/bin/env bash
# End to end: the admin listener's /metrics against known traffic (exact counter values), the
# access log's fields in text (to a file) and JSON (to stdout), a Rapid Reset client tripping
# limits.reset_budget, and limits.max_connections_per_ip refusing the connection over the cap.
# Usage: observability_e2e.sh CROSSMUX_BINARY
set -uo pipefail
crossmux=$1
here=$(dirname "$0")
source "$here/e2e_lib.sh"

proxy_port=$(free_port); admin_port=$(free_port)
write_config() {  # write_config FILE PROXY_PORT ADMIN_PORT ACCESS_LOG FORMAT
  cat >"$1" <<TOML
[global]
access_log = "$4"
access_log_format = "$5"
admin = "127.0.0.1:$3"
[limits]
max_connections_per_ip = 3
reset_budget = 10
max_header_bytes = 1024
[[listeners]]
name = "main"
address = "127.0.0.1:$2"
protocols = ["http/1.1", "h2c"]
[[clusters]]
name = "o1"
protocol = "http1"
builtin_origin = true
[[clusters]]
name = "o2"
protocol = "h2c"
builtin_origin = true
[[frontends]]
hostname = "h1.test"
cluster = "o1"
[[frontends]]
hostname = "h2.test"
cluster = "o2"
TOML
}
write_config "$work/text.toml" "$proxy_port" "$admin_port" "$work/access.txt" text
"$crossmux" proxy --config "$work/text.toml" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_for_line "$work/proxy.log" "listener main" || fail "proxy did not start"
grep -q "admin on 127.0.0.1:$admin_port" "$work/proxy.log" || fail "no admin listener line"
base="http://127.0.0.1:$proxy_port"
admin="http://127.0.0.1:$admin_port"

# The admin endpoints, served by our own H1 codec.
[ "$(curl -sS -m 5 "$admin/ready")" = ready ] || fail "/ready"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$admin/nope"); [ "$code" = 404 ] || fail "/nope: $code"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -X POST "$admin/metrics"); [ "$code" = 405 ] || fail "POST: $code"
curl -sS -m 5 -D "$work/h" -o /dev/null "$admin/metrics" || fail "GET /metrics"
grep -qi "^content-type: text/plain; version=0.0.4" "$work/h" || fail "content type: $(cat "$work/h")"
# Two requests on one connection (keep-alive), and a malformed one answered 400.
n=$(curl -sS -m 5 "$admin/ready" "$admin/ready" | grep -c ready); [ "$n" = 2 ] || fail "keep-alive"
printf 'GET /metrics HTTP/1.1\r\nHost: a\r\nbad header\r\n\r\n' >"$work/bad.req"
python3 - "$admin_port" "$work/bad.req" <<'PY' || fail "malformed admin request not answered 400"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(open(sys.argv[2], "rb").read())
data = b""
while True:
    c = s.recv(4096)
    if not c:
        break
    data += c
sys.exit(0 if data.startswith(b"HTTP/1.1 400 ") else 1)
PY

# 300 pipelined requests sent before reading any answer: all answered, in order.
python3 - "$admin_port" <<'PY' || fail "pipelined admin requests"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n" * 299 + b"GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
data = b""
while True:
    c = s.recv(1 << 16)
    if not c:
        break
    data += c
statuses = []
while data:
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(l.split(b":")[1]) for l in lines if l.lower().startswith(b"content-length:"))
    statuses.append(lines[0])
    data = rest[length:]
sys.exit(0 if statuses == [b"HTTP/1.1 200 OK"] * 299 + [b"HTTP/1.1 404 Not Found"] else statuses[-3:])
PY

# Known traffic: 7 GETs over HTTP/1.1 to an HTTP/1.1 cluster, 5 over h2c to an h2c cluster, two
# unrouted requests (404, one per protocol), one over max_header_bytes, one client resetting 11
# streams in a row.
for i in $(seq 1 7); do
  curl -sS -m 10 -o /dev/null -H Host:h1.test "$base/bytes/100" || fail "h1 GET $i"
done
for i in $(seq 1 5); do
  curl -sS -m 10 -o /dev/null --http2-prior-knowledge -H Host:h2.test "$base/bytes/100" || fail "h2 GET $i"
done
code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H Host:nowhere.test "$base/x"); [ "$code" = 404 ] || fail "h1 404: $code"
code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' --http2-prior-knowledge -H Host:nowhere.test "$base/y")
[ "$code" = 404 ] || fail "h2 404: $code"
# max_header_bytes = 1024: a 2000-byte field is refused with 431.
big=$(head -c 2000 /dev/zero | tr '\0' a)
code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H Host:h1.test -H "x-big: $big" "$base/")
[ "$code" = 431 ] || fail "big header: $code"
# reset_budget = 10: the eleventh reset spends it; ENHANCE_YOUR_CALM (11).
out=$(python3 "$here/h2_rapid_reset.py" "$proxy_port" abuse.test 40) || fail "rapid reset: $out"
[ "$out" = "goaway 11" ] || fail "rapid reset ended with: $out"

# metric NAME{LABELS}: its value on a fresh scrape.
metric() { curl -sS -m 5 "$admin/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
# wait_metric KEY VALUE: the scrape reaches VALUE within 10 s (connections close asynchronously).
wait_metric() {
  for _ in $(seq 1 200); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.05; done
  fail "$1 is $(metric "$1"), expected $2"
}
wait_metric crossmux_client_connections 0
curl -sS -m 5 "$admin/metrics" >"$work/metrics.txt"
expect() {  # expect KEY VALUE (from the saved scrape)
  got=$(awk -v k="$1" '$1 == k { print $2 }' "$work/metrics.txt")
  [ "$got" = "$2" ] || fail "$1 = '$got', expected $2"
}
expect 'crossmux_requests_total{cluster="o1",pairing="h1->h1",class="2xx"}' 7
expect 'crossmux_requests_total{cluster="o2",pairing="h2->h2",class="2xx"}' 5
expect 'crossmux_requests_total{cluster="-",pairing="h1->proxy",class="4xx"}' 2
expect 'crossmux_requests_total{cluster="-",pairing="h2->proxy",class="4xx"}' 1
# The reset requests were unrouted (answered 404) and cut before any response: class none.
expect 'crossmux_requests_total{cluster="-",pairing="h2->proxy",class="none"}' 11
[ "$(grep -c '^crossmux_requests_total{' "$work/metrics.txt")" = 5 ] || fail "unexpected request series"
expect 'crossmux_request_duration_seconds_count{cluster="o1"}' 7
expect 'crossmux_request_duration_seconds_bucket{cluster="o1",le="+Inf"}' 7
expect 'crossmux_request_duration_seconds_count{cluster="o2"}' 5
expect 'crossmux_request_duration_seconds_count{cluster="-"}' 14
# Per backend (both clusters are the built-in origin): requests, errors, body bytes, latency.
origin="127.0.0.1:$(sed -nE 's/.*built-in origin on 127\.0\.0\.1:([0-9]+).*/\1/p' "$work/proxy.log")"
for c in o1:7:700 o2:5:500; do
  IFS=: read -r name n bytes <<<"$c"
  labels="{cluster=\"$name\",backend=\"$origin\"}"
  expect "crossmux_backend_requests_total$labels" "$n"
  expect "crossmux_backend_errors_total$labels" 0
  expect "crossmux_backend_sent_bytes_total$labels" 0
  expect "crossmux_backend_received_bytes_total$labels" "$bytes"
  expect "crossmux_backend_response_seconds_count$labels" "$n"
done
expect 'crossmux_client_connections_total' 16
expect 'crossmux_active_streams' 0
# Sequential requests share backend connections: every request is a hit or a miss.
for c in o1:7 o2:5; do
  hits=$(awk -v k="crossmux_backend_pool_hits_total{cluster=\"${c%:*}\"}" '$1 == k { print $2 }' "$work/metrics.txt")
  misses=$(awk -v k="crossmux_backend_pool_misses_total{cluster=\"${c%:*}\"}" '$1 == k { print $2 }' "$work/metrics.txt")
  [ $((hits + misses)) = "${c#*:}" ] && [ "$misses" -ge 1 ] && [ "$misses" -le 2 ] \
    || fail "pool ${c%:*}: $hits hits, $misses misses"
done
expect 'crossmux_backend_pool_connections{cluster="o1"}' "$(awk '$1 == "crossmux_backend_pool_misses_total{cluster=\"o1\"}" { print $2 }' "$work/metrics.txt")"
# HTTP/2 on the client side: 5 + 1 + 11 request HEADERS in, 11 RST_STREAM(CANCEL) in, one GOAWAY.
expect 'crossmux_h2_frames_total{side="client",direction="in",type="HEADERS"}' 17
expect 'crossmux_h2_frames_total{side="client",direction="in",type="RST_STREAM"}' 11
expect 'crossmux_h2_frames_total{side="client",direction="out",type="HEADERS"}' 6
expect 'crossmux_h2_frames_total{side="client",direction="out",type="GOAWAY"}' 1
expect 'crossmux_h2_rst_stream_total{side="client",direction="in",code="CANCEL"}' 11
expect 'crossmux_h2_goaway_total{side="client",direction="out",code="ENHANCE_YOUR_CALM"}' 1
# The h2c cluster carried the five forwarded requests.
expect 'crossmux_h2_frames_total{side="backend",direction="out",type="HEADERS"}' 5
expect 'crossmux_h2_frames_total{side="backend",direction="in",type="HEADERS"}' 5
expect 'crossmux_limit_hits_total{side="client",limit="reset_budget"}' 1
expect 'crossmux_limit_hits_total{side="client",limit="max_header_bytes"}' 1
expect 'crossmux_limit_hits_total{side="client",limit="max_connections_per_ip"}' 0
expect 'crossmux_limit_hits_total{side="client",limit="glitch_budget"}' 0

# limits.max_connections_per_ip = 3: three held connections are served, the fourth is closed
# unanswered and counted.
python3 - "$proxy_port" "$admin_port" <<'PY' || fail "per-address connection cap"
import socket, sys, time, urllib.request
port, admin = int(sys.argv[1]), int(sys.argv[2])
def scrape(key):
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5).read().decode()
    return next((l.split()[1] for l in text.splitlines() if l.split(" ")[0] == key), None)
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
for _ in range(200):
    if scrape("crossmux_client_connections") == "3":
        break
    time.sleep(0.05)
else:
    sys.exit("three connections never showed as open")
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(5)
extra.sendall(b"GET / HTTP/1.1\r\nHost: h1.test\r\n\r\n")
try:
    refused = extra.recv(100) == b""
except ConnectionResetError:
    refused = True
if not refused:
    sys.exit("the fourth connection was served")
for s in held:  # the held ones still work
    s.settimeout(5)
    s.sendall(b"GET /bytes/3 HTTP/1.1\r\nHost: h1.test\r\nConnection: close\r\n\r\n")
    if not s.recv(100).startswith(b"HTTP/1.1 200"):
        sys.exit("a held connection was not served")
if scrape('crossmux_limit_hits_total{side="client",limit="max_connections_per_ip"}') != "1":
    sys.exit("the refusal was not counted")
PY

# The text access log: one line per request with every field.
for _ in $(seq 1 200); do [ "$(wc -l <"$work/access.txt")" -ge 29 ] && break; sleep 0.05; done
sleep 0.2
[ "$(wc -l <"$work/access.txt")" = 29 ] || fail "$(wc -l <"$work/access.txt") access log lines, expected 29"
# logfmt: key=value or key="escaped value"; every line carries every field, in order.
python3 - "$work/access.txt" <<'PY' || fail "text access log: $(head -3 "$work/access.txt")"
import re, sys
keys = ["time", "client", "listener", "protocol_in", "protocol_out", "method", "authority",
        "path", "status", "bytes_in", "bytes_out", "total_us", "backend_connect_us",
        "backend_response_us", "cluster", "backend", "retries", "reason", "request_id",
        "user_agent", "referer", "tls_version", "tls_cipher", "sni", "alpn"]
pair = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]+)(?: |$)')
lines = []
for raw in open(sys.argv[1]):
    raw = raw.rstrip("\n")
    fields = pair.findall(raw)
    assert " ".join(k + "=" + v for k, v in fields) == raw, raw
    d = {k: (v[1:-1].replace('\\"', '"') if v.startswith('"') else v) for k, v in fields}
    assert list(d) == keys, list(d)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", d["time"]), d
    assert re.fullmatch(r"127\.0\.0\.1:\d+", d["client"]) and d["listener"] == "main", d
    assert re.fullmatch(r"[0-9a-f]{32}", d["request_id"]), d
    assert d["total_us"].isdigit(), d
    # One clock: the backend's share never exceeds the total.
    if d["backend_response_us"] != "-":
        assert int(d["backend_response_us"]) <= int(d["total_us"]), d
    lines.append(d)
assert len({d["request_id"] for d in lines}) == len(lines), "request ids repeat"
def count(**want):
    return sum(all(d[k] == v for k, v in want.items()) for d in lines)
ok = dict(method="GET", status="200", bytes_in="0", retries="0", reason="-")
n = count(protocol_in="HTTP/1.1", protocol_out="HTTP/1.1", authority="h1.test", path="/bytes/100",
          bytes_out="100", cluster="o1", **ok)
assert n == 7, f"{n} of 7 h1 lines"
n = count(protocol_in="HTTP/2", protocol_out="HTTP/2", authority="h2.test", path="/bytes/100",
          bytes_out="100", cluster="o2", **ok)
assert n == 5, f"{n} of 5 h2 lines"
for d in lines:
    if d["cluster"] in ("o1", "o2") and d["path"] == "/bytes/100":
        assert re.fullmatch(r"127\.0\.0\.1:\d+", d["backend"]), d
        assert d["backend_response_us"].isdigit(), d
        assert d["user_agent"].startswith("curl/"), d
assert count(protocol_in="HTTP/1.1", protocol_out="-", authority="nowhere.test", path="/x",
             status="404", backend_connect_us="-", backend_response_us="-", cluster="-",
             backend="-", reason="no route") == 1, "h1 404 line"
assert count(protocol_in="HTTP/2", authority="nowhere.test", path="/y", status="404") == 1
assert count(status="431", reason="h1: header section too large") == 1, "431 line"
# Answered (404) and then reset by the client: the answer's reason stays.
n = count(protocol_in="HTTP/2", protocol_out="-", authority="abuse.test", path="/", status="404",
          bytes_out="0", reason="no route")
assert n == 11, f"{n} of 11 aborted lines"
assert count(protocol_in="HTTP/1.1", protocol_out="HTTP/1.1", authority="h1.test",
             path="/bytes/3", status="200", bytes_out="3") == 3, "held connections"
assert all(d["tls_version"] == "-" and d["sni"] == "-" for d in lines), "TLS facts on plain"
PY
kill -TERM "${pids[0]}" && wait "${pids[0]}" || fail "proxy did not exit cleanly"

# The JSON access log, to stdout: every field, typed.
proxy_port=$(free_port); admin_port=$(free_port)
write_config "$work/json.toml" "$proxy_port" "$admin_port" stdout json
"$crossmux" proxy --config "$work/json.toml" >"$work/access.json" 2>"$work/json-proxy.log" &
pids+=($!)
wait_for_line "$work/json-proxy.log" "listener main" || fail "json proxy did not start"
curl -sS -m 10 -o /dev/null -H Host:h1.test -d 'twelve bytes' "http://127.0.0.1:$proxy_port/echo" || fail "json h1"
curl -sS -m 10 -o /dev/null --http2-prior-knowledge -H Host:h2.test "http://127.0.0.1:$proxy_port/bytes/5" || fail "json h2"
curl -sS -m 10 -o /dev/null -H Host:nowhere.test "http://127.0.0.1:$proxy_port/z" || fail "json 404"
wait_for_line "$work/access.json" '"path":"/z"' || fail "no JSON lines"
# A client that resets its connection while its request waits on the backend: the request is
# still logged, as aborted.
python3 - "$proxy_port" <<'PY' || fail "reset client"
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /slow/800 HTTP/1.1\r\nHost: h1.test\r\n\r\n")
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()  # RST
PY
wait_for_line "$work/access.json" '"path":"/slow/800"' || fail "the reset request was not logged"
# Request ids: one the client sent is kept, one missing is generated; the backend gets the id the
# log has (the origin's /headers echoes what it received).
got=$(curl -sS -m 10 -H Host:h1.test -H "X-Request-Id: op-test-7" -H "User-Agent: ua/1" \
  -H "Referer: https://r.test/" "http://127.0.0.1:$proxy_port/headers") || fail "request id given"
grep -qi "^x-request-id: op-test-7$" <<<"$got" || fail "the given id was not forwarded: $got"
got=$(curl -sS -m 10 --http2-prior-knowledge -H Host:h2.test "http://127.0.0.1:$proxy_port/headers?gen") \
  || fail "request id generated"
generated=$(sed -nE 's/^x-request-id: ([0-9a-f]{32})$/\1/ip' <<<"$got")
[ -n "$generated" ] || fail "no generated id reached the backend: $got"
wait_for_line "$work/access.json" '"path":"/headers\?gen"' || fail "generated-id request not logged"
python3 - "$work/access.json" "$generated" <<'PY' || fail "JSON access log: $(cat "$work/access.json")"
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 6, lines
keys = ["time", "client", "listener", "protocol_in", "protocol_out", "method", "authority",
        "path", "status", "bytes_in", "bytes_out", "total_us", "backend_connect_us",
        "backend_response_us", "cluster", "backend", "retries", "reason", "request_id",
        "user_agent", "referer", "tls_version", "tls_cipher", "sni", "alpn"]
for l in lines:
    assert list(l) == keys, list(l)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", l["time"]), l
    assert re.fullmatch(r"127\.0\.0\.1:\d+", l["client"]), l
    assert isinstance(l["total_us"], int) and l["total_us"] >= 0, l
h1, h2, miss, cut, given, gen = lines
assert (given["request_id"], given["user_agent"], given["referer"]) == (
    "op-test-7", "ua/1", "https://r.test/"), given
assert gen["request_id"] == sys.argv[2] and gen["user_agent"].startswith("curl/"), gen
assert len({l["request_id"] for l in lines}) == 6, "request ids repeat"
assert (h1["protocol_in"], h1["protocol_out"], h1["method"], h1["authority"], h1["path"],
        h1["status"], h1["bytes_in"], h1["bytes_out"], h1["cluster"], h1["retries"],
        h1["reason"]) == ("HTTP/1.1", "HTTP/1.1", "POST", "h1.test", "/echo", 200, 12, 12, "o1",
                          0, None), h1
assert isinstance(h1["backend_connect_us"], int) and isinstance(h1["backend_response_us"], int), h1
assert re.fullmatch(r"127\.0\.0\.1:\d+", h1["backend"]), h1
assert (h2["protocol_in"], h2["protocol_out"], h2["status"], h2["bytes_out"], h2["cluster"]) == (
    "HTTP/2", "HTTP/2", 200, 5, "o2"), h2
assert (miss["protocol_out"], miss["status"], miss["cluster"], miss["backend"], miss["reason"],
        miss["backend_connect_us"], miss["backend_response_us"]) == (
    None, 404, None, None, "no route", None, None), miss
assert (cut["path"], cut["status"], cut["protocol_out"], cut["cluster"], cut["reason"]) == (
    "/slow/800", 0, "HTTP/1.1", "o1", "aborted"), cut
PY
# Per backend, a request body sent and a 5xx counted as an error: o1 took the 12-byte POST, the
# cut /slow/800 (no response: no latency sample, no error: the client left), /headers and a 500.
code=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H Host:h1.test "http://127.0.0.1:$proxy_port/status/500")
[ "$code" = 500 ] || fail "/status/500 answered $code"
wait_for_line "$work/access.json" '"path":"/status/500"' || fail "500 not logged"
curl -sS -m 5 "http://127.0.0.1:$admin_port/metrics" >"$work/metrics.txt" || fail "json scrape"
origin="127.0.0.1:$(sed -nE 's/.*built-in origin on 127\.0\.0\.1:([0-9]+).*/\1/p' "$work/json-proxy.log")"
labels="{cluster=\"o1\",backend=\"$origin\"}"
expect "crossmux_backend_requests_total$labels" 4
expect "crossmux_backend_errors_total$labels" 1
expect "crossmux_backend_sent_bytes_total$labels" 12
expect "crossmux_backend_response_seconds_count$labels" 3
kill -TERM "${pids[1]}" && wait "${pids[1]}" || fail "json proxy did not exit cleanly"
if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work"/*.log; then
  fail "sanitizer report"
fi
echo "observability end to end: ok"
