#!/usr/bin/env bash
# The proxy's choice of event loop, cheaply (the whole suite runs on the default loop, and
# scripts/test.sh runs the sanitized one on epoll): where io_uring works, a proxy started without
# CROSSMUX_EVENT_LOOP runs on io_uring and moves requests and 1 MiB bodies both ways over HTTP/1.1
# and h2c. Everywhere, CROSSMUX_EVENT_LOOP=epoll gets epoll (with no reason to give), and a proxy
# where io_uring_setup is refused -- EPERM as container runtimes' seccomp profiles answer, ENOSYS
# as a kernel without io_uring does -- runs on epoll, says so and why in its start-up line, and
# proxies.
# Usage: io_uring_e2e.sh CROSSMUX DENY_IO_URING IO_URING_WORKS(1|0)
crossmux=$1 deny=$2 works=$3
source "$(dirname "$0")/e2e_lib.sh"
unset CROSSMUX_EVENT_LOOP
start_origin origin origin_port
head -c 1048576 /dev/urandom >"$work/up.bin"
up_sha=$(sha256sum <"$work/up.bin" | cut -c1-64)

# start NAME LOOP [WRAPPER...]: a two-worker proxy in front of the origin on $port, log
# $work/NAME.log; LOOP is CROSSMUX_EVENT_LOOP's value ("" leaves it unset).
start() {
  local name=$1 loop=$2
  shift 2
  port=$(free_port)
  cat >"$work/$name.toml" <<TOML
[global]
access_log = "off"
${admin:+admin = \"127.0.0.1:$admin\"}
[[listeners]]
name = "main"
address = "127.0.0.1:$port"
protocols = ["http/1.1", "h2c"]
[[clusters]]
name = "origin"
protocol = "http1"
backends = ["127.0.0.1:$origin_port"]
[[frontends]]
cluster = "origin"
TOML
  env ${loop:+CROSSMUX_EVENT_LOOP=$loop} "$@" "$crossmux" proxy --workers 2 --config "$work/$name.toml" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_for "$work/$name.log" "event loop" || fail "$name: no start-up line"
  wait_port "$port" || fail "$name: proxy did not listen"
}
# traffic NAME: small and 1 MiB responses, a 1 MiB upload (the origin's /echo), both protocols.
traffic() {
  local client got
  for client in --http1.1 --http2-prior-knowledge; do
    got=$(curl -sS --max-time 20 "$client" "http://127.0.0.1:$port/bytes/3000" | wc -c)
    [ "$got" = 3000 ] || fail "$1 $client: /bytes/3000 gave $got bytes"
    got=$(curl -sS --max-time 20 "$client" "http://127.0.0.1:$port/bytes/1048576" | wc -c)
    [ "$got" = 1048576 ] || fail "$1 $client: /bytes/1048576 gave $got bytes"
    got=$(curl -sS --max-time 20 "$client" --data-binary "@$work/up.bin" \
      "http://127.0.0.1:$port/echo" | sha256sum | cut -c1-64)
    [ "$got" = "$up_sha" ] || fail "$1 $client: the echoed 1 MiB upload differs"
  done
}

if [ "$works" = 1 ]; then
  admin=$(free_port)
  start uring ""
  line=$(grep "event loop" "$work/uring.log")
  grep -q ", io_uring event loop$" <<<"$line" || fail "not on io_uring by default: $line"
  traffic io_uring
  # The loop's work on /metrics, and the receive policy it shows: accepted connections receive
  # in bursts (one multishot receive each), HTTP/1.1 backend connections paced (a receive started
  # per response, so that a stalled client's backend bytes stay in the kernel: see
  # starvation_e2e.py's memory bound).
  events() {
    curl -sS -m 5 "http://127.0.0.1:$admin/metrics" |
      awk '/^crossmux_io_uring_events_total\{/ { sub(/.*event="/, "", $1); sub(/".*/, "", $1); printf "%s=%s ", $1, $2 }'
  }
  declare -A before after
  for kv in $(events); do before[${kv%=*}]=${kv#*=}; done
  [ -n "${before[enter]:-}" ] || fail "no crossmux_io_uring_events_total on /metrics: $(events)"
  h2load -n 400 -c 4 -m 10 "http://127.0.0.1:$port/bytes/1024" >"$work/h2load.out" 2>&1
  grep -q "400 succeeded" "$work/h2load.out" || fail "h2load: $(grep -E '^requests' "$work/h2load.out")"
  for kv in $(events); do after[${kv%=*}]=${kv#*=}; done
  delta() { awk -v a="${after[$1]}" -v b="${before[$1]}" 'BEGIN { print a - b }'; }
  echo "io_uring, 400 requests: enter $(delta enter), send $(delta send)," \
    "receive_armed $(delta receive_armed), completion $(delta completion)"
  (($(delta completion) >= 800)) || fail "fewer completions than requests and responses"
  (($(delta enter) >= 1 && $(delta enter) < $(delta completion))) || fail "enters do not batch"
  (($(delta receive_armed) >= 400)) || fail "HTTP/1.1 backend receives are not paced"
  admin=""
  echo "io_uring: $(grep -o '[0-9]* worker(s).*' "$work/uring.log")"
fi
start epoll epoll
line=$(grep "event loop" "$work/epoll.log")
grep -q ", epoll event loop$" <<<"$line" || fail "CROSSMUX_EVENT_LOOP=epoll: $line"
traffic epoll

"$deny" EPERM true
case $? in
  0) ;;
  77) echo "seccomp filters unavailable here: the refusal is not tested"; exit 0 ;;
  *) fail "deny_io_uring failed" ;;
esac
for err in EPERM ENOSYS; do
  start "$err" "" "$deny" "$err"
  case $err in EPERM) why="Operation not permitted" ;; ENOSYS) why="Function not implemented" ;; esac
  line=$(grep "event loop" "$work/$err.log")
  grep -q "epoll event loop (io_uring unavailable: .*$why)" <<<"$line" || fail "$err: start-up line: $line"
  traffic "$err"
  echo "$err: ${line#*info: }"
done
echo ok
