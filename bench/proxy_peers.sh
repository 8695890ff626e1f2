#!/usr/bin/env bash
# Proxy peers benchmark: crossmux proxy (on its default loop, io_uring where it works, plus the
# same binary with CROSSMUX_EVENT_LOOP=epoll), HAProxy and nghttpx side by side, one worker each,
# in front of the same origin (`crossmux origin`, on epoll) on loopback. Every row runs every proxy once per round, the proxies' order rotated each round;
# each cell is the median over ROUNDS rounds. Rows: h2c and TLS (ALPN h2) with h2load -m 1/10/100
# and HTTP/1.1 backends, h2c with 16 KiB bodies, h2c with HTTP/2 (h2c) backends, and HTTP/1.1 with
# wrk. Reports requests per proxy-CPU-second (utime+stime from /proc/PID/stat, children
# included), req/s, p50 and p99, the ratio crossmux / the better peer against issue #19's targets,
# and resident memory per idle HTTP/2 connection (measured first, on freshly started proxies).
# Usage: [ROWS="h2c-m10 h1 ..."] [ROUNDS=3] bench/proxy_peers.sh CROSSMUX_BINARY [SECONDS_PER_RUN]
set -uo pipefail
crossmux=$1
secs=${2:-3}
rounds=${ROUNDS:-3}
# The proxy e2e tests' helpers ($work, $pids and their cleanup, free_port, wait_port) and the
# benchmarks' shared start-up (the origin, HAProxy's configuration).
source "$(dirname "$0")/lib.sh"
hz=$(getconf CLK_TCK)
# A process and its children (nghttpx serves from a forked worker).
family() { echo "$1"; pgrep -P "$1"; }
cpu_ticks() { local t=0 p; for p in $(family "$1"); do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
rss_kb() { local t=0 p; for p in $(family "$1"); do t=$((t + $(awk '/VmRSS/ { print $2 }' "/proc/$p/status"))); done; echo $t; }

allocator=glibc
ldd "$crossmux" 2>/dev/null | grep -q libjemalloc && allocator=jemalloc
flags=$(sed -n 's/^CMAKE_CXX_FLAGS_RELEASE:[A-Z]*=//p' "$(dirname "$crossmux")/../CMakeCache.txt" 2>/dev/null)
echo "started $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$(nproc) CPUs; crossmux release flags: ${flags:-unknown}; allocator: $allocator;" \
  "$(haproxy -v | head -1 | cut -d' ' -f1-3); nghttpx $(nghttpx --version | awk '{ print $2 }');" \
  "rounds $rounds, ${secs} s per cell"

start_bench_origin
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1 || fail "openssl failed"
cat "$work/cert.pem" "$work/key.pem" >"$work/haproxy.pem"

# Per proxy: the pid whose CPU counts for a row, and the port it listens on for it.
declare -A pid port
start() {  # NAME LOG COMMAND...: starts it in the background; its pid lands in pid[NAME]
  local name=$1 log=$2
  shift 2
  "$@" >"$work/$log" 2>&1 &
  pid[$name]=$!
  pids+=($!)
}

# crossmux: HTTP/1.1 + h2c, TLS, and an h2c listener routed to an h2c cluster; once on the
# default loop (io_uring where it works) and once on epoll.
for cx in crossmux crossmux-epoll; do
  port[$cx,h2c]=$(free_port); port[$cx,tls]=$(free_port); port[$cx,h2h2]=$(free_port)
  cat >"$work/$cx.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "bench"
address = "127.0.0.1:${port[$cx,h2c]}"
protocols = ["http/1.1", "h2c"]
[[listeners]]
name = "bench-tls"
address = "127.0.0.1:${port[$cx,tls]}"
protocols = ["h2", "http/1.1"]
[[listeners.tls]]
cert = "$work/cert.pem"
key = "$work/key.pem"
[[listeners]]
name = "bench-h2"
address = "127.0.0.1:${port[$cx,h2h2]}"
protocols = ["h2c"]
[[clusters]]
name = "origin"
protocol = "http1"
backends = ["127.0.0.1:$origin_port"]
[[clusters]]
name = "origin-h2"
protocol = "h2c"
backends = ["127.0.0.1:$origin_port"]
[[frontends]]
listeners = ["bench-h2"]
cluster = "origin-h2"
[[frontends]]
cluster = "origin"
TOML
  loop=
  [ $cx = crossmux-epoll ] && loop=epoll
  start $cx $cx.log env ${loop:+CROSSMUX_EVENT_LOOP=$loop} "$crossmux" proxy --workers 1 --config "$work/$cx.toml"
  port[$cx,h1]=${port[$cx,h2c]}
  pid[$cx,h2h2]=${pid[$cx]}
done

# HAProxy: one thread; h2c needs its own bind (proto h2); a fourth frontend uses HTTP/2 backends.
port[haproxy,h1]=$(free_port); port[haproxy,h2c]=$(free_port); port[haproxy,tls]=$(free_port)
port[haproxy,h2h2]=$(free_port)
write_haproxy_cfg "$work/haproxy.cfg" "$origin_port" "\
frontend h1
  bind 127.0.0.1:${port[haproxy,h1]}
  default_backend origin
frontend h2
  bind 127.0.0.1:${port[haproxy,h2c]} proto h2
  default_backend origin
frontend tls
  bind 127.0.0.1:${port[haproxy,tls]} ssl crt $work/haproxy.pem alpn h2,http/1.1
  default_backend origin
frontend h2h2
  bind 127.0.0.1:${port[haproxy,h2h2]} proto h2
  default_backend origin-h2"
start haproxy haproxy.log haproxy -f "$work/haproxy.cfg" -db
pid[haproxy,h2h2]=${pid[haproxy]}

# nghttpx: one worker, cleartext (HTTP/1.1 and h2c prior knowledge on one port) and TLS; a second
# instance with HTTP/2 backends (nghttpx picks a backend's protocol per pattern, not per frontend).
port[nghttpx,h2c]=$(free_port); port[nghttpx,tls]=$(free_port); port[nghttpx,h2h2]=$(free_port)
port[nghttpx,h1]=${port[nghttpx,h2c]}
start nghttpx nghttpx.log nghttpx --conf=/dev/null --frontend="127.0.0.1,${port[nghttpx,h2c]};no-tls" \
  --frontend="127.0.0.1,${port[nghttpx,tls]}" --backend="127.0.0.1,$origin_port" --workers=1 \
  --no-ocsp --errorlog-file="$work/nghttpx.err" --accesslog-file=/dev/null \
  "$work/key.pem" "$work/cert.pem"
start nghttpx-h2 nghttpx-h2.log nghttpx --conf=/dev/null --frontend="127.0.0.1,${port[nghttpx,h2h2]};no-tls" \
  --backend="127.0.0.1,$origin_port;;proto=h2" --workers=1 \
  --errorlog-file="$work/nghttpx-h2.err" --accesslog-file=/dev/null
pid[nghttpx,h2h2]=${pid[nghttpx-h2]}

proxies=(crossmux crossmux-epoll haproxy nghttpx)
for p in "${proxies[@]}"; do
  for kind in h1 h2c tls h2h2; do wait_port "${port[$p,$kind]}" || fail "$p did not start ($kind)"; done
done
for p in "${proxies[@]}" nghttpx-h2; do kill -0 "${pid[$p]}" 2>/dev/null || fail "$p exited"; done
grep -q "epoll event loop" "$work/crossmux-epoll.log" || fail "not on epoll: $(cat "$work/crossmux-epoll.log")"
echo "crossmux (default loop): $(grep -o '[a-z_]* event loop.*' "$work/crossmux.log")"

ms_percentiles() {  # p50 p99 in ms from h2load --log-file (third column: microseconds)
  awk '{ print $3 }' "$1" | sort -n | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "0 0"; exit }
    i = int(NR * 0.99); if (i < 1) i = 1
    printf "%.2f %.2f\n", a[int(NR * 0.5) + 1] / 1000, a[i] / 1000 }'
}
wrk_ms() {  # PERCENT: wrk --latency's figure for it, in ms
  awk -v k="$1%" '$1 == k { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0;
    else if (v ~ /s$/) v = v * 1000; printf "%.2f", v }'
}

