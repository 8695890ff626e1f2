#!/usr/bin/env bash
# End to end: operating `crossmux proxy` — two workers on one port (configured and ephemeral),
# SIGUSR1 access log reopen after a move, invalid reloads (rejected, old config keeps serving),
# a reload under h2load load plus a stream of new connections (0 failed, new requests reach the
# new backend, an unchanged listener keeps its socket, a removed one closes, a new one opens, a
# TLS certificate is rotated while a TLS connection held across the reload stays on the old
# configuration; the admin's request count sums both workers and both configurations),
# `crossmux proxy --reload` through the pid file, graceful shutdown under h2load load (every
# started request completes; exit 0), the shutdown deadline and a second SIGTERM.
# Usage: proxy_ops_e2e.sh CROSSMUX_BINARY
crossmux=$1
source "$(dirname "$0")/e2e_lib.sh"

# listeners_on PORT: how many listening sockets the kernel has on PORT (one per worker).
listeners_on() { ss -Hltn "sport = :$1" | wc -l; }
# socket_inodes PORT: the inodes of the listening sockets on PORT (the same sockets, or new ones).
socket_inodes() { ss -Hltne "sport = :$1" | grep -o 'ino:[0-9]*' | sort | tr '\n' ' '; }
# h2load_field FILE NAME: the number before NAME on h2load's "requests:" line.
h2load_field() { sed -nE "s/^requests: .* ([0-9]+) $2.*/\1/p" "$1" | head -1; }
h2load_total() { sed -nE 's/^requests: ([0-9]+) total.*/\1/p' "$1"; }
# churn PORT STOPFILE OUT: HTTP/1.1 requests, one new connection each, until STOPFILE exists;
# writes "ok failed" to OUT. Any refused connection or non-200 answer counts as failed.
churn() {
  python3 - "$@" <<'PY'
import os, socket, sys
port, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ok = failed = 0
i = 0
while not os.path.exists(stop):
    i += 1
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        s.sendall(b"GET /bytes/5?churn=%d HTTP/1.1\r\nHost: churn.test\r\nConnection: close\r\n\r\n" % i)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        if data.startswith(b"HTTP/1.1 200"):
            ok += 1
        else:
            failed += 1
            print("churn: bad answer", data[:80], file=sys.stderr)
    except OSError as e:
        failed += 1
        print("churn: error", e, file=sys.stderr)
with open(out, "w") as f:
    f.write(f"{ok} {failed}\n")
PY
}

start_origin origin-a origin_a
start_origin origin-b origin_b
[ -n "$origin_a" ] && [ -n "$origin_b" ] || fail "origin ports"
main_port=$(free_port); old_port=$(free_port); new_port=$(free_port); admin_port=$(free_port)
tls_port=$(free_port)
for n in one two; do  # certificates rotated by the reload
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key-$n.pem" \
    -out "$work/cert-$n.pem" -days 2 -subj "/CN=$n.test" >/dev/null 2>&1 || fail "openssl $n"
done
# served_cn PORT: the CN of the certificate a new TLS connection is served.
served_cn() {
  openssl s_client -connect "127.0.0.1:$1" -servername x.test </dev/null 2>/dev/null \
    | openssl x509 -noout -subject 2>/dev/null | sed -nE 's/.*CN ?= ?([^,]*).*/\1/p'
}

# v1: everything to origin A; v2: everything to origin B, listener "old" removed, "new" added,
# the TLS listener's certificate rotated.
write_config() {  # write_config FILE CLUSTER EXTRA_LISTENER_NAME EXTRA_LISTENER_PORT CERT
  cat >"$1" <<TOML
[global]
access_log = "$work/access.txt"
pid_file = "$work/proxy.pid"
admin = "127.0.0.1:$admin_port"
[timeouts]
graceful_shutdown = "20s"
[[listeners]]
name = "main"
address = "127.0.0.1:$main_port"
[[listeners]]
name = "$3"
address = "127.0.0.1:$4"
[[listeners]]
name = "tls"
address = "127.0.0.1:$tls_port"
protocols = ["h2", "http/1.1"]
[[listeners.tls]]
cert = "$work/cert-$5.pem"
key = "$work/key-$5.pem"
[[clusters]]
name = "a"
protocol = "http1"
backends = ["127.0.0.1:$origin_a"]
[[clusters]]
name = "b"
protocol = "h2c"
backends = ["127.0.0.1:$origin_b"]
[[frontends]]
cluster = "$2"
TOML
}
write_config "$work/v1.toml" a old "$old_port" one
write_config "$work/v2.toml" b new "$new_port" two
cp "$work/v1.toml" "$work/proxy.toml"

