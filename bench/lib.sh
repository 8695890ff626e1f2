# Start-up shared by bench/body_copies.sh and bench/alloc_count.sh (sourced; needs $crossmux).
# Sources the proxy e2e helpers ($work, $pids and their cleanup, fail, free_port, wait_port), then
# start_counted_proxy builds bench/copy_count.c, starts `crossmux origin` (on epoll) and
# `crossmux proxy` (one worker, no access log, on epoll unless LOOP=io_uring) under the shim,
# and sets:
#   h2c_port   listener for HTTP/1.1 and h2c clients, routed to an HTTP/1.1 cluster
#   h2h2_port  h2c-only listener routed to an h2c cluster (same origin)
#   counts     the shim's counter file; read_counts prints its words on one line
source "$(dirname "${BASH_SOURCE[0]}")/../mux/proxy/test/e2e_lib.sh"
unset CROSSMUX_EVENT_LOOP

# start_counted_proxy [VAR=VALUE...]: extra environment for the proxy (e.g. the shim's
# ALLOC_BACKTRACE_EVERY).
start_counted_proxy() {
  cc -O2 -shared -fPIC -fno-builtin -fno-tree-loop-distribute-patterns -o "$work/copy_count.so" \
    "$(dirname "${BASH_SOURCE[0]}")/copy_count.c" -ldl || fail "cannot build copy_count.so"
  origin_port=$(free_port)
  CROSSMUX_EVENT_LOOP=epoll "$crossmux" origin -l "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
  pids+=($!)
  wait_port "$origin_port" || fail "origin did not start"

  h2c_port=$(free_port)
  h2h2_port=$(free_port)
  cat >"$work/crossmux.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "bench"
address = "127.0.0.1:$h2c_port"
protocols = ["http/1.1", "h2c"]
[[listeners]]
name = "bench-h2"
address = "127.0.0.1:$h2h2_port"
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
  counts=$work/counts
  env CROSSMUX_EVENT_LOOP="${LOOP:-epoll}" "$@" COPY_COUNT_FILE="$counts" LD_PRELOAD="$work/copy_count.so" "$crossmux" proxy \
    --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
  pids+=($!)
  wait_port "$h2c_port" || fail "proxy did not start"
  wait_port "$h2h2_port" || fail "proxy did not start"
  [ -s "$counts" ] || fail "the shim did not map $counts"
}

read_counts() { od -An -t u8 -v "$counts" | tr -s ' \n' ' '; }
