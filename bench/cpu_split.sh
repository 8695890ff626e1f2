#!/usr/bin/env bash
# Where a proxy's CPU goes per request: user and system (kernel) microseconds, crossmux on its
# default loop against HAProxy 2.6 (one thread), both in front of the same `crossmux origin` (on
# epoll), h2load `-c 4 -m 10` over h2c for 3 s per cell, the two proxies interleaved, ROUNDS
# rounds; each figure is the median. utime and stime come from /proc/PID/stat, so the kernel's
# work on the proxy's behalf (TCP, the loop's waits, io_uring's task work) is the system column.
# It answers one question about issue #19's targets: how much of a row's cost is the kernel's,
# which no user-space change of the proxy removes. Profile a row with `perf record -g -p PID`.
# Usage: bench/cpu_split.sh CROSSMUX_BINARY [ROUNDS]     (ROWS="h2c-m10 h2h2-m10 h2c-m10-16k")
set -uo pipefail
crossmux=$1
rounds=${2:-3}
source "$(dirname "$0")/lib.sh"
command -v haproxy >/dev/null || fail "haproxy is not installed (scripts/setup.sh installs it)"

start_bench_origin

# One listener per backend protocol for each proxy: h1 -> an HTTP/1.1 cluster, h2 -> an h2c one.
declare -A port pid
for p in crossmux haproxy; do for b in h1 h2; do port[$p,$b]=$(free_port); done; done
write_bench_toml "$work/crossmux.toml" "$origin_port" "${port[crossmux,h1]}" "${port[crossmux,h2]}"
write_haproxy_cfg "$work/haproxy.cfg" "$origin_port" "\
frontend h1
  bind 127.0.0.1:${port[haproxy,h1]} proto h2
  default_backend origin
frontend h2
  bind 127.0.0.1:${port[haproxy,h2]} proto h2
  default_backend origin-h2"
"$crossmux" proxy --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
pid[crossmux]=$!
pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pid[haproxy]=$!
pids+=($!)
for p in crossmux haproxy; do
  for b in h1 h2; do wait_port "${port[$p,$b]}" || fail "$p did not start"; done
done
loop=$(grep -o '[a-z_]* event loop' "$work/crossmux.log" | head -1)

read -r -a rows <<<"${ROWS:-h2c-m10 h2h2-m10 h2c-m10-16k}"
: >"$work/cells"
for ((r = 1; r <= rounds; r++)); do
  for row in "${rows[@]}"; do
    case $row in
      h2c-m10) b=h1 size=1024 ;;
      h2h2-m10) b=h2 size=1024 ;;
      h2c-m10-16k) b=h1 size=16384 ;;
      *) fail "unknown row $row" ;;
    esac
    order=(crossmux haproxy)
    ((r % 2)) || order=(haproxy crossmux)
    for p in "${order[@]}"; do
      read -r u0 s0 < <(awk '{ print $14, $15 }' "/proc/${pid[$p]}/stat")
      h2load -D 3 -c 4 -m 10 "http://127.0.0.1:${port[$p,$b]}/bytes/$size" >"$work/h2load.out" 2>&1
      read -r u1 s1 < <(awk '{ print $14, $15 }' "/proc/${pid[$p]}/stat")
      n=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$work/h2load.out")
      [ "${n:-0}" -gt 0 ] || fail "$p $row: $(grep -E '^requests' "$work/h2load.out")"
      echo "$row $p $n $((u1 - u0)) $((s1 - s0))" >>"$work/cells"
    done
  done
done

hz=$(getconf CLK_TCK)
median() { sort -g | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "crossmux on the $loop; $rounds rounds, 3 s per cell; figures are medians"
echo
echo "| load | proxy | user us/req | system us/req | total us/req | system share |"
echo "|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  for p in crossmux haproxy; do
    col() { awk -v r="$row" -v p="$p" -v hz="$hz" -v c="$1" \
      '$1 == r && $2 == p { u = $4 * 1e6 / hz / $3; s = $5 * 1e6 / hz / $3
        print c == "u" ? u : c == "s" ? s : c == "t" ? u + s : s / (u + s) }' "$work/cells" | median; }
    printf '| %s | %s | %.2f | %.2f | %.2f | %.0f %% |\n' "$row" "$p" "$(col u)" "$(col s)" "$(col t)" \
      "$(awk -v x="$(col f)" 'BEGIN { print 100 * x }')"
  done
done