"$crossmux" proxy --workers 2 --config "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
proxy=$!
pids+=($proxy)
wait_for "$work/proxy.log" "listener tls" || fail "proxy did not start"
grep -q "2 worker(s)" "$work/proxy.log" || fail "--workers 2 not applied"
[ "$(cat "$work/proxy.pid")" = "$proxy" ] || fail "pid file: $(cat "$work/proxy.pid")"
base="http://127.0.0.1:$main_port"

# --- Two workers, one port: two listening sockets on it, and both workers accept (their
# per-worker totals are printed at exit and checked at the end).
[ "$(listeners_on "$main_port")" = 2 ] || fail "expected 2 sockets on $main_port: $(ss -Hltn)"
h2load -n 200 -c 40 -m 1 "$base/bytes/10" >"$work/h2load-spread.out" 2>&1
grep -q "200 succeeded" "$work/h2load-spread.out" || fail "spread: $(grep requests: "$work/h2load-spread.out")"

# --- SIGUSR1: the log is moved away (logrotate), reopened, and new lines go to a fresh file.
curl -sS -m 5 -o /dev/null "$base/before-rotate" || fail "request before rotation"
wait_for "$work/access.txt" "/before-rotate" || fail "access log line before rotation"
mv "$work/access.txt" "$work/access.txt.1"
kill -USR1 "$proxy"
wait_for "$work/proxy.log" "access log reopened" || fail "no reopen after SIGUSR1"
for i in 1 2 3 4; do curl -sS -m 5 -o /dev/null "$base/after-rotate/$i" || fail "request $i after rotation"; done
wait_for "$work/access.txt" "/after-rotate/4" || fail "no fresh access log after SIGUSR1"
[ "$(grep -c after-rotate "$work/access.txt")" = 4 ] || fail "fresh log: $(cat "$work/access.txt")"
grep -q after-rotate "$work/access.txt.1" && fail "lines after SIGUSR1 went to the moved file"
# Lines of both workers interleave whole: every line of the log parses as one record.
bad=$(grep -cvE '^time=[0-9T:.Z-]+ client=127\.0\.0\.1:[0-9]+ listener=[a-z]+ protocol_in=HTTP/.* alpn=[^ ]+$' "$work/access.txt.1")
[ "$bad" = 0 ] || fail "$bad torn access log lines"

# --- Invalid reloads: rejected with the error, the old configuration keeps serving.
printf '[timeouts]\nbackend_conect = "1s"\n' >"$work/proxy.toml"
"$crossmux" proxy --reload --config "$work/proxy.toml" >"$work/reload-bad.out" 2>&1 \
  && fail "--reload signalled an invalid file"
grep -q "timeouts.backend_conect" "$work/reload-bad.out" || fail "--reload: $(cat "$work/reload-bad.out")"
kill -HUP "$proxy"
wait_for "$work/proxy.log" "reload rejected" || fail "invalid reload not reported"
grep -q "proxy.toml.*timeouts.backend_conect" "$work/proxy.log" || fail "reload error lacks the key"
# Valid TOML that cannot run: a backend name that does not resolve.
sed 's/^backends = \["127.0.0.1:'"$origin_b"'"\]/backends = ["nonexistent.invalid:80"]/' \
  "$work/v2.toml" >"$work/proxy.toml"
grep -q nonexistent "$work/proxy.toml" || fail "test setup: sed"
kill -HUP "$proxy"
wait_for "$work/proxy.log" 'backends\[1\] = "nonexistent.invalid:80": does not resolve' \
  || fail "unresolvable reload not rejected"
curl -sS -m 5 -o /dev/null "$base/still-a" || fail "request after the rejected reloads"
wait_for "$work/origin-a.record" "/still-a" 5 || fail "old configuration no longer serving"
grep -q "configuration reloaded" "$work/proxy.log" && fail "an invalid reload was applied"

# --- Reload under load: h2load on kept-alive connections and a stream of new connections.
main_sockets=$(socket_inodes "$main_port")
[ "$(served_cn "$tls_port")" = one.test ] || fail "TLS listener before reload: '$(served_cn "$tls_port")'"
# A TLS connection open across the reload: it keeps working, on the old certificate and routes.
python3 - "$tls_port" "$work/tls-held.stop" >"$work/tls-held.out" 2>"$work/tls-held.log" <<'PY' &
import os, socket, ssl, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=20))
def get(path):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: held.test\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < n:
        body += s.recv(4096)
    return head.split(b"\r\n")[0]
print(get(b"/bytes/1?held=before").decode())
while not os.path.exists(stop):
    time.sleep(0.05)
