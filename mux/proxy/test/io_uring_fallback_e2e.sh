#!/usr/bin/env bash
# A proxy asked for io_uring (CROSSMUX_EVENT_LOOP=io_uring) where io_uring_setup is refused --
# EPERM as container runtimes' seccomp profiles answer, ENOSYS as a kernel without io_uring does
# -- runs on epoll, says so and why in its start-up line, and proxies over HTTP/1.1 and h2c.
# Usage: io_uring_fallback_e2e.sh CROSSMUX DENY_IO_URING
crossmux=$1 deny=$2
source "$(dirname "$0")/e2e_lib.sh"
"$deny" EPERM true || { [ $? = 77 ] && { echo "seccomp unavailable: skipped"; exit 77; }; fail "deny_io_uring failed"; }
start_origin origin origin_port
for err in EPERM ENOSYS; do
  port=$(free_port)
  cat >"$work/$err.toml" <<TOML
[global]
access_log = "off"
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
  CROSSMUX_EVENT_LOOP=io_uring "$deny" "$err" "$crossmux" proxy --workers 2 \
    --config "$work/$err.toml" >"$work/proxy-$err.log" 2>&1 &
  pids+=($!)
  wait_for "$work/proxy-$err.log" "event loop" || fail "$err: no start-up line"
  line=$(grep "event loop" "$work/proxy-$err.log")
  case $err in EPERM) why="Operation not permitted" ;; ENOSYS) why="Function not implemented" ;; esac
  grep -q "epoll event loop (io_uring asked for: .*$why" <<<"$line" || fail "$err: start-up line: $line"
  wait_port "$port" || fail "$err: proxy did not listen"
  for client in --http1.1 --http2-prior-knowledge; do
    body=$(curl -sS --max-time 10 "$client" "http://127.0.0.1:$port/bytes/3000" | wc -c)
    [ "$body" = 3000 ] || fail "$err $client: got $body bytes"
  done
  echo "$err: $line"
done
echo "ok"
