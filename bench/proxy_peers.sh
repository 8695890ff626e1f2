#!/usr/bin/env bash
# Proxy peers benchmark: crossmux proxy, HAProxy and nghttpx side by side, one worker each, in
# front of the same origin (`crossmux origin`) on loopback. Load: h2load over h2c and over TLS
# (ALPN h2), -m 1/10/100, and wrk over HTTP/1.1. Reports requests per proxy-CPU-second
# (utime+stime from /proc/PID/stat), p50 and p99 latency, and resident memory per idle HTTP/2
# connection (measured first, on freshly started proxies, so no freed memory is reused).
# Usage: bench/proxy_peers.sh CROSSMUX_BINARY [SECONDS_PER_RUN]
set -uo pipefail
crossmux=$1
secs=${2:-3}
# $work, $pids and their cleanup, free_port and wait_port: the proxy e2e tests' helpers.
source "$(dirname "$0")/../mux/proxy/test/e2e_lib.sh"
hz=$(getconf CLK_TCK)
# A process and its children (nghttpx serves from a forked worker).
family() { echo "$1"; pgrep -P "$1"; }
cpu_ticks() { local t=0 p; for p in $(family "$1"); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
rss_kb() { local t=0 p; for p in $(family "$1"); do t=$((t + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status"))); done; echo $t; }

origin_port=$(free_port)
"$crossmux" origin -l "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_port "$origin_port"
path=/bytes/1024
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1 || { echo "openssl failed"; exit 1; }
cat "$work/cert.pem" "$work/key.pem" >"$work/haproxy.pem"

# crossmux: one listener for HTTP/1.1 and h2c, HTTP/1.1 to the origin.
cx_port=$(free_port); cx_tls_port=$(free_port)
cat >"$work/crossmux.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "bench"
address = "127.0.0.1:$cx_port"
protocols = ["http/1.1", "h2c"]
[[listeners]]
name = "bench-tls"
address = "127.0.0.1:$cx_tls_port"
protocols = ["h2", "http/1.1"]
[[listeners.tls]]
cert = "$work/cert.pem"
key = "$work/key.pem"
[[clusters]]
name = "origin"
protocol = "http1"
backends = ["127.0.0.1:$origin_port"]
[[frontends]]
cluster = "origin"
TOML
"$crossmux" proxy --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
cx_pid=$!
pids+=($cx_pid)

# HAProxy: one thread; h2c needs its own bind (proto h2), HTTP/1.1 on another.
hp_port=$(free_port); hp_h2_port=$(free_port); hp_tls_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend h1
  bind 127.0.0.1:$hp_port
  default_backend origin
frontend h2
  bind 127.0.0.1:$hp_h2_port proto h2
  default_backend origin
frontend tls
  bind 127.0.0.1:$hp_tls_port ssl crt $work/haproxy.pem alpn h2,http/1.1
  default_backend origin
backend origin
  server o 127.0.0.1:$origin_port
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
hp_pid=$!
pids+=($hp_pid)

# nghttpx: one worker, cleartext frontend (HTTP/1.1 and h2c prior knowledge on one port).
nx_port=$(free_port); nx_tls_port=$(free_port)
nghttpx --frontend="127.0.0.1,$nx_port;no-tls" --frontend="127.0.0.1,$nx_tls_port" \
  --backend="127.0.0.1,$origin_port" --workers=1 \
  --no-ocsp --errorlog-file="$work/nghttpx.err" --accesslog-file=/dev/null \
  "$work/key.pem" "$work/cert.pem" >"$work/nghttpx.log" 2>&1 &
nx_pid=$!
pids+=($nx_pid)
for p in $cx_port $cx_tls_port $hp_port $hp_h2_port $hp_tls_port $nx_port $nx_tls_port; do wait_port "$p"; done
for name in crossmux haproxy nghttpx; do
  pid_var=$(case $name in crossmux) echo $cx_pid ;; haproxy) echo $hp_pid ;; *) echo $nx_pid ;; esac)
  kill -0 "$pid_var" 2>/dev/null || { echo "$name did not start:"; cat "$work/$name.log"; exit 1; }
done

percentiles() {  # p50 p99 in ms from h2load --log-file (third column: microseconds)
  awk '{ print $3 }' "$1" | sort -n | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    i = int(NR * 0.99); if (i < 1) i = 1
    printf "%.2f %.2f\n", a[int(NR * 0.5) + 1] / 1000, a[i] / 1000 }'
}