print(get(b"/bytes/1?held=after").decode())
PY
held_pid=$!
wait_for "$work/origin-a.record" "held=before" || fail "held TLS connection: $(cat "$work/tls-held.log")"
rm -f "$work/churn.stop"
churn_pids=()
for c in 1 2 3; do  # three at once, so accept queues are rarely empty when the reload comes
  churn "$main_port" "$work/churn.stop" "$work/churn$c.out" 2>"$work/churn$c.log" &
  churn_pids+=($!)
done
# Responses of ~40 ms (20 ms wait, 1 byte, 20 ms): the run lasts about 3 s however fast the
# machine is, so the reload lands in the middle of it.
h2load -n 3000 -c 4 -m 10 "$base/slow/20/1" >"$work/h2load-reload.out" 2>&1 &
h2load_pid=$!
wait_for "$work/origin-a.record" "/slow/20/1" || fail "load did not start"
sleep 0.3
cp "$work/v2.toml" "$work/proxy.toml"
"$crossmux" proxy --reload --config "$work/proxy.toml" >"$work/reload.out" 2>&1 \
  || fail "--reload: $(cat "$work/reload.out")"
wait_for "$work/proxy.log" "configuration reloaded" || fail "reload not applied"
kill -0 "$h2load_pid" 2>/dev/null || fail "h2load ended before the reload: raise -n"
# New connections now reach origin B (cluster b, over h2c).
wait_for "$work/origin-b.record" "churn=" || fail "no new connection reached the new backend"
sleep 0.3
touch "$work/churn.stop"
wait "${churn_pids[@]}"
wait "$h2load_pid"
read -r churn_ok churn_failed < <(cat "$work"/churn?.out | awk '{ok += $1; bad += $2} END {print ok, bad}')
[ "$churn_failed" = 0 ] || fail "$churn_failed of $((churn_ok + churn_failed)) new connections failed across the reload: $(cat "$work"/churn?.log | head -5)"
grep -q "3000 succeeded, 0 failed, 0 errored" "$work/h2load-reload.out" \
  || fail "h2load across the reload: $(grep requests: "$work/h2load-reload.out")"
echo "reload under load: $churn_ok new connections, 3000 h2load requests, 0 failed"
curl -sS -m 5 -o /dev/null "$base/after-reload" || fail "request after reload"
wait_for "$work/origin-b.record" "/after-reload" 5 || fail "after the reload, not on origin B"
grep -q "/after-reload" "$work/origin-a.record" && fail "after the reload, still on origin A"
# The TLS listener serves the new certificate to new connections; the connection held open
# across the reload still works, on the configuration that accepted it (origin A).
[ "$(served_cn "$tls_port")" = two.test ] || fail "TLS listener after reload: '$(served_cn "$tls_port")'"
touch "$work/tls-held.stop"
wait "$held_pid" || fail "held TLS connection: $(cat "$work/tls-held.log")"
[ "$(grep -c "HTTP/1.1 200" "$work/tls-held.out")" = 2 ] || fail "held TLS connection: $(cat "$work/tls-held.out")"
wait_for "$work/origin-a.record" "held=after" 5 || fail "the held connection moved to the new configuration"
# The unchanged listener kept its two sockets (handed over, never closed and bound again).
[ "$(socket_inodes "$main_port")" = "$main_sockets" ] \
  || fail "main listener sockets changed: $main_sockets -> $(socket_inodes "$main_port")"
[ "$(listeners_on "$main_port")" = 2 ] || fail "main listener sockets after reload: $(listeners_on "$main_port")"
[ "$(listeners_on "$old_port")" = 0 ] || fail "removed listener still open"
[ "$(listeners_on "$new_port")" = 2 ] || fail "new listener not on both workers"
curl -sS -m 5 -o /dev/null "http://127.0.0.1:$new_port/on-new-listener" || fail "new listener"
wait_for "$work/origin-b.record" "/on-new-listener" 5 || fail "new listener not routed"
# The admin endpoint sums both workers and both configurations: every request made so far.
want=$((200 + 1 + 4 + 1 + churn_ok + 3000 + 1 + 1 + 2))
requests_counted() {
  curl -sS -m 5 "http://127.0.0.1:$admin_port/metrics" \
    | awk '/^crossmux_requests_total\{/ { n += $2 } END { print n + 0 }'
}
for _ in $(seq 1 100); do [ "$(requests_counted)" = "$want" ] && break; sleep 0.1; done
[ "$(requests_counted)" = "$want" ] || fail "metrics count $(requests_counted) requests, made $want"