# run ROW PROXY: one cell, appended to $work/results as "row proxy reqs req/s req/cpu-s p50 p99".
run() {
  local row=$1 p=$2 kind m path=/bytes/1024 scheme=http before after reqs lat out cpid
  case $row in
    h2c-m*-16k) kind=h2c; m=${row#h2c-m}; m=${m%-16k}; path=/bytes/16384 ;;
    h2c-m*) kind=h2c; m=${row#h2c-m} ;;
    tls-m*) kind=tls; m=${row#tls-m}; scheme=https ;;
    h2h2-m*) kind=h2h2; m=${row#h2h2-m} ;;
    h1) kind=h1 ;;
    *) fail "unknown row $row" ;;
  esac
  cpid=${pid[$p,h2h2]}
  [ "$kind" = h2h2 ] || cpid=${pid[$p]}
  local url="$scheme://127.0.0.1:${port[$p,$kind]}$path"
  before=$(cpu_ticks "$cpid")
  if [ "$kind" = h1 ]; then
    out=$(wrk -t1 -c 10 -d "${secs}s" --latency "$url" 2>&1)
    after=$(cpu_ticks "$cpid")
    reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
    lat="$(wrk_ms 50 <<<"$out") $(wrk_ms 99 <<<"$out")"
  else
    h2load -D "$secs" -c 4 -m "$m" --log-file="$work/lat.log" "$url" >"$work/h2load.out" 2>&1
    after=$(cpu_ticks "$cpid")
    reqs=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$work/h2load.out")
    lat=$(ms_percentiles "$work/lat.log")
  fi
  awk -v row="$row" -v p="$p" -v r="${reqs:-0}" -v t=$((after - before)) -v hz="$hz" -v s="$secs" \
    -v lat="$lat" 'BEGIN { cpu = t / hz; split(lat, q, " ")
      printf "%s %s %d %.0f %.0f %s %s\n", row, p, r, r / s, (cpu > 0 ? r / cpu : 0), q[1], q[2] }' \
    >>"$work/results"
}

