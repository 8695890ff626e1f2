#!/usr/bin/env bash
# End to end: active health checks ([clusters.health_check]) with the real binary.
#  1. HTTP/1.1: a backend whose origin is killed leaves rotation after `fall` failed checks (the
#     log says why); requests then never touch it (no retry in the access log, no request on its
#     port); restarted, it rejoins after `rise` passed checks and serves again.
#  2. A check path answering 503 keeps its backend out: requests to the cluster get 503.
#  3. Probes speak the cluster's protocol: h2c (the origin records HTTP/2), HTTP/1.1, HTTP/2 over
#     TLS (ALPN h2) and HTTP/1.1 over TLS to a second crossmux with a TLS listener pass; an "h2"
#     cluster pointed at a plain port fails.
#  4. Metrics: crossmux_backend_up, crossmux_backend_health_checks_total, crossmux_build_info.
#  5. Reload: a backend kept out stays out (its state is kept; its next verdict is 1 s away), a
#     cluster whose health check was removed has its backend back in rotation at once.
#  6. Verdicts: without expect_status a 404 fails (2xx and 3xx pass); a 103 Early Hints before
#     the 200 is not the answer; `fall` counts failures in a row (a backend failing every other
#     check stays in rotation).
# Usage: health_e2e.sh CROSSMUX_BINARY
crossmux=$(realpath "$1")
source "$(dirname "$0")/e2e_lib.sh"
cd "$work" || exit 1

# origin_on NAME PORT: `crossmux origin` on a fixed port (so it can come back on it).
origin_on() {
  "$crossmux" origin --listen "127.0.0.1:$2" --record "$work/$1.record" >"$work/$1.log" 2>&1 &
  pids+=($!)
  printf -v "pid_$1" '%s' "$!"
  wait_for "$work/$1.log" "listening on" 10 || fail "origin $1 did not start"
}
a_port=$(free_port); b_port=$(free_port); proxy_port=$(free_port); admin_port=$(free_port)
tls_port=$(free_port); dead_port=$(free_port); flaky_port=$(free_port)
origin_on a "$a_port"
origin_on b "$b_port"
# A backend failing every other request: 503, 200, 503, ...
python3 - "$flaky_port" >flaky.log 2>&1 <<'PY' &
import http.server, sys
class Flaky(http.server.BaseHTTPRequestHandler):
    count = 0
    def do_GET(self):
        Flaky.count += 1
        self.send_response(503 if Flaky.count % 2 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Flaky).serve_forever()
PY
pids+=($!)
wait_port "$flaky_port" || fail "the flaky backend did not start: $(cat flaky.log)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key \
  -out tls.pem -days 2 -subj "/CN=backend.test" >/dev/null 2>&1 || fail "openssl"
# A TLS backend speaking h2 and http/1.1 (ALPN): another crossmux in front of origin A.
cat >tls-backend.toml <<TOML
[global]
access_log = "off"
[[listeners]]
name = "tls"
address = "127.0.0.1:$tls_port"
[[listeners.tls]]
cert = "tls.pem"
key = "tls.key"
[[clusters]]
name = "a"
backends = ["127.0.0.1:$a_port"]
[[frontends]]
cluster = "a"
TOML
"$crossmux" proxy -c tls-backend.toml --workers 1 >tls-backend.log 2>&1 &
pids+=($!)
wait_for tls-backend.log "listener tls on" 10 || fail "TLS backend: $(cat tls-backend.log)"

