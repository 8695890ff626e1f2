#!/usr/bin/env bash
# Bytes copied per request through `crossmux proxy`: the proxy runs under bench/copy_count.c (an
# LD_PRELOAD shim counting every memcpy/memmove that reaches libc) in front of `crossmux origin`;
# h2load sends N requests one at a time per row and the counters are read before and after. A
# 0-byte row gives the per-request cost without a body (headers, frames, bookkeeping); "body
# copies" is (bytes copied - that) / body size: how many times each body byte was copied in user
# space. The kernel's own copies (recv, send) are not counted.
# Usage: [LOOP=io_uring] bench/body_copies.sh CROSSMUX_BINARY   (the proxy on epoll by default)
set -uo pipefail
crossmux=$1
source "$(dirname "$0")/lib.sh"
start_counted_proxy

# row LABEL PORT SIZE N [h1|upload]: one line of the table.
row() {
  local label=$1 port=$2 size=$3 n=$4 mode=${5:-} before after url args=()
  url="http://127.0.0.1:$port/bytes/$size"
  case $mode in
    h1) args=(--h1) ;;
    upload)
      head -c "$size" /dev/zero >"$work/upload"
      args=(-d "$work/upload")
      url="http://127.0.0.1:$port/echo" ;;
  esac
  before=$(read_counts)
  h2load "${args[@]}" -n "$n" -c 1 -m 1 "$url" >"$work/h2load.out" 2>&1
  after=$(read_counts)
  grep -q "$n succeeded" "$work/h2load.out" || fail "$label $size: $(grep -E '^requests' "$work/h2load.out")"
  awk -v l="$label" -v s="$size" -v n="$n" -v b="$before" -v a="$after" -v base="${base[$label]:-}" \
    -v up="$mode" 'BEGIN { split(b, x, " "); split(a, y, " ")
      bytes = (y[1] - x[1]) / n; calls = (y[2] - x[2]) / n; big = (y[3] - x[3]) / n
      body = up == "upload" ? 2 * s : s
      copies = (s > 0 && base != "") ? sprintf("%.2f", (bytes - base) / body) : "-"
      printf "%s %d %.0f %.1f %.0f %s\n", l, s, bytes, calls, big, copies }'
}

declare -A base
echo "| load | body bytes | bytes copied per request | copy calls per request | bytes in copies >= 1 KiB | body copies |"
echo "|---|---|---|---|---|---|"
for spec in "h2c->http1 $h2c_port" "h2c->h2c $h2h2_port" "http1->http1 $h2c_port h1" \
  "h2c->http1-upload+echo $h2c_port upload"; do
  read -r label port mode <<<"$spec"
  # An echoed upload has no 0-byte row of its own: the download row's stands in for it.
  [ "$mode" = upload ] && base[$label]=${base["h2c->http1"]}
  for size in 0 16384 1048576; do
    n=2000
    [ "$size" = 1048576 ] && n=100
    [ "$mode" = upload ] && [ "$size" = 0 ] && continue
    line=$(row "$label" "$port" "$size" "$n" "$mode") || { echo "$line"; exit 1; }
    read -r _ _ bytes calls big copies <<<"$line"
    [ "$size" = 0 ] && base[$label]=$bytes
    echo "| $label | $size | $bytes | $calls | $big | $copies |"
  done
done