run_h2load() {  # name pid port m [https]
  local before after reqs p scheme=${5:-http} label=h2c
  [ "$scheme" = https ] && label="h2 TLS"
  before=$(cpu_ticks "$2")
  h2load -D "$secs" -c 4 -m "$4" --log-file="$work/lat.log" "$scheme://127.0.0.1:$3$path" >"$work/h2load.out" 2>&1
  after=$(cpu_ticks "$2")
  reqs=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$work/h2load.out")
  p=$(percentiles "$work/lat.log")
  awk -v n="$1" -v m="$4" -v r="${reqs:-0}" -v t=$((after - before)) -v hz="$hz" -v p="$p" -v s="$secs" \
    -v l="$label" 'BEGIN { split(p, q, " "); cpu = t / hz; printf "| %s | %s -m %s | %d | %.0f | %.0f | %s | %s |\n",
      n, l, m, r, r / s, (cpu > 0 ? r / cpu : 0), q[1], q[2] }'
}

run_wrk() {  # name pid port
  local before after out reqs p50 p99
  before=$(cpu_ticks "$2")
  out=$(wrk -t1 -c 10 -d "${secs}s" --latency "http://127.0.0.1:$3$path" 2>&1)
  after=$(cpu_ticks "$2")
  reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  awk -v n="$1" -v r="${reqs:-0}" -v t=$((after - before)) -v hz="$hz" -v a="$p50" -v b="$p99" -v s="$secs" \
    'BEGIN { cpu = t / hz; printf "| %s | http/1.1 wrk -c 10 | %d | %.0f | %.0f | %s | %s |\n",
      n, r, r / s, (cpu > 0 ? r / cpu : 0), a, b }'
}

idle_h2_kb() {  # pid port: RSS growth per idle h2c connection (preface + SETTINGS, then nothing)
  local before after n=200
  before=$(rss_kb "$1")
  python3 - "$2" "$n" <<'PY' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(preface)
    socks.append(s)
time.sleep(2)
PY
  local py=$!
  sleep 1.5
  after=$(rss_kb "$1")
  wait $py
  awk -v a="$after" -v b="$before" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }'
}

# Idle memory first, while every proxy is fresh.
idle_cx=$(idle_h2_kb "$cx_pid" "$cx_port")
idle_hp=$(idle_h2_kb "$hp_pid" "$hp_h2_port")
idle_nx=$(idle_h2_kb "$nx_pid" "$nx_port")

echo "| proxy | load | requests | req/s | req per proxy-CPU-s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|---|"
for m in 1 10 100; do
  run_h2load crossmux "$cx_pid" "$cx_port" "$m"
  run_h2load haproxy "$hp_pid" "$hp_h2_port" "$m"
  run_h2load nghttpx "$nx_pid" "$nx_port" "$m"
done
for m in 1 10 100; do
  run_h2load crossmux "$cx_pid" "$cx_tls_port" "$m" https
  run_h2load haproxy "$hp_pid" "$hp_tls_port" "$m" https
  run_h2load nghttpx "$nx_pid" "$nx_tls_port" "$m" https
done
run_wrk crossmux "$cx_pid" "$cx_port"
run_wrk haproxy "$hp_pid" "$hp_port"
run_wrk nghttpx "$nx_pid" "$nx_port"
echo
echo "| proxy | KiB RSS per idle h2c connection |"
echo "|---|---|"
echo "| crossmux | $idle_cx |"
echo "| haproxy | $idle_hp |"
echo "| nghttpx | $idle_nx |"