check='interval = "300ms"
timeout = "300ms"
rise = 2
fall = 2'
sick_check="[clusters.health_check]
path = \"/status/503\"
$check"
write_config() {
cat >proxy.toml <<TOML
[global]
access_log = "access.log"
pid_file = "proxy.pid"
admin = "127.0.0.1:$admin_port"
[[listeners]]
name = "main"
address = "127.0.0.1:$proxy_port"
[[clusters]]
name = "pair"
backends = ["127.0.0.1:$a_port", "127.0.0.1:$b_port"]
connect_retries = 1
[clusters.health_check]
path = "/bytes/1"
$check
[[clusters]]
name = "sick"
backends = ["127.0.0.1:$a_port"]
$sick_check
[[clusters]]
name = "h2c"
protocol = "h2c"
backends = ["127.0.0.1:$a_port"]
[clusters.health_check]
method = "HEAD"
path = "/"
expect_status = [200]
$check
[[clusters]]
name = "h2tls"
protocol = "h2"
backends = ["127.0.0.1:$tls_port"]
[clusters.tls]
verify = false
[clusters.health_check]
host = "backend.test"
$check
[[clusters]]
name = "h1tls"
backends = ["127.0.0.1:$tls_port"]
[clusters.tls]
verify = false
[clusters.health_check]
$check
[[clusters]]
name = "notls"
protocol = "h2"
backends = ["127.0.0.1:$a_port"]
[clusters.tls]
verify = false
[clusters.health_check]
$check
[[clusters]]
name = "slowpoke"
backends = ["127.0.0.1:$a_port"]
[clusters.health_check]
path = "/slow/3000"
interval = "2s"
timeout = "1s"
rise = 1
fall = 1
[[clusters]]
name = "notfound"
backends = ["127.0.0.1:$a_port"]
[clusters.health_check]
path = "/status/404"
$check
[[clusters]]
name = "hinted"
backends = ["127.0.0.1:$a_port"]
[clusters.health_check]
path = "/early-hints"
$check
[[clusters]]
name = "flaky"
backends = ["127.0.0.1:$flaky_port"]
[clusters.health_check]
path = "/"
$check
[[frontends]]
hostname = "sick.test"
cluster = "sick"
[[frontends]]
cluster = "pair"
TOML
}
write_config
"$crossmux" proxy -c proxy.toml --workers 2 >proxy.log 2>&1 &
pids+=($!)
wait_for proxy.log "health checks on 11 backend" 10 || fail "proxy did not start: $(cat proxy.log)"
base="http://127.0.0.1:$proxy_port"
metric() { curl -sS -m 5 "http://127.0.0.1:$admin_port/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
wait_metric() {  # wait_metric KEY VALUE
  for _ in $(seq 1 100); do [ "$(metric "$1")" = "$2" ] && return 0; sleep 0.05; done
  fail "$1 is $(metric "$1"), expected $2"
}
wait_at_least() {  # wait_at_least KEY N
  for _ in $(seq 1 100); do [ "$(metric "$1")" -ge "$2" ] 2>/dev/null && return 0; sleep 0.05; done
  fail "$1 is $(metric "$1"), expected at least $2"
}
up() { echo "crossmux_backend_up{cluster=\"$1\",backend=\"127.0.0.1:$2\"}"; }

# --- 3 first (it needs two checks): every protocol's probe passes, a TLS probe on plain TCP fails.
for c in "pair $a_port" "pair $b_port" "h2c $a_port" "h2tls $tls_port" "h1tls $tls_port"; do
  set -- $c
  wait_at_least "crossmux_backend_health_checks_total{cluster=\"$1\",backend=\"127.0.0.1:$2\",result=\"pass\"}" 2
  grep -q "of cluster $1 is out of rotation" proxy.log && fail "$1 left rotation: $(grep "$1" proxy.log)"
done
# The origin's record says which protocol each probe spoke: the h2c cluster's HEAD probes are
# HTTP/2 (prior knowledge), the pair cluster's GET /bytes/1 probes HTTP/1.1.
cp a.record a-probes.record  # one snapshot: the origin goes on recording
heads=$(grep -c '"method":"HEAD"' a-probes.record)
[ "$heads" -ge 2 ] && [ "$(grep -c '^{"protocol":"HTTP/2",[^{]*"method":"HEAD"' a-probes.record)" = "$heads" ] \
  || fail "h2c probes not HTTP/2: $(grep '"method":"HEAD"' a-probes.record | grep -v '"HTTP/2"' | head -2)"
grep -q '^{"protocol":"HTTP/1.1",[^{]*"method":"GET","scheme":"","authority":"127.0.0.1:'"$a_port"'","path":"/bytes/1"' a-probes.record \
  || fail "HTTP/1.1 probes: $(grep '/bytes/1"' a-probes.record | head -2)"
wait_metric "$(up notls "$a_port")" 0
grep -q "backend 127.0.0.1:$a_port of cluster notls is out of rotation (2 failed health checks, last: tls" proxy.log \
  || fail "TLS probe on plain TCP: $(grep notls proxy.log)"
echo "3. probes pass over HTTP/1.1, h2c, h2 (TLS, ALPN) and HTTP/1.1 over TLS; TLS to plain TCP fails"

# --- 2. A 503 health check: out of rotation, the cluster answers 503 without a backend.
wait_metric "$(up sick "$a_port")" 0
grep -q "of cluster sick is out of rotation (2 failed health checks, last: status 503)" proxy.log \
  || fail "sick: $(grep sick proxy.log)"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H Host:sick.test "$base/")
[ "$code" = 503 ] || fail "a cluster with no backend in rotation answered $code"
echo "2. status 503 checks: out of rotation, requests get 503"

