#!/usr/bin/env bash
# Heap allocations per request through `crossmux proxy`: the proxy (epoll unless LOOP=io_uring,
# one worker) runs under bench/copy_count.c, which also counts every malloc/calloc/realloc/aligned
# allocation (operator new reaches malloc) and free; h2load sends N requests for GET /bytes/1024
# to `crossmux origin` per row, after a warm-up of the same row, and the counters are read before
# and after. Counts, not timing: the figures repeat run to run (within a few allocations per
# thousand requests).
# Usage: bench/alloc_count.sh CROSSMUX_BINARY [N]
#        bench/alloc_count.sh CROSSMUX_BINARY --where ROW [EVERY]
# --where samples the call stack of every EVERY-th allocation (default 7) while ROW runs (a label
# from the table, e.g. 'h2c->http1 -m10') and prints the crossmux functions they came from, most
# frequent first: the innermost crossmux frame, then the three innermost as a chain.
set -uo pipefail
crossmux=$1
source "$(dirname "$0")/lib.sh"
n=${2:-4000}
where=
if [ "${2:-}" = --where ]; then
  where=${3:?--where needs a row label}
  every=${4:-7}
  n=1000
  start_counted_proxy ALLOC_BACKTRACE_EVERY="$every" ALLOC_BACKTRACE_FILE="$work/stacks"
else
  start_counted_proxy
fi

rows=("h2c->http1 -m10|$h2c_port|-m 10" "h2c->http1 -m100|$h2c_port|-m 100"
  "http1->http1 -m1|$h2c_port|--h1 -m 1" "h2c->h2c -m10|$h2h2_port|-m 10"
  "h2c->h2c -m100|$h2h2_port|-m 100")

# run PORT COUNT ARGS...: h2load, one connection; fails unless every request succeeded.
run() {
  local port=$1 count=$2
  shift 2
  h2load "$@" -n "$count" -c 1 "http://127.0.0.1:$port/bytes/1024" >"$work/h2load.out" 2>&1
  grep -q "$count succeeded" "$work/h2load.out" || fail "$(grep -E '^requests' "$work/h2load.out")"
}

# symbolize: reads the shim's stacks, prints the table of crossmux functions.
symbolize() {
  # backtrace_symbols_fd names the program as it was started: "$crossmux(+0xOFFSET)[ADDRESS]".
  local bin=$crossmux
  # Return addresses minus one, so a call at a function's end is not charged to the next one.
  grep -F "$bin(+0x" "$work/stacks" | sed -E 's/.*\(\+(0x[0-9a-f]+)\).*/\1/' |
    sort -u | while read -r a; do printf '%s 0x%x\n' "$a" $((a - 1)); done >"$work/addrs"
  # Names shortened: std::string spelled out by the demangler, argument lists dropped.
  cut -d' ' -f2 "$work/addrs" | addr2line -f -C -e "$bin" | paste - - | cut -f1 |
    sed -E 's/std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >/std::string/g
      s/std::basic_string_view<char, std::char_traits<char> >/std::string_view/g; s/\(.*//; s/^(.{100}).*/\1.../' |
    paste -d' ' <(cut -d' ' -f1 "$work/addrs") - >"$work/names"
  awk -v bin="$bin" 'NR == FNR { a = $1; $1 = ""; name[a] = substr($0, 2); next }
    $0 == "--" { if (k > 0) { inner[f[1]]++; c = f[1]; for (i = 2; i <= k && i <= 3; i++) c = c " <- " f[i]; chain[c]++ }
                 k = 0; total++; next }
    index($0, bin "(+") == 1 { match($0, /\(\+0x[0-9a-f]+\)/); a = substr($0, RSTART + 2, RLENGTH - 3)
                 f[++k] = name[a] }
    END { printf "%d sampled allocations\n\ninnermost crossmux function:\n", total
          for (x in inner) printf "%6d %5.1f%%  %s\n", inner[x], 100 * inner[x] / total, x | "sort -rn | head -25"
          close("sort -rn | head -25")
          printf "\nthree innermost crossmux frames:\n"
          for (x in chain) printf "%6d %5.1f%%  %s\n", chain[x], 100 * chain[x] / total, x | "sort -rn | head -40" }' \
    "$work/names" "$work/stacks"
}

if [ -n "$where" ]; then
  for spec in "${rows[@]}"; do
    IFS='|' read -r label port args <<<"$spec"
    [ "$label" = "$where" ] || continue
    run "$port" 200 $args
    : >"$work/stacks"
    run "$port" "$n" $args
    symbolize
    exit 0
  done
  fail "no row '$where'"
fi

echo "| row | allocations per request | bytes allocated per request | frees per request |"
echo "|---|---|---|---|"
for spec in "${rows[@]}"; do
  IFS='|' read -r label port args <<<"$spec"
  run "$port" 500 $args
  before=$(read_counts)
  run "$port" "$n" $args
  after=$(read_counts)
  awk -v l="$label" -v n="$n" -v b="$before" -v a="$after" 'BEGIN { split(b, x, " "); split(a, y, " ")
    printf "| %s | %.1f | %.0f | %.1f |\n", l, (y[5] - x[5]) / n, (y[6] - x[6]) / n, (y[7] - x[7]) / n }'
done
