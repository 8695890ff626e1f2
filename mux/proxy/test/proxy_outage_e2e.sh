#!/usr/bin/env bash
# End to end: a cluster's only backend is killed (SIGKILL) for 1.5 s under `h2load -c 20 -m 10`
# and restarted on the same port, for an HTTP/1.1 and an h2c cluster. The proxy rides the outage
# out: requests in flight on the dead connections are replayed (GETs), and requests that find no
# backend wait (Phase::Backoff, 25 ms doubling to 500 ms) within timeouts.backend_connect of
# their first attempt instead of being answered 502 at once. Bound: at most 1% of the requests
# fail (HAProxy 2.6, which waits out its connect timeout, failed 103 of ~30,000 in the same
# setting; crossmux answered every request of the outage 502 before the backoff: tens of
# thousands). A second run with a 0.4 s connect budget shorter than the outage proves the
# budget holds: the waiting requests are answered 502 "no backend available" once it is spent,
# and the proxy serves again after the restart.
# Usage: proxy_outage_e2e.sh CROSSMUX_BINARY
crossmux=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/e2e_lib.sh"
command -v h2load >/dev/null || fail "h2load not installed (scripts/setup.sh installs nghttp2-client)"

# run_outage NAME PROTOCOL CONNECT_BUDGET: prints h2load's "requests:" and "status codes:" lines.
run_outage() {
  local name=$1 proto=$2 budget=$3 proxy_port origin_port origin
  proxy_port=$(free_port)
  origin_port=$(free_port)
  cat >"$work/$name.toml" <<TOML
[global]
access_log = "$work/$name.access"
[timeouts]
backend_connect = "$budget"
[[listeners]]
name = "main"
address = "127.0.0.1:$proxy_port"
[[clusters]]
name = "only"
protocol = "$proto"
backends = ["127.0.0.1:$origin_port"]
[[frontends]]
cluster = "only"
TOML
  "$crossmux" proxy --workers 1 --config "$work/$name.toml" >"$work/$name-proxy.log" 2>&1 &
  local proxy=$!
  pids+=($proxy)
  "$crossmux" origin --listen "127.0.0.1:$origin_port" >"$work/$name-origin.log" 2>&1 &
  origin=$!
  pids+=($origin)
  wait_port "$proxy_port" && wait_port "$origin_port" || fail "$name: proxy or origin did not start"
  h2load -c 20 -m 10 -D 4 "http://127.0.0.1:$proxy_port/" >"$work/$name.h2load" 2>&1 &
  local load=$!
  sleep 1
  kill -KILL "$origin"
  wait "$origin" 2>/dev/null
  sleep 1.5
  "$crossmux" origin --listen "127.0.0.1:$origin_port" >"$work/$name-origin2.log" 2>&1 &
  pids+=($!)
  wait "$load" || fail "$name: h2load failed: $(tail -5 "$work/$name.h2load")"
  kill -0 "$proxy" || fail "$name: proxy died"
  kill "$proxy"
  wait "$proxy" 2>/dev/null
}

# counts FILE: "TOTAL OK FAILED" from h2load's summary (failed = non-2xx answers + errors).
counts() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
if not req or not codes:
    sys.exit("no h2load summary")
done, succeeded = int(req.group(3)), int(req.group(4))
print(done, int(codes.group(1)), done - int(codes.group(1)))
PY
}

for proto in http1 h2c; do
  run_outage "$proto" "$proto" 3s
  read -r total ok failed < <(counts "$work/$proto.h2load") || fail "$proto: $(tail "$work/$proto.h2load")"
  echo "$proto: $total requests, $ok 2xx, $failed failed across a 1.5 s outage"
  [ "$total" -ge 1000 ] || fail "$proto: only $total requests done"
  [ $((failed * 100)) -le "$total" ] || fail "$proto: $failed of $total failed (bound: 1%)"
  # Requests did wait out the outage: some were answered after it, with retries counted.
  grep -q 'retries=[1-9]' "$work/$proto.access" || fail "$proto: no request was retried"
done

# A budget shorter than the outage: waiting requests get 502 once it is spent, none hangs, and
# the proxy serves again once the backend is back.
run_outage short h2c 400ms
read -r total ok failed < <(counts "$work/short.h2load") || fail "short: $(tail "$work/short.h2load")"
echo "short budget: $total requests, $ok 2xx, $failed failed"
[ "$failed" -ge 1 ] || fail "short: a 0.4 s connect budget rode out a 1.5 s outage"
grep -q 'status=502 .*reason="no backend available"\|status=502.*no backend' "$work/short.access" ||
  fail "short: no 502 for the spent budget: $(grep -m3 'status=5' "$work/short.access")"
[ "$ok" -ge 100 ] || fail "short: the proxy did not serve again after the restart ($ok 2xx)"
echo "PASS"
