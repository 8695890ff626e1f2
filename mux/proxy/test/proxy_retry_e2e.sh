#!/usr/bin/env bash
# End to end: a backend killed (SIGKILL) under keep-alive load behind `crossmux proxy`, for an
# HTTP/1.1 and an h2c cluster of two `crossmux origin`s. Idempotent requests in flight on the dead
# backend are replayed on the other one from the proxy's replay buffer: every PUT (3000-byte body)
# succeeds, the access log shows the retries, and every body reached the origins whole.
# Non-idempotent requests are never replayed: each POST gets its response or a clean 502, and the
# origins' records prove no POST reached a backend twice.
# Usage: proxy_retry_e2e.sh CROSSMUX_BINARY
crossmux=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/e2e_lib.sh"

proxy_port=$(free_port)
rounds="h1-put h1-post h2-put h2-post"
{
  printf '[global]\naccess_log = "%s"\n' "$work/access.txt"
  printf '[[listeners]]\nname = "main"\naddress = "127.0.0.1:%s"\n' "$proxy_port"
  for r in $rounds; do
    a=$(free_port); b=$(free_port)
    echo "$a $b" >"$work/$r.ports"
    proto=http1; [ "${r%%-*}" = h2 ] && proto=h2c
    printf '[[clusters]]\nname = "%s"\nprotocol = "%s"\nbackends = ["127.0.0.1:%s", "127.0.0.1:%s"]\n' \
      "$r" "$proto" "$a" "$b"
    printf '[[frontends]]\nhostname = "%s.test"\ncluster = "%s"\n' "$r" "$r"
  done
} >"$work/proxy.toml"
"$crossmux" proxy --config "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_port "$proxy_port" || fail "proxy did not start"

for r in $rounds; do
  read -r a b <"$work/$r.ports"
  "$crossmux" origin --listen "127.0.0.1:$a" --record "$work/$r.a.jsonl" >"$work/$r.a.log" 2>&1 &
  victim=$!
  pids+=($victim)
  "$crossmux" origin --listen "127.0.0.1:$b" --record "$work/$r.b.jsonl" >"$work/$r.b.log" 2>&1 &
  pids+=($!)
  wait_port "$a" && wait_port "$b" || fail "$r: origins did not start"
  method=PUT; [ "${r#*-}" = post ] && method=POST
  # 8 keep-alive clients; /slow/60/0 keeps ~8 requests in flight at the origins at any time, each
  # waiting for its response head (head and empty body then go out in one write, so the kill
  # never cuts a response already started). After 80 responses the first origin is killed; 80
  # more follow.
  python3 - "$proxy_port" "$r.test" "$method" "$victim" >"$work/$r.out" 2>&1 <<'PY' || fail "$r: load"
import http.client, os, signal, sys, threading
port, host, method, victim = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
lock = threading.Lock()
done, results, killed = [0], [], [False]
def client(t):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    for i in range(1000):
        with lock:
            if done[0] >= 160:
                return
        rid = f"{t}-{i}"
        body = f"id={rid};".encode().ljust(3000, b"x")  # replayed from the proxy's buffer
        try:
            conn.request(method, "/slow/60/0", body=body, headers={"Host": host, "X-Req-Id": rid})
            resp = conn.getresponse()
            data = resp.read()
            status = resp.status
        except Exception as e:
            status, data = f"error {e!r}", b""
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        with lock:
            results.append((rid, status, len(data)))
            done[0] += 1
            if done[0] >= 80 and not killed[0]:
                killed[0] = True
                os.kill(victim, signal.SIGKILL)
threads = [threading.Thread(target=client, args=(t,)) for t in range(8)]
for th in threads: th.start()
for th in threads: th.join()
for rid, status, n in results:
    print(rid, status, n)
PY
  wait "$victim" 2>/dev/null
  total=$(wc -l <"$work/$r.out")
  [ "$total" -ge 160 ] || fail "$r: only $total requests"
  ok=$(grep -c " 200 0$" "$work/$r.out")
  bad=$(grep -c " 502 " "$work/$r.out")
  # Whatever reached an origin arrived whole (a replay rewrites the buffered body).
  python3 - "$work/$r.a.jsonl" "$work/$r.b.jsonl" <<'PY' || fail "$r: a request body arrived cut"
import json, sys
for path in sys.argv[1:3]:
    for line in open(path):
        rec = json.loads(line)
        if rec["body_length"] != 3000:
            sys.exit(f"{path}: {rec}")
PY
  if [ "$method" = PUT ]; then
    [ "$ok" = "$total" ] || fail "$r: $ok of $total PUTs succeeded: $(grep -v ' 200 0$' "$work/$r.out" | head -5)"
    retried=$(grep "method=PUT authority=$r.test path=/slow/60/0 status=200" "$work/access.txt" | grep -vc "retries=0")
    [ "$retried" -ge 1 ] || fail "$r: no PUT was replayed (the kill hit no request in flight?)"
    echo "$r: $total PUTs ok, $retried replayed"
  else
    [ $((ok + bad)) = "$total" ] || fail "$r: POSTs neither 200 nor 502: $(grep -v -e ' 200 0$' -e ' 502 ' "$work/$r.out" | head -5)"
    [ "$bad" -ge 1 ] || fail "$r: no POST was in flight on the killed backend"
    # Every POST reached a backend at most once; every 200 was received exactly once.
    python3 - "$work/$r.a.jsonl" "$work/$r.b.jsonl" "$work/$r.out" <<'PY' || fail "$r: record check"
import collections, json, sys
seen = collections.Counter()
for path in sys.argv[1:3]:
    for line in open(path):
        rec = json.loads(line)
        ids = [v for k, v in rec["headers"] if k.lower() == "x-req-id"]
        seen[ids[0]] += 1
dup = [i for i, n in seen.items() if n > 1]
if dup:
    sys.exit(f"POSTs received twice by the backends: {dup[:5]}")
for line in open(sys.argv[3]):
    rid, status = line.split()[:2]
    if status == "200" and seen[rid] != 1:
        sys.exit(f"POST {rid} answered 200 but recorded {seen[rid]} times")
PY
    echo "$r: $total POSTs, $ok answered, $bad clean 502, none received twice"
  fi
done
kill -0 "${pids[0]}" || fail "proxy died"
kill -TERM "${pids[0]}" && wait "${pids[0]}" || fail "proxy did not exit cleanly on SIGTERM"
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work/proxy.log"; then fail "sanitizer report"; fi
echo "proxy retry end to end: ok"
