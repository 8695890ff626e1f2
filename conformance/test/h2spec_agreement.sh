#!/usr/bin/env bash
# Measures per-case agreement between a real h2spec binary and `crossmux conform h2 -S` (the
# h2spec-equivalent set) against nghttpd, nginx, HAProxy (buffering requests) and `crossmux proxy`
# on an h2c-only listener, all on loopback. Run by hand (h2spec is not a Debian package; build it
# yourself and pass its path); prints one table row per server and every case whose verdict
# differs. Exit status 1 when any case differs.
# Usage: conformance/test/h2spec_agreement.sh H2SPEC_BINARY CROSSMUX_BINARY [ROUNDS]
set -uo pipefail
h2spec=$1 crossmux=$2 rounds=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
# $work, $pids, cleanup, fail, free_port, wait_port, start_origin: the proxy e2e helpers.
source "$here/../../mux/proxy/test/e2e_lib.sh"

mkdir -p "$work/htdocs"
echo "crossmux h2spec agreement body" >"$work/htdocs/index.html"
start_origin origin origin_port

ng_port=$(free_port)
nghttpd --no-tls -d "$work/htdocs" "$ng_port" >"$work/nghttpd.log" 2>&1 &
pids+=($!)

nx_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$nx_port http2;
    root $work/htdocs;
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx.conf" >"$work/nginx.log" 2>&1 &
pids+=($!)

hp_port=$(free_port)
cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-buffer-request
frontend h2c
  bind 127.0.0.1:$hp_port proto h2
  default_backend origin
backend origin
  server o 127.0.0.1:$origin_port
CFG
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)

cx_port=$(free_port)
cat >"$work/crossmux.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "h2c-only"
address = "127.0.0.1:$cx_port"
protocols = ["h2c"]
[[clusters]]
name = "origin"
protocol = "http1"
backends = ["127.0.0.1:$origin_port"]
[[frontends]]
cluster = "origin"
TOML
"$crossmux" proxy --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
pids+=($!)
for p in $ng_port $nx_port $hp_port $cx_port; do wait_port "$p" || fail "port $p did not open"; done

# verdicts FILE.xml: "id verdict" per case, for h2spec's XML (package + position) and ours (name).
verdicts() {
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for suite in root.iter("testsuite"):
    n = 0
    for case in suite.iter("testcase"):
        n += 1
        case_id = case.get("name") or "%s/%d" % (case.get("package"), n)
        if case.find("failure") is not None or case.find("error") is not None:
            v = "fail"
        elif case.find("skipped") is not None:
            v = "skip"
        else:
            v = "pass"
        print(case_id, v)
PY
}

status=0
printf '| server | h2spec 2.6 -S (passed/total) | crossmux conform h2 -S | cases that differ |\n|---|---|---|---|\n'
for server in nghttpd:$ng_port nginx:$nx_port haproxy:$hp_port crossmux:$cx_port; do
  name=${server%%:*} port=${server##*:}
  for round in $(seq 1 "$rounds"); do
    "$h2spec" -S -p "$port" -j "$work/$name-h2spec.xml" >"$work/$name-h2spec.txt" 2>&1
    "$crossmux" conform h2 -S generic http2 hpack -p "$port" -j "$work/$name-ours.xml" >"$work/$name-ours.txt" 2>&1
    verdicts "$work/$name-h2spec.xml" | sort >"$work/$name-h2spec.v"
    verdicts "$work/$name-ours.xml" | sort >"$work/$name-ours.v"
    diffs=$(join -a1 -a2 -e missing -o 0,1.2,2.2 "$work/$name-h2spec.v" "$work/$name-ours.v" \
      | awk '$2 != $3 { printf "%s (h2spec %s, ours %s) ", $1, $2, $3 }')
    summary() { tail -1 "$1" | sed 's/ tests, \([0-9]*\) passed.*/ \1/' | awk '{ print $2 "/" $1 }'; }
    printf '| %s | %s | %s | %s |\n' "$name" "$(summary "$work/$name-h2spec.txt")" \
      "$(summary "$work/$name-ours.txt")" "${diffs:-none}"
    [ -z "$diffs" ] || status=1
  done
done
exit $status
