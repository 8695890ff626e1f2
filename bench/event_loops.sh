#!/usr/bin/env bash
# Event-loop benchmark: one crossmux binary started twice, one proxy on epoll and one on io_uring
# (CROSSMUX_EVENT_LOOP), one worker each, in front of the same origin (`crossmux origin`, always
# on epoll) on loopback. Rows run interleaved (epoll, io_uring, epoll, ...) for ROUNDS rounds; the
# table gives the median requests per proxy-CPU-second (utime+stime from /proc/PID/stat) and the
# median p99 of each, and the ratio io_uring / epoll. Then system calls per request: strace -c on
# every thread of each proxy while h2load sends a fixed number of requests.
# Usage: [ROWS="..."] [STRACE_REQUESTS=N] bench/event_loops.sh CROSSMUX_BINARY [SECONDS_PER_RUN] [ROUNDS]
set -uo pipefail
crossmux=$1
secs=${2:-3}
rounds=${3:-3}
# $work, $pids and their cleanup, free_port and wait_port: the proxy e2e tests' helpers.
source "$(dirname "$0")/../mux/proxy/test/e2e_lib.sh"
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
unset CROSSMUX_EVENT_LOOP

origin_port=$(free_port)
CROSSMUX_EVENT_LOOP=epoll "$crossmux" origin -l "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_port "$origin_port" || fail "origin did not start"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost >/dev/null 2>&1 || fail "openssl failed"

declare -A pid port tls_port
for loop in epoll io_uring; do
  port[$loop]=$(free_port)
  tls_port[$loop]=$(free_port)
  cat >"$work/$loop.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "bench"
address = "127.0.0.1:${port[$loop]}"
protocols = ["http/1.1", "h2c"]
[[listeners]]
name = "bench-tls"
address = "127.0.0.1:${tls_port[$loop]}"
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
  CROSSMUX_EVENT_LOOP=$loop "$crossmux" proxy --workers 1 --config "$work/$loop.toml" \
    >"$work/$loop.log" 2>&1 &
  pid[$loop]=$!
  pids+=($!)
  wait_port "${port[$loop]}" || fail "$loop proxy did not start"
  wait_port "${tls_port[$loop]}" || fail "$loop proxy did not start"
  grep -q "$loop event loop" "$work/$loop.log" || fail "proxy not on $loop: $(cat "$work/$loop.log")"
done

p99_ms() {  # from h2load --log-file (third column: microseconds)
  awk '{ print $3 }' "$1" | sort -n | awk '{ a[NR] = $1 } END {
    i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f\n", NR ? a[i] / 1000 : 0 }'
}

# run ROW LOOP: one measurement, appended to $work/results as "row loop req_per_cpu_s p99_ms".
run() {
  local row=$1 loop=$2 before after reqs p99 out m
  local h2c="http://127.0.0.1:${port[$loop]}" tls="https://127.0.0.1:${tls_port[$loop]}"
  before=$(cpu_ticks "${pid[$loop]}")
  case $row in
    h2c-m*-16k)
      m=${row#h2c-m}
      h2load -D "$secs" -c 4 -m "${m%-16k}" --log-file="$work/lat.log" "$h2c/bytes/16384" \
        >"$work/load.out" 2>&1 ;;
    h2c-m*)
      h2load -D "$secs" -c 4 -m "${row#h2c-m}" --log-file="$work/lat.log" "$h2c/bytes/1024" \
        >"$work/load.out" 2>&1 ;;
    tls-m*)
      h2load -D "$secs" -c 4 -m "${row#tls-m}" --log-file="$work/lat.log" "$tls/bytes/1024" \
        >"$work/load.out" 2>&1 ;;
    h1)
      out=$(wrk -t1 -c 10 -d "${secs}s" --latency "$h2c/bytes/1024" 2>&1) ;;
  esac
  after=$(cpu_ticks "${pid[$loop]}")
  if [ "$row" = h1 ]; then
    reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
    p99=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0;
      else if (v ~ /s$/) v = v * 1000; printf "%.2f", v }' <<<"$out")
  else
    reqs=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$work/load.out")
    p99=$(p99_ms "$work/lat.log")
  fi
  awk -v row="$row" -v l="$loop" -v r="${reqs:-0}" -v t=$((after - before)) -v hz="$hz" -v p="$p99" \
    'BEGIN { cpu = t / hz; printf "%s %s %.0f %s\n", row, l, (cpu > 0 ? r / cpu : 0), p }' \
    >>"$work/results"
}

