#!/usr/bin/env bash
# Instructions per iteration of our codecs and of their references (nghttp2, llhttp) on the same
# inputs, counted by callgrind: immune to the load of a shared machine, unlike timings. Each case
# runs twice with a fixed iteration count (CROSSMUX_BENCH_ITERATIONS) and the difference is
# divided by the extra iterations, so one-time costs (dynamic linking, first allocations) drop out.
# Usage: bench/codec_icount.sh [BUILD_DIR] [FILTER]   (BUILD_DIR default build/release; FILTER an
# extended regex over the case names below)
set -euo pipefail
build=${1:-build/release}
only=${2:-.}
command -v valgrind >/dev/null || { echo "valgrind is not installed (scripts/setup.sh)"; exit 1; }
lo=2
hi=12

# binary benchmark_filter collect_pattern iterations -> instructions
count() {
  CROSSMUX_BENCH_ITERATIONS=$4 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --toggle-collect="$3" "$build/bench/$1" --benchmark_filter="$2" 2>&1 |
    sed -n 's/.*Collected : *//p'
}
per_iteration() {
  local a b
  a=$(count "$1" "$2" "$3" $lo)
  b=$(count "$1" "$2" "$3" $hi)
  echo $(((b - a) / (hi - lo)))
}
# name binary ours_filter ours_pattern theirs_filter theirs_pattern
row() {
  [[ $1 =~ $only ]] || return 0
  local ours theirs
  ours=$(per_iteration "$2" "$3" "$4")
  theirs=$(per_iteration "$2" "$5" "$6")
  awk -v n="$1" -v o="$ours" -v t="$theirs" \
    'BEGIN { printf "| %s | %d | %d | %.2fx |\n", n, o, t, (o > 0 ? t / o : 0) }'
}

echo "| case | ours Ir/iter | reference Ir/iter | ratio |"
echo "|---|---:|---:|---:|"
for set in browser api grpc_req grpc_resp; do
  for huff in huff raw; do
    for temp in warm cold; do
      c="decode/$set/$huff/$temp"
      row "hpack $c" bench_hpack "^$c/ours(/|\$)" '*decode_ours*' "^$c/nghttp2(/|\$)" '*decode_nghttp2*'
    done
  done
done
for set in browser api grpc_req grpc_resp; do
  c="encode/$set/huff/warm"
  row "hpack $c" bench_hpack "^$c/ours(/|\$)" '*encode_ours*' "^$c/nghttp2(/|\$)" '*encode_nghttp2*'
done
for input in BrowserRequest Pipelined100 JsonResponse ChunkedResponse; do
  row "h1 $input" bench_h1 "^BM_Ours_$input(/|\$)" "*BM_Ours_$input*" \
    "^BM_Llhttp_$input(/|\$)" "*BM_Llhttp_$input*"
done
row "h2 server connection" bench_h2 '^BM_ServerConnection_Ours(/|$)' '*BM_ServerConnection_Ours*' \
  '^BM_ServerConnection_Nghttp2(/|$)' '*BM_ServerConnection_Nghttp2*'