idle_h2_kb() {  # pid port: RSS growth per idle h2c connection (preface + SETTINGS, then nothing)
  local before after n=200
  before=$(rss_kb "$1")
  /usr/bin/python3 - "$2" "$n" <<'PY' &
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
declare -A idle
for p in "${proxies[@]}"; do idle[$p]=$(idle_h2_kb "${pid[$p]}" "${port[$p,h2c]}"); done

read -r -a rows <<<"${ROWS:-h2c-m1 h2c-m10 h2c-m100 tls-m1 tls-m10 tls-m100 h1 h2h2-m10 h2h2-m100 h2c-m10-16k}"
for ((r = 0; r < rounds; r++)); do
  for row in "${rows[@]}"; do
    # Rotate the order, so no proxy always runs first (or last) in a row.
    for ((i = 0; i < ${#proxies[@]}; i++)); do
      run "$row" "${proxies[$(((i + r) % ${#proxies[@]}))]}"
    done
  done
done
echo "finished $(date -u '+%H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -n | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
cell() {  # ROW PROXY FIELD: the median of that column (3 requests, 4 req/s, 5 req/cpu-s, 6 p50, 7 p99)
  awk -v r="$1" -v p="$2" -v f="$3" '$1 == r && $2 == p { print $f }' "$work/results" | median
}
echo
echo "| load | proxy | req/s | req per proxy-CPU-s | p50 ms | p99 ms |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  for p in "${proxies[@]}"; do
    echo "| $row | $p | $(cell "$row" "$p" 4) | $(cell "$row" "$p" 5) | $(cell "$row" "$p" 6) | $(cell "$row" "$p" 7) |"
  done
done

# Issue #19's targets: 1.3x the better peer, 1.15x at -m 1; p99 no worse than either peer.
echo
echo "| load | crossmux / better peer | crossmux-epoll / better peer | target | p99 crossmux, crossmux-epoll vs better peer ms |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do
  target=1.30
  case $row in *-m1) target=1.15 ;; esac
  awk -v row="$row" -v t="$target" -v c="$(cell "$row" crossmux 5)" -v u="$(cell "$row" crossmux-epoll 5)" \
    -v h="$(cell "$row" haproxy 5)" -v n="$(cell "$row" nghttpx 5)" -v cp="$(cell "$row" crossmux 7)" \
    -v up="$(cell "$row" crossmux-epoll 7)" -v hp="$(cell "$row" haproxy 7)" -v np="$(cell "$row" nghttpx 7)" \
    'BEGIN { b = h > n ? h : n; bp = hp < np ? hp : np
      rc = b > 0 ? c / b : 0; ru = b > 0 ? u / b : 0
      printf "| %s | %.2fx%s | %.2fx%s | %.2fx | %.2f, %.2f vs %.2f |\n", row, rc, (rc >= t ? " (met)" : ""),
        ru, (ru >= t ? " (met)" : ""), t, cp, up, bp }'
done
echo
echo "| proxy | KiB RSS per idle h2c connection |"
echo "|---|---|"
for p in "${proxies[@]}"; do echo "| $p | ${idle[$p]} |"; done
if [ -n "${RESULTS_RAW:-}" ]; then cp "$work/results" "$RESULTS_RAW"; fi
