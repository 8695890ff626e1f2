#!/usr/bin/env bash
# End to end: HTTP/2 backends that process nothing — one answers every request stream with
# RST_STREAM(REFUSED_STREAM), one with GOAWAY(last-stream-id 0) — each in a cluster with a
# `crossmux origin`. RFC 9113 §8.7: those requests were not processed, so the proxy retries them
# whatever their method: every POST (with a body, replayed from the proxy's buffer) succeeds, the
# origin received each exactly once, the refusing backend saw requests, and the access log shows
# the retries.
# Usage: proxy_unprocessed_e2e.sh CROSSMUX_BINARY
crossmux=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/e2e_lib.sh"

proxy_port=$(free_port); origin_port=$(free_port); refuse_port=$(free_port); goaway_port=$(free_port)
"$crossmux" origin --listen "127.0.0.1:$origin_port" --record "$work/origin.jsonl" >"$work/origin.log" 2>&1 &
pids+=($!)
python3 "$here/h2_refusing_backend.py" "$refuse_port" refuse "$work/refuse.txt" >"$work/refuse.log" 2>&1 &
pids+=($!)
python3 "$here/h2_refusing_backend.py" "$goaway_port" goaway "$work/goaway.txt" >"$work/goaway.log" 2>&1 &
pids+=($!)
cat >"$work/proxy.toml" <<TOML
[global]
access_log = "$work/access.txt"
[[listeners]]
name = "main"
address = "127.0.0.1:$proxy_port"
[[clusters]]
name = "refuse"
protocol = "h2c"
backends = ["127.0.0.1:$refuse_port", "127.0.0.1:$origin_port"]
[[clusters]]
name = "goaway"
protocol = "h2c"
backends = ["127.0.0.1:$goaway_port", "127.0.0.1:$origin_port"]
[[frontends]]
hostname = "refuse.test"
cluster = "refuse"
[[frontends]]
hostname = "goaway.test"
cluster = "goaway"
TOML
"$crossmux" proxy --config "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
pids+=($!)
for p in $origin_port $refuse_port $goaway_port $proxy_port; do wait_port "$p" || fail "port $p did not open"; done

for kind in refuse goaway; do
  for i in $(seq 1 8); do
    got=$(curl -sS -m 20 -H "Host: $kind.test" -H "X-Req-Id: $kind-$i" --data-binary "body of $kind-$i" \
      "http://127.0.0.1:$proxy_port/echo") || fail "$kind POST $i"
    [ "$got" = "body of $kind-$i" ] || fail "$kind POST $i answered: $got"
  done
  [ -s "$work/$kind.txt" ] || fail "the $kind backend saw no request"
  retried=$(grep "method=POST authority=$kind.test path=/echo status=200" "$work/access.txt" | grep -vc "retries=0")
  [ "$retried" -ge 1 ] || fail "$kind: no retry in the access log"
  echo "$kind: 8 POSTs ok, $(wc -l <"$work/$kind.txt") refused by the backend, $retried retried"
done
# Each POST reached the origin exactly once.
python3 - "$work/origin.jsonl" <<'PY' || fail "origin record"
import collections, json, sys
seen = collections.Counter()
for line in open(sys.argv[1]):
    rec = json.loads(line)
    seen[[v for k, v in rec["headers"] if k.lower() == "x-req-id"][0]] += 1
want = {f"{k}-{i}" for k in ("refuse", "goaway") for i in range(1, 9)}
if set(seen) != want or any(n != 1 for n in seen.values()):
    sys.exit(f"origin received {dict(seen)}")
PY
proxy=${pids[3]}
kill -0 "$proxy" || fail "proxy died"
kill -TERM "$proxy" && wait "$proxy" || fail "proxy did not exit cleanly on SIGTERM"
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work/proxy.log"; then fail "sanitizer report"; fi
echo "proxy unprocessed-stream retries end to end: ok"
