#!/usr/bin/env bash
# User-space instructions per request of each proxy, counted by callgrind: the part of a proxy's
# cost that is its own code (and its libraries': libc, OpenSSL, the allocator), immune to the
# load of a shared machine and to how the scheduler batches, unlike requests per CPU-second. The
# kernel's part (TCP on loopback, the waits) is not in it: bench/cpu_split.sh measures both.
#
# Each proxy runs under `valgrind --tool=callgrind` (with its children: nghttpx serves from a
# forked worker), one worker, in front of `crossmux origin` (native, on epoll); h2load sends LO
# requests, the proxy stops, and the same again with HI requests: (I(HI) - I(LO)) / (HI - LO)
# instructions per request, so start-up and shutdown drop out. crossmux runs on epoll here
# (valgrind does not follow io_uring's shared rings); the request path above the loop is the same
# code on both loops.
# Usage: bench/proxy_icount.sh CROSSMUX_BINARY      (ROWS="h2c-m10 h2h2-m10 h1", PROXIES=...,
#        LO=1000 HI=6000)
set -uo pipefail
crossmux=$1
source "$(dirname "$0")/lib.sh"
for t in valgrind h2load haproxy nghttpx; do
  command -v "$t" >/dev/null || fail "$t is not installed (scripts/setup.sh installs it)"
done
lo=${LO:-1000}
hi=${HI:-6000}
read -r -a rows <<<"${ROWS:-h2c-m10 h2h2-m10 h1}"
read -r -a proxies <<<"${PROXIES:-crossmux haproxy nghttpx}"

start_bench_origin
h1_port=$(free_port)
h2_port=$(free_port)
write_bench_toml "$work/crossmux.toml" "$origin_port" "$h1_port" "$h2_port"
write_haproxy_cfg "$work/haproxy.cfg" "$origin_port" "
frontend h1
  bind 127.0.0.1:$h1_port proto h2
  default_backend origin
frontend h1h1
  bind 127.0.0.1:$((h1_port + 1))
  default_backend origin
frontend h2
  bind 127.0.0.1:$h2_port proto h2
  default_backend origin-h2"

# proxy_command PROXY BACKEND: the command line of PROXY with one frontend on $h1_port (h2c
# clients, HTTP/1.1 backend), $h2_port (h2c, h2c backend) or, for HAProxy's HTTP/1.1 clients,
# $h1_port + 1 (its h2c frontend does not speak HTTP/1.1).
proxy_command() {
  case $1 in
    crossmux) echo env CROSSMUX_EVENT_LOOP=epoll "$crossmux" proxy --workers 1 --config "$work/crossmux.toml" ;;
    haproxy) echo haproxy -f "$work/haproxy.cfg" -db ;;
    nghttpx)
      local backend="127.0.0.1,$origin_port"
      [ "$2" = h2 ] && backend="127.0.0.1,$origin_port;;proto=h2"
      echo nghttpx --conf=/dev/null "--frontend=127.0.0.1,$h1_port;no-tls" \
        "--frontend=127.0.0.1,$h2_port;no-tls" "--frontend=127.0.0.1,$((h1_port + 1));no-tls" \
        "--backend=$backend" --workers=1 --errorlog-file="$work/nghttpx.err" \
        --accesslog-file=/dev/null
      ;;
  esac
}

# instructions PROXY ROW N: user-space instructions of PROXY (all its processes) serving N
# requests of ROW, start-up and shutdown included.
instructions() {
  local p=$1 row=$2 n=$3 port load
  case $row in
    h2c-m10) port=$h1_port load=(-c 4 -m 10) ;;
    h2h2-m10) port=$h2_port load=(-c 4 -m 10) ;;
    h1) port=$h1_port load=(--h1 -c 10 -m 1) ;;
    *) fail "unknown row $row" ;;
  esac
  [ "$p" = haproxy ] && [ "$row" = h1 ] && port=$((h1_port + 1))
  local backend=h1
  [ "$row" = h2h2-m10 ] && backend=h2
  rm -f "$work"/callgrind.*
  # shellcheck disable=SC2046 # the command's words
  valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$work/callgrind.%p" \
    $(proxy_command "$p" "$backend") >"$work/$p.log" 2>&1 &
  local vg=$!
  pids+=($vg)
  wait_port "$port" || wait_port "$port" || fail "$p did not start under valgrind"
  h2load -n "$n" "${load[@]}" "http://127.0.0.1:$port/bytes/1024" >"$work/h2load.out" 2>&1
  local ok
  ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$work/h2load.out")
  [ "${ok:-0}" = "$n" ] || fail "$p $row: $(grep -E '^requests' "$work/h2load.out")"
  # nghttpx's master stops its worker on SIGQUIT (graceful); the others stop on SIGTERM.
  if [ "$p" = nghttpx ]; then kill -QUIT "$vg"; else kill -TERM "$vg"; fi
  for _ in $(seq 1 600); do kill -0 "$vg" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$vg" 2>/dev/null && fail "$p did not stop"
  # Every process's totals (the master's and the worker's for nghttpx).
  # (callgrind writes "totals:", older versions "summary:"; one per file).
  local f total=0 v
  for f in "$work"/callgrind.*; do
    [ -f "$f" ] || continue
    v=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f" | head -1)
    [ -n "$v" ] || v=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f" | head -1)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

echo "crossmux on epoll under callgrind; $(haproxy -v | head -1 | cut -d' ' -f1-3);" \
  "nghttpx $(nghttpx --version | awk '{ print $2 }'); $lo and $hi requests of 1 KiB per run"
echo
printf '| load |'; printf ' %s |' "${proxies[@]}"; echo
printf '|---|'; printf -- '---|%.0s' "${proxies[@]}"; echo
for row in "${rows[@]}"; do
  printf '| %s |' "$row"
  for p in "${proxies[@]}"; do
    a=$(instructions "$p" "$row" "$lo")
    b=$(instructions "$p" "$row" "$hi")
    [ "$b" -gt "$a" ] || fail "$p $row: no instructions counted ($a, $b)"
    printf ' %d |' $(((b - a) / (hi - lo)))
  done
  echo
done