# ROWS (space-separated) runs a subset, e.g. ROWS="h2c-m1 h2c-m10 h2c-m100 h1".
read -r -a rows <<<"${ROWS:-h2c-m1 h2c-m10 h2c-m100 h2c-m10-16k tls-m10 tls-m100 h1}"
for ((r = 1; r <= rounds; r++)); do
  for row in "${rows[@]}"; do
    # Alternate which loop goes first, so neither always runs on the warmer machine.
    if ((r % 2)); then order=(epoll io_uring); else order=(io_uring epoll); fi
    for loop in "${order[@]}"; do run "$row" "$loop"; done
  done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "| load | epoll req per proxy-CPU-s | io_uring req per proxy-CPU-s | io_uring / epoll | epoll p99 ms | io_uring p99 ms |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  e=$(awk -v r="$row" '$1 == r && $2 == "epoll" { print $3 }' "$work/results" | median)
  u=$(awk -v r="$row" '$1 == r && $2 == "io_uring" { print $3 }' "$work/results" | median)
  ep=$(awk -v r="$row" '$1 == r && $2 == "epoll" { print $4 }' "$work/results" | median)
  up=$(awk -v r="$row" '$1 == r && $2 == "io_uring" { print $4 }' "$work/results" | median)
  awk -v row="$row" -v e="$e" -v u="$u" -v ep="$ep" -v up="$up" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2fx | %s | %s |\n", row, e, u, (e > 0 ? u / e : 0), ep, up }'
done

# System calls per request: h2c -m 1, -m 10 and -m 100 over one connection, and HTTP/1.1
# keep-alive (h2load --h1).
n=${STRACE_REQUESTS:-20000}
echo
echo "| load | loop | system calls per request | top calls per request |"
echo "|---|---|---|---|"
for load in "h2c -m1" "h2c -m10" "h2c -m100" "http/1.1"; do
  for loop in epoll io_uring; do
    attach=()
    # The kernel's io_uring worker threads (iou-wrk-*, iou-sqp-*) cannot be traced.
    for t in /proc/"${pid[$loop]}"/task/*; do
      case $(cat "$t/comm") in iou-*) ;; *) attach+=(-p "${t##*/}") ;; esac
    done
    strace -c -f -qq "${attach[@]}" -o "$work/strace.out" &
    st=$!
    sleep 1
    if [ "$load" = "http/1.1" ]; then
      h2load --h1 -n "$n" -c 1 -m 1 "http://127.0.0.1:${port[$loop]}/bytes/1024" >"$work/load.out" 2>&1
    else
      h2load -n "$n" -c 1 -m "${load#h2c -m}" "http://127.0.0.1:${port[$loop]}/bytes/1024" \
        >"$work/load.out" 2>&1
    fi
    sleep 0.5
    kill -INT "$st"
    wait "$st" 2>/dev/null
    # strace -c: "% time seconds usecs/call calls [errors] syscall"; the total line is last.
    awk -v n="$n" -v load="$load" -v l="$loop" '
      $NF == "total" { total = $4 }
      $1 ~ /^[0-9.]+$/ && $NF != "total" { calls[$NF] = $4 }
      END {
        top = ""; k = 0
        while (k < 4) {
          best = ""; for (c in calls) if (best == "" || calls[c] > calls[best]) best = c
          if (best == "" || calls[best] < n / 10) break
          top = top (k ? ", " : "") sprintf("%s %.2f", best, calls[best] / n); delete calls[best]; k++
        }
        printf "| %s | %s | %.2f | %s |\n", load, l, total / n, top
      }' "$work/strace.out"
  done
done
