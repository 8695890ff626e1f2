#!/usr/bin/env bash
# Runs `crossmux fuzz` against the peers for a fixed time each: nghttpd and nginx as servers,
# HAProxy, nghttpx and crossmux proxy as proxies in front of `crossmux origin --record` (configured
# as in bench/proxy_peers.sh), over HTTP/2 (h2c) and HTTP/1.1, each started and restarted by
# --exec; then two differential runs: the three proxies side by side behind one origin
# (--origin-record), and nghttpd, nginx and the origin as HTTP/2 servers. Writes every run's
# directory and a summary table to OUT. By hand (minutes), never in CI: fuzz/net/RESULTS.md says
# what the last run found.
# Usage: fuzz/net/peers.sh CROSSMUX_BINARY [SECONDS_PER_RUN] [OUT]
crossmux=$(realpath "$1")
secs=${2:-60}
out=$(realpath -m "${3:-peers-out}")
source "$(dirname "$0")/../../mux/proxy/test/e2e_lib.sh"
mkdir -p "$out"
for tool in nghttpd nginx haproxy nghttpx; do
  command -v "$tool" >/dev/null || { echo "$tool not installed (scripts/setup.sh installs it)"; exit 1; }
done
mkdir -p "$work/htdocs" "$work/nginx"
chmod 755 "$work" "$work/htdocs"  # nginx's workers run as www-data: a 403 for everything otherwise
echo "crossmux fuzz peers" >"$work/htdocs/index.html"

start_origin_at() {  # start_origin_at NAME PORT: an origin recording to $work/NAME.record
  "$crossmux" origin --listen "127.0.0.1:$2" --record "$work/$1.record" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_port "$2" || fail "origin $1 did not start"
}

nginx_conf() {  # nginx_conf H1_PORT H2C_PORT
  cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
error_log $work/nginx/error.log;
pid $work/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  server {
    listen 127.0.0.1:$1;
    listen 127.0.0.1:$2 http2;
    root $work/htdocs;
  }
}
CONF
}

haproxy_conf() {  # haproxy_conf H1_PORT H2C_PORT ORIGIN_PORT
  cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend h1
  bind 127.0.0.1:$1
  default_backend origin
frontend h2
  bind 127.0.0.1:$2 proto h2
  default_backend origin
backend origin
  server o 127.0.0.1:$3
CFG
}

crossmux_conf() {  # crossmux_conf PORT ORIGIN_PORT
  cat >"$work/crossmux.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "fuzz"
address = "127.0.0.1:$1"
protocols = ["http/1.1", "h2c"]
[[clusters]]
name = "origin"
protocol = "http1"
backends = ["127.0.0.1:$2"]
[[frontends]]
cluster = "origin"
TOML
}

fuzz() {  # fuzz NAME PROTO ARGS...
  local name=$1 proto=$2
  shift 2
  echo "== $name ($proto, ${secs}s) at $(date -u +%T)"
  nice "$crossmux" fuzz "$proto" -q -d "$secs" -o "$out/$name" "$@" >"$out/$name.log" 2>&1
  tail -2 "$out/$name.log"
}

cd "$(dirname "$0")/../.."  # the corpus/ seeds
p1=$(free_port) p2=$(free_port) o=$(free_port)

# Servers.
fuzz nghttpd-h2 h2 -p "$p1" --exec "exec nghttpd --no-tls -d $work/htdocs $p1"
nginx_conf "$p1" "$p2"
fuzz nginx-h1 h1 -p "$p1" --exec "exec nginx -c $work/nginx/nginx.conf -p $work/nginx"
fuzz nginx-h2 h2 -p "$p2" --exec "exec nginx -c $work/nginx/nginx.conf -p $work/nginx"

# Proxies in front of a recording origin.
start_origin_at single "$o"
haproxy_conf "$p1" "$p2" "$o"
fuzz haproxy-h1 h1 -p "$p1" --origin-record "$work/single.record" \
  --exec "exec haproxy -f $work/haproxy.cfg -db"
fuzz haproxy-h2 h2 -p "$p2" --origin-record "$work/single.record" \
  --exec "exec haproxy -f $work/haproxy.cfg -db"
