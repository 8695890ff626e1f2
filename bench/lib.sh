# Start-up shared by the proxy benchmarks (body_copies.sh, alloc_count.sh, cpu_split.sh,
# proxy_peers.sh; sourced, needs $crossmux).
# Sources the proxy e2e helpers ($work, $pids and their cleanup, fail, free_port, wait_port), then
# start_counted_proxy builds bench/copy_count.c, starts `crossmux origin` (on epoll) and
# `crossmux proxy` (one worker, no access log, on epoll unless LOOP=io_uring) under the shim,
# and sets:
#   h2c_port   listener for HTTP/1.1 and h2c clients, routed to an HTTP/1.1 cluster
#   h2h2_port  h2c-only listener routed to an h2c cluster (same origin)
#   counts     the shim's counter file; read_counts prints its words on one line
source "$(dirname "${BASH_SOURCE[0]}")/../mux/proxy/test/e2e_lib.sh"
unset CROSSMUX_EVENT_LOOP

# start_bench_origin: `crossmux origin` on epoll (every proxy measured shares it); sets origin_port.
start_bench_origin() {
  origin_port=$(free_port)
  CROSSMUX_EVENT_LOOP=epoll "$crossmux" origin -l "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
  pids+=($!)
  wait_port "$origin_port" || fail "origin did not start"
}

# write_bench_toml FILE ORIGIN_PORT H1_PORT H2_PORT: a crossmux configuration with two listeners
# in front of one origin: H1_PORT (HTTP/1.1 and h2c clients) routed to an HTTP/1.1 cluster,
# H2_PORT (h2c clients) to an h2c cluster; no access log.
write_bench_toml() {
  cat >"$1" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "bench"
address = "127.0.0.1:$3"
protocols = ["http/1.1", "h2c"]
[[listeners]]
name = "bench-h2"
address = "127.0.0.1:$4"
protocols = ["h2c"]
[[clusters]]
name = "origin"
protocol = "http1"
backends = ["127.0.0.1:$2"]
[[clusters]]
name = "origin-h2"
protocol = "h2c"
backends = ["127.0.0.1:$2"]
[[frontends]]
listeners = ["bench-h2"]
cluster = "origin-h2"
[[frontends]]
cluster = "origin"
TOML
}

# write_haproxy_cfg FILE ORIGIN_PORT FRONTENDS: HAProxy with one thread and connection reuse,
# the given frontend sections, and two backends on the origin: `origin` (HTTP/1.1) and
# `origin-h2` (h2c).
write_haproxy_cfg() {
  cat >"$1" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
$3
backend origin
  server o 127.0.0.1:$2
backend origin-h2
  server o 127.0.0.1:$2 proto h2
CFG
}

# start_counted_proxy [VAR=VALUE...]: extra environment for the proxy (e.g. the shim's
# ALLOC_BACKTRACE_EVERY).
start_counted_proxy() {
  cc -O2 -shared -fPIC -fno-builtin -fno-tree-loop-distribute-patterns -o "$work/copy_count.so" \
    "$(dirname "${BASH_SOURCE[0]}")/copy_count.c" -ldl || fail "cannot build copy_count.so"
  start_bench_origin
  h2c_port=$(free_port)
  h2h2_port=$(free_port)
  write_bench_toml "$work/crossmux.toml" "$origin_port" "$h2c_port" "$h2h2_port"
  counts=$work/counts
  env CROSSMUX_EVENT_LOOP="${LOOP:-epoll}" "$@" COPY_COUNT_FILE="$counts" LD_PRELOAD="$work/copy_count.so" "$crossmux" proxy \
    --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
  pids+=($!)
  wait_port "$h2c_port" || fail "proxy did not start"
  wait_port "$h2h2_port" || fail "proxy did not start"
  [ -s "$counts" ] || fail "the shim did not map $counts"
}

read_counts() { od -An -t u8 -v "$counts" | tr -s ' \n' ' '; }
