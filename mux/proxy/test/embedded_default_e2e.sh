#!/bin/bash
# The README's run command: `crossmux proxy` with no configuration serves the embedded default on
# 127.0.0.1:8080 (HTTP/1.1 and h2c on one port) in front of the built-in origin, and the answer
# says which protocol reached the origin: HTTP/1.1 for /, HTTP/2 (h2c) for /h2/; the metrics of
# those requests are on the admin listener, 127.0.0.1:9901/metrics.
# Skips (exit 77) when something else holds 127.0.0.1:8080 or 127.0.0.1:9901.
# Usage: embedded_default_e2e.sh CROSSMUX_BINARY
set -u
crossmux=$1
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- proxy log"; tail -20 "$work/proxy.log"; exit 1; }

for port in 8080 9901; do
  if ! python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', $port))" 2>/dev/null; then
    echo "SKIP: 127.0.0.1:$port is in use on this machine"
    exit 77
  fi
done
"$crossmux" proxy >"$work/proxy.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do
  curl -s -o /dev/null http://127.0.0.1:8080/ && break
  kill -0 "$pid" 2>/dev/null || fail "crossmux proxy exited"
  sleep 0.05
done
base=http://127.0.0.1:8080
for client in --http1.1 --http2-prior-knowledge; do
  want_in=HTTP/1.1; [ $client = --http2-prior-knowledge ] && want_in=HTTP/2
  out=$(curl -sS -m 10 $client -w '\n%{http_version}' "$base/") || fail "curl $client /"
  [ "$(tail -1 <<<"$out")" = "${want_in#HTTP/}" ] || fail "$client spoke $(tail -1 <<<"$out")"
  grep -q "protocol: HTTP/1.1" <<<"$out" || fail "$client / did not reach the origin over HTTP/1.1: $out"
  out=$(curl -sS -m 10 $client "$base/h2/") || fail "curl $client /h2/"
  grep -q "protocol: HTTP/2" <<<"$out" || fail "$client /h2/ did not reach the origin over h2c: $out"
done
metrics=$(curl -sS -m 5 http://127.0.0.1:9901/metrics) || fail "admin /metrics"
for pairing in 'cluster="origin-http1",pairing="h1->h1"' 'cluster="origin-http1",pairing="h2->h1"' \
               'cluster="origin-h2c",pairing="h1->h2"' 'cluster="origin-h2c",pairing="h2->h2"'; do
  grep -qE "^crossmux_requests_total\{$pairing,class=\"2xx\"\} [1-9][0-9]*$" <<<"$metrics" \
    || fail "no $pairing request in: $(grep '^crossmux_requests_total' <<<"$metrics")"
done
echo "embedded default ok"