# --- Graceful shutdown under h2load load: slow responses are in flight when SIGTERM arrives.
h2load -n 100000 -c 8 -m 10 "$base/slow/300/1" >"$work/h2load-stop.out" 2>&1 &
h2load_pid=$!
wait_for "$work/origin-b.record" "/slow/300/1" || fail "shutdown load did not start"
# An HTTP/1.1 request in flight too: its response must say `Connection: close`.
curl -sS -m 20 -D "$work/h1-stop.head" -o /dev/null "$base/slow/1000/1" &
curl_pid=$!
wait_for "$work/origin-b.record" "/slow/1000/1" || fail "HTTP/1.1 request not in flight"
kill -TERM "$proxy"
wait "$proxy"
rc=$?
[ "$rc" = 0 ] || fail "proxy exited $rc after SIGTERM"
wait "$h2load_pid"
wait "$curl_pid" || fail "HTTP/1.1 request in flight at SIGTERM failed"
grep -q "^HTTP/1.1 200" "$work/h1-stop.head" || fail "H1 in flight: $(cat "$work/h1-stop.head")"
grep -qi "^connection: close" "$work/h1-stop.head" || fail "no Connection: close while draining"
# h2load counts the requests it never sent (GOAWAY, then the closed listener) as both failed
# and errored; every request it did send must have completed with a 2xx.
out="$work/h2load-stop.out"
total=$(h2load_total "$out"); started=$(h2load_field "$out" started); done_=$(h2load_field "$out" done)
succeeded=$(h2load_field "$out" succeeded); failed=$(h2load_field "$out" failed)
errored=$(h2load_field "$out" errored)
twoxx=$(sed -nE 's/^status codes: ([0-9]+) 2xx.*/\1/p' "$out")
[ -n "$started" ] && [ "$started" -gt 0 ] || fail "h2load started nothing: $(grep requests: "$out")"
[ "$done_" = "$started" ] && [ "$succeeded" = "$started" ] && [ "$twoxx" = "$started" ] \
  || fail "requests in flight at SIGTERM did not all complete: $(grep -E 'requests:|status codes:' "$out")"
[ "$failed" = $((total - started)) ] && [ "$errored" = "$failed" ] \
  || fail "failures beyond the never-sent requests: $(grep requests: "$out")"
echo "graceful shutdown: $started requests started, all completed; $failed never sent"
grep -q "shutting down" "$work/proxy.log" || fail "no shutdown message"
for w in 0 1; do
  n=$(sed -nE "s/.*worker $w accepted ([0-9]+) connection.*/\1/p" "$work/proxy.log")
  [ -n "$n" ] && [ "$n" -gt 0 ] || fail "worker $w accepted no connection"
done
[ -e "$work/proxy.pid" ] && fail "pid file left behind"

# --- Port 0 with two workers: one ephemeral port, both sockets on it. A second SIGTERM stops at
# once (graceful_shutdown is far away), and the shutdown deadline closes what is left.
for mode in second-signal deadline; do
  # /slow/30000/N with N = the length of the mode name: a path of its own in the record.
  grace=60s; [ $mode = deadline ] && grace=500ms
  cat >"$work/$mode.toml" <<TOML
[global]
access_log = "off"
[timeouts]
graceful_shutdown = "$grace"
[[listeners]]
name = "zero"
address = "127.0.0.1:0"
[[clusters]]
name = "a"
protocol = "http1"
backends = ["127.0.0.1:$origin_a"]
[[frontends]]
cluster = "a"
TOML
  "$crossmux" proxy --workers 2 --config "$work/$mode.toml" >"$work/$mode.log" 2>&1 &
  p=$!
  pids+=($p)
  wait_for "$work/$mode.log" "listener zero" || fail "$mode proxy did not start"
  port=$(sed -nE 's/.*listener zero on 127.0.0.1:([0-9]+).*/\1/p' "$work/$mode.log")
  [ "$port" != 0 ] && [ "$(listeners_on "$port")" = 2 ] || fail "port 0: $(ss -Hltn)"
  curl -sS -m 60 -o /dev/null "http://127.0.0.1:$port/slow/30000/${#mode}" 2>/dev/null &
  wait_for "$work/origin-a.record" "/slow/30000/${#mode}" || fail "$mode: slow request not started"
  kill -TERM "$p"
  wait_for "$work/$mode.log" "shutting down" || fail "$mode: no shutdown"
  if [ $mode = second-signal ]; then
    kill -TERM "$p"
    wait_for "$work/$mode.log" "stopping now" || fail "second SIGTERM ignored"
  else
    wait_for "$work/$mode.log" "shutdown deadline, closing 1 connection" || fail "no deadline"
  fi
  # Both end well before the 30 s response would have (wait_for gives up after 20 s).
  for _ in $(seq 1 400); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$p" 2>/dev/null && fail "$mode: proxy still running"
  wait "$p" || fail "$mode: proxy exit status $?"
done

if grep -lE "ERROR: (Address|Leak|Thread)Sanitizer|runtime error:" "$work"/*.log; then
  fail "sanitizer report"
fi
echo "proxy operations end to end: ok"
