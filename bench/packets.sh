#!/usr/bin/env bash
# TCP packets per request on each leg of a proxy, crossmux (its default loop, and on epoll)
# beside HAProxy and nghttpx, one worker each, in front of the same origin on loopback (the
# proxy_peers.sh set-up): tcpdump on lo while h2load (`-c 4 -m M`, h2c, 1 KiB bodies) or wrk
# (HTTP/1.1, `-c 10`) sends requests to one proxy at a time. Every packet a proxy sends or
# receives costs kernel time in the proxy (its send, and on loopback the receiver's protocol
# processing runs in the sender's context), so this shows where two proxies' kernel shares
# differ: in how many packets carry the same requests. Needs root (tcpdump).
# Usage: [ROWS="h2c-m1 h2c-m10 h2c-m100 h1"] [REQUESTS=20000] bench/packets.sh CROSSMUX_BINARY
set -uo pipefail
crossmux=$1
requests=${REQUESTS:-20000}
command -v tcpdump >/dev/null || { echo "packets.sh: needs tcpdump (scripts/setup.sh)" >&2; exit 1; }
source "$(dirname "$0")/lib.sh"
start_bench_origin
declare -A h1 h2
h1[crossmux]=$(free_port); h2[crossmux]=$(free_port)
write_bench_toml "$work/crossmux.toml" "$origin_port" "${h1[crossmux]}" "$(free_port)"
"$crossmux" proxy --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
pids+=($!)
h1[crossmux-epoll]=$(free_port)
write_bench_toml "$work/epoll.toml" "$origin_port" "${h1[crossmux-epoll]}" "$(free_port)"
CROSSMUX_EVENT_LOOP=epoll "$crossmux" proxy --workers 1 --config "$work/epoll.toml" \
  >"$work/epoll.log" 2>&1 &
pids+=($!)
h2[crossmux-epoll]=${h1[crossmux-epoll]}
h2[crossmux]=${h1[crossmux]}
h1[haproxy]=$(free_port); h2[haproxy]=$(free_port)
write_haproxy_cfg "$work/haproxy.cfg" "$origin_port" "\
frontend h1
  bind 127.0.0.1:${h1[haproxy]}
  default_backend origin
frontend h2
  bind 127.0.0.1:${h2[haproxy]} proto h2
  default_backend origin"
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)
h1[nghttpx]=$(free_port); h2[nghttpx]=${h1[nghttpx]}
nghttpx --conf=/dev/null --frontend="127.0.0.1,${h1[nghttpx]};no-tls" \
  --backend="127.0.0.1,$origin_port" --workers=1 --errorlog-file="$work/nghttpx.err" \
  --accesslog-file=/dev/null >/dev/null 2>&1 &
pids+=($!)
proxies=(crossmux crossmux-epoll haproxy nghttpx)
for p in "${proxies[@]}"; do
  wait_port "${h1[$p]}" && wait_port "${h2[$p]}" || fail "$p did not start"
done

# count ROW PROXY PORT REQUESTS PCAP: one line per leg: packets with data and bare ACKs per
# request, payload bytes per request.
count() {
  tcpdump -nn -r "$5" 2>/dev/null | awk -v row="$1" -v name="$2" -v pp="$3" -v n="$4" \
    -v op="$origin_port" '
    { split($3, s, "."); split($5, d, "."); sp = s[5]; dp = d[5]; sub(":", "", dp)
      len = 0; for (i = 1; i < NF; i++) if ($i == "length") len = $(i + 1) + 0
      if (dp == pp) leg = "client>proxy"; else if (sp == pp) leg = "proxy>client"
      else if (dp == op) leg = "proxy>origin"; else if (sp == op) leg = "origin>proxy"; else next
      legs[leg] = 1; if (len > 0) data[leg]++; else ack[leg]++; bytes[leg] += len }
    END { for (l in legs) { td += data[l]; ta += ack[l]; tb += bytes[l]
            printf "%s %s %s %.3f %.3f %.0f\n", row, name, l, data[l] / n, ack[l] / n, bytes[l] / n }
          printf "%s %s all-legs %.3f %.3f %.0f\n", row, name, td / n, ta / n, tb / n }'
}

read -r -a rows <<<"${ROWS:-h2c-m1 h2c-m10 h2c-m100 h1}"
: >"$work/results"
for row in "${rows[@]}"; do
  for p in "${proxies[@]}"; do
    if [ "$row" = h1 ]; then port=${h1[$p]}; else port=${h2[$p]}; fi
    m=${row#h2c-m}
    # Warm up (backend connections opened), then capture one measured run.
    if [ "$row" = h1 ]; then
      wrk -t1 -c 10 -d 1s "http://127.0.0.1:$port/bytes/1024" >/dev/null 2>&1
    else
      h2load -n 2000 -c 4 -m "$m" "http://127.0.0.1:$port/bytes/1024" >/dev/null 2>&1
    fi
    tcpdump -i lo -nn -q -w "$work/cap.pcap" "tcp port $port or tcp port $origin_port" \
      >/dev/null 2>&1 &
    td=$!
    sleep 1
    if [ "$row" = h1 ]; then
      n=$(wrk -t1 -c 10 -d 3s "http://127.0.0.1:$port/bytes/1024" 2>&1 |
        sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    else
      n=$(h2load -n "$requests" -c 4 -m "$m" "http://127.0.0.1:$port/bytes/1024" 2>&1 |
        sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p')
    fi
    sleep 1
    kill "$td"
    wait "$td" 2>/dev/null
    [ "${n:-0}" -gt 0 ] || fail "$p: no request completed on $row"
    count "$row" "$p" "$port" "$n" "$work/cap.pcap" >>"$work/results"
  done
done

echo "packets per request by leg (data / bare ACKs), payload bytes per request; $requests requests per h2load run, wrk 3 s"
printf '%-9s %-15s %-14s %9s %9s %8s\n' row proxy leg data acks bytes
sort -k1,1 -k3,3 -k2,2 "$work/results" |
  awk '{ printf "%-9s %-15s %-14s %9.3f %9.3f %8d\n", $1, $2, $3, $4, $5, $6 }'
