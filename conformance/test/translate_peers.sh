#!/usr/bin/env bash
# Runs crossmux's conformance suites against other proxies: HAProxy 2.6 and nghttpx 1.52 (both
# installed by scripts/setup.sh), each configured as an HTTP/1.1 + h2c (prior knowledge) front end
# routing h1.translate.test to an HTTP/1.1 backend and h2.translate.test to an h2c backend, both a
# recording `crossmux origin`, and crossmux proxy configured the same way beside them.
#   conform translate  every scenario in the four pairings
#   conform h1         HTTP/1.1 syntax, framing and smuggling classes
#   conform h2         h2spec's set (-S); with --full also crossmux's additions (--all)
# Each proxy's failing case ids must equal conformance/known-deviations/<proxy>-<suite>.txt
# ("? ID" lines: timing-dependent, may pass or fail)
# (crossmux's: none), so a proxy upgrade or a runner change that moves a verdict shows up.
# Usage: translate_peers.sh CROSSMUX_BINARY SOURCE_DIR [--full] [--keep DIR] [--only PROXY]
#   default: the CI run (every suite, 1.5 s read timeout); --full: also the rfc9113/abuse groups
#   and h2spec's 2 s read timeout; --keep DIR: copy every report (text + JUnit) to DIR.
set -uo pipefail
crossmux=$1 src=$2
shift 2
full=0 keep="" only=""
while [ $# -gt 0 ]; do
  case $1 in
    --full) full=1 ;;
    --keep) keep=$2; shift ;;
    --only) only=$2; shift ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
  shift
done
# $work, $pids, cleanup, fail, free_port, wait_port, start_origin: the proxy e2e helpers.
source "$src/mux/proxy/test/e2e_lib.sh"
for tool in haproxy nghttpx; do
  command -v $tool >/dev/null || fail "$tool not installed (scripts/setup.sh installs it)"
done
timeout_s=1.5
[ $full -eq 1 ] && timeout_s=2

# One origin per proxy: its record file then holds that proxy's requests only.
start_proxy() {  # start_proxy NAME: starts NAME in front of its own origin, sets port_NAME
  local name=$1 origin port
  start_origin "$name-origin" origin
  port=$(free_port)
  case $name in
    crossmux)
      cat >"$work/crossmux.toml" <<TOML
[global]
access_log = "off"
[[listeners]]
name = "plain"
address = "127.0.0.1:$port"
protocols = ["http/1.1", "h2c"]
[[clusters]]
name = "h1"
protocol = "http1"
backends = ["127.0.0.1:$origin"]
[[clusters]]
name = "h2c"
protocol = "h2c"
backends = ["127.0.0.1:$origin"]
[[frontends]]
hostname = "h2.translate.test"
cluster = "h2c"
[[frontends]]
cluster = "h1"
TOML
      "$crossmux" proxy --workers 1 --config "$work/crossmux.toml" >"$work/crossmux.log" 2>&1 &
      ;;
    haproxy)
      # A clear bind in HTTP mode takes HTTP/1.1 and the HTTP/2 preface (prior knowledge).
      cat >"$work/haproxy.cfg" <<CFG
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend plain
  bind 127.0.0.1:$port
  use_backend h2c if { req.hdr(host),field(1,:) -m str h2.translate.test }
  default_backend h1
backend h1
  server o 127.0.0.1:$origin
backend h2c
  server o 127.0.0.1:$origin proto h2
CFG
      haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
      ;;
    nghttpx)
      # --conf=/dev/null: Debian's /etc/nghttpx/nghttpx.conf adds a frontend on :3000, which a
      # second run at the same time (or anything else on :3000) could not bind.
      nghttpx --conf=/dev/null --frontend="127.0.0.1,$port;no-tls" \
        --backend="127.0.0.1,$origin;h2.translate.test/;proto=h2" \
        --backend="127.0.0.1,$origin;/;proto=http/1.1" --workers=1 --no-ocsp \
        --errorlog-file="$work/nghttpx.err" --accesslog-file=/dev/null >"$work/nghttpx.log" 2>&1 &
      ;;
  esac
  pids+=($!)
  wait_port "$port" || fail "$name did not listen"
  printf -v "port_$name" '%s' "$port"
}

# failed_ids FILE.xml: the failed cases of a conform JUnit report, by id; translate cases as
# PAIRING/SCENARIO (h2-h1/p-response-nul), which stay put when scenarios are added.
failed_ids() {
  awk '/<testcase /{
         match($0, / name="[^"]*"/); id=substr($0, RSTART+7, RLENGTH-8)
         if (id ~ /^translate\//) {
           match($0, /package="translate\/[^"]*"/); pairing=substr($0, RSTART+19, RLENGTH-20)
           match($0, /\[[^]]*\]"/); id=pairing "/" substr($0, RSTART+1, RLENGTH-3)
         }
       }
       /<failure/{print id}' "$1" | sort
}

status=0
run_suite() {  # run_suite PROXY SUITE ARGS...
  local proxy=$1 suite=$2; shift 2
  local port_var="port_$proxy" out="$work/$proxy-$suite"
  "$crossmux" conform "$@" -p "${!port_var}" -o "$timeout_s" -j "$out.xml" >"$out.txt" 2>&1
  local known="$src/conformance/known-deviations/$proxy-$suite.txt" expected="" optional="" got
  # A line "? ID" is a timing-dependent deviation: the case may pass or fail.
  [ -f "$known" ] && expected=$(grep -v '^#' "$known" | grep -v '^?' | grep . | sort)
  [ -f "$known" ] && optional=$(sed -n 's/^? *//p' "$known" | sort)
  got=$(failed_ids "$out.xml" | comm -23 - <(echo "$optional"))
  printf '%-9s %-10s %s\n' "$proxy" "$suite" "$(tail -1 "$out.txt")"
  if [ "$got" != "$expected" ]; then
    echo "  failed cases differ from known-deviations/$proxy-$suite.txt"
    echo "  newly failing: $(comm -13 <(echo "$expected") <(echo "$got") | tr '\n' ' ')"
    echo "  now passing:   $(comm -23 <(echo "$expected") <(echo "$got") | tr '\n' ' ')"
    status=1
  fi
  [ -n "$keep" ] && cp "$out.txt" "$out.xml" "$keep/"
}

[ -n "$keep" ] && mkdir -p "$keep"
for proxy in crossmux haproxy nghttpx; do
  [ -z "$only" ] || [ "$only" = "$proxy" ] || continue
  start_proxy $proxy
  run_suite $proxy translate translate -r "$work/$proxy-origin.record" -s "$src/corpus/translate"
  run_suite $proxy h1 h1
  # h2spec's set but http2/3.5/2: a front end that takes HTTP/1.1 and h2c on one port answers a
  # connection without the preface in HTTP/1.1, as it must (prior knowledge, RFC 9113 §3.3).
  run_suite $proxy h2 h2 -S generic http2/3.5/1 http2/4 http2/5 http2/6 http2/7 http2/8 hpack
  [ $full -eq 1 ] && run_suite $proxy h2-additions h2 -S rfc9113 abuse
done
exit $status