# --conf=/dev/null: Debian's /etc/nghttpx/nghttpx.conf adds a frontend on :3000 and logs to syslog.
nghttpx_cmd="exec nghttpx --conf=/dev/null '--frontend=127.0.0.1,$p1;no-tls' \
  --backend=127.0.0.1,$o --workers=1 --errorlog-file=$work/nghttpx.err --accesslog-file=/dev/null"
fuzz nghttpx-h1 h1 -p "$p1" --origin-record "$work/single.record" --exec "$nghttpx_cmd"
fuzz nghttpx-h2 h2 -p "$p1" --origin-record "$work/single.record" --exec "$nghttpx_cmd"
crossmux_conf "$p1" "$o"
cx_cmd="exec $crossmux proxy --workers 1 --config $work/crossmux.toml"
fuzz crossmux-h1 h1 -p "$p1" --origin-record "$work/single.record" --exec "$cx_cmd"
fuzz crossmux-h2 h2 -p "$p1" --origin-record "$work/single.record" --exec "$cx_cmd"

# Differential: the three proxies behind one origin, then three HTTP/2 servers.
hp1=$(free_port) hp2=$(free_port) nx=$(free_port) cx=$(free_port) ng1=$(free_port) ng2=$(free_port)
haproxy_conf "$hp1" "$hp2" "$o"
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!) && hp=$!
nghttpx --conf=/dev/null --frontend="127.0.0.1,$nx;no-tls" --backend="127.0.0.1,$o" --workers=1 \
  --errorlog-file="$work/nghttpx-diff.err" --accesslog-file=/dev/null >"$work/nghttpx.log" 2>&1 &
pids+=($!) && nxp=$!
crossmux_conf "$cx" "$o"
"$crossmux" proxy --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
pids+=($!) && cxp=$!
for p in "$hp1" "$hp2" "$nx" "$cx"; do wait_port "$p" || fail "a proxy did not start"; done
fuzz proxies-diff-h1 h1 --origin-record "$work/single.record" --target "haproxy=127.0.0.1:$hp1,pid=$hp" \
  --target "nghttpx=127.0.0.1:$nx,pid=$nxp" --target "crossmux=127.0.0.1:$cx,pid=$cxp"
fuzz proxies-diff-h2 h2 --origin-record "$work/single.record" --target "haproxy=127.0.0.1:$hp2,pid=$hp" \
  --target "nghttpx=127.0.0.1:$nx,pid=$nxp" --target "crossmux=127.0.0.1:$cx,pid=$cxp"
nghttpd --no-tls -d "$work/htdocs" "$ng1" >"$work/nghttpd.log" 2>&1 &
pids+=($!) && ngd=$!
nginx_conf "$(free_port)" "$ng2"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" >"$work/nginx.log" 2>&1 &
pids+=($!) && ngx=$!
for p in "$ng1" "$ng2"; do wait_port "$p" || fail "a server did not start"; done
fuzz servers-diff-h2 h2 --target "nghttpd=127.0.0.1:$ng1,pid=$ngd" \
  --target "nginx=127.0.0.1:$ng2,pid=$ngx" --target "origin=127.0.0.1:$o"

# The summary: per run, cases and cases/s, findings by kind with their ids.
{
  echo "| run | cases | cases/s | findings |"
  echo "|---|---:|---:|---|"
  for d in "$out"/*/; do
    n=$(basename "$d")
    [ -f "$d/findings.tsv" ] || continue
    line=$(grep -E "^[0-9]+ cases in" "$out/$n.log" | tail -1)
    cases=$(awk '{print $1}' <<<"$line")
    rate=$(sed -nE 's/.* s \(([0-9.]+)\/s.*/\1/p' <<<"$line")
    found=$(awk -F'\t' 'NR > 1 { printf "%s%s `%s` (%s)", (NR > 2 ? "; " : ""), $2 "/" $4, $1, $5 "s" }' "$d/findings.tsv")
    echo "| $n | $cases | $rate | ${found:-none} |"
  done
} >"$out/summary.md"
cat "$out/summary.md"