# --- 6. Verdicts: a 404 fails by default; 103 then 200 passes; failures not in a row never
# reach `fall`.
wait_metric "$(up notfound "$a_port")" 0
grep -q "of cluster notfound is out of rotation (2 failed health checks, last: status 404)" proxy.log \
  || fail "notfound: $(grep notfound proxy.log)"
checks() { echo "crossmux_backend_health_checks_total{cluster=\"$1\",backend=\"127.0.0.1:$2\",result=\"$3\"}"; }
wait_at_least "$(checks hinted "$a_port" pass)" 2
wait_at_least "$(checks flaky "$flaky_port" pass)" 3
wait_at_least "$(checks flaky "$flaky_port" fail)" 3
[ "$(metric "$(checks hinted "$a_port" fail)")" = "" ] || [ "$(metric "$(checks hinted "$a_port" fail)")" = 0 ] \
  || fail "an Early Hints probe failed: $(grep hinted proxy.log)"
for c in "hinted $a_port" "flaky $flaky_port"; do
  set -- $c
  [ "$(metric "$(up "$1" "$2")")" = 1 ] || fail "$1 is out of rotation: $(grep "cluster $1" proxy.log)"
  grep -q "of cluster $1 is out of rotation" proxy.log && fail "$1 left rotation: $(grep "cluster $1" proxy.log)"
done
echo "6. a 404 fails, 103 before 200 passes, failures every other check stay under fall = 2"

# --- 1. Kill B: out of rotation, never tried; back: in rotation again.
kill "$pid_b"; wait "$pid_b" 2>/dev/null
wait_metric "$(up pair "$b_port")" 0
grep -q "backend 127.0.0.1:$b_port of cluster pair is out of rotation (2 failed health checks, last: connect: Connection refused)" proxy.log \
  || fail "kill: $(grep "$b_port" proxy.log)"
before=$(grep -c "/bytes/2?n=" a.record 2>/dev/null || true)
for i in $(seq 1 20); do
  curl -sS -m 5 -o /dev/null "$base/bytes/2?n=$i" || fail "request $i with B out of rotation"
done
sleep 0.3
[ "$(grep -c "/bytes/2?n=" a.record)" = $((before + 20)) ] || fail "not every request went to A"
[ "$(grep 'path="/bytes/2?n=' access.log | grep -c ' retries=0 ')" = 20 ] \
  || fail "a request tried B: $(grep 'path="/bytes/2?n=' access.log | grep -v ' retries=0 ' | head -2)"
origin_on b "$b_port"
wait_metric "$(up pair "$b_port")" 1
grep -q "backend 127.0.0.1:$b_port of cluster pair is back in rotation (2 passed health checks)" proxy.log \
  || fail "back: $(grep "$b_port" proxy.log)"
for i in $(seq 1 10); do curl -sS -m 5 -o /dev/null "$base/bytes/3?m=$i" || fail "request $i after B came back"; done
sleep 0.3
grep -q "/bytes/3?m=" b.record || fail "B back in rotation but served nothing"
echo "1. killed backend out of rotation (20 requests, none tried it), back after restart"

# --- 4. The supervisor's metrics.
page=$(curl -sS -m 5 "http://127.0.0.1:$admin_port/metrics")
grep -qE '^crossmux_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+",compiler="[^"]+",tls_library="OpenSSL [^"]+"\} 1$' <<<"$page" \
  || fail "build info: $(grep build_info <<<"$page")"
grep -qE "^crossmux_backend_health_checks_total\{cluster=\"pair\",backend=\"127.0.0.1:$b_port\",result=\"fail\"\} ([2-9]|[1-9][0-9]+)$" <<<"$page" \
  || fail "failed checks not counted: $(grep health_checks <<<"$page")"
grep -qE '^crossmux_start_time_seconds [0-9.e+]+$' <<<"$page" || fail "start time"
echo "4. metrics: backend_up, health checks, build info"

# --- 5. Reload without sick's health check: slowpoke (out, its next verdict 1 s after the reload)
# stays out, sick is back at once.
wait_metric "$(up slowpoke "$a_port")" 0
sick_check=""
write_config
"$crossmux" proxy --reload -c proxy.toml >reload.out 2>&1 || fail "--reload: $(cat reload.out)"
[ "$(metric "$(up slowpoke "$a_port")")" = 0 ] || fail "a reload put slowpoke back in rotation"
[ "$(metric "$(up sick "$a_port")")" = 1 ] || fail "sick without a health check is still out"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -H Host:sick.test "$base/")
[ "$code" = 200 ] || fail "sick after the reload answered $code"
grep -q "health checks on 10 backend" proxy.log || fail "reload: $(tail -3 proxy.log)"
echo "5. reload keeps a backend's state, a removed health check puts its backends in rotation"
echo "health checks end to end ok"
