#!/usr/bin/env bash
# End to end, what an operator meets around `crossmux proxy` (the real binary):
#  1. --check is as strict as startup: protocol/TLS coherence and "0s" timeouts, a key given as
#     the certificate, a key that does not match, an unresolvable backend, an address another
#     process listens on, an address no interface has, an access log and pid file that cannot be
#     written; each message names FILE:LINE, the 1-based key and the value, and startup prints
#     the same messages (as error log lines) and exits 1.
#  2. A second proxy on the same address is refused, naming the address; with
#     global.shared_ports it joins.
#  3. --reload waits for the verdict: exit 1 with the proxy's messages when it rejects the file,
#     0 when it switched, 1 when nobody answers; a file that does not parse is not signalled.
#     --check of the running proxy's file passes: the ports that proxy alone holds are its own.
#  4. sd_notify on a fake $NOTIFY_SOCKET: READY=1 (with MAINPID), RELOADING=1 then READY=1,
#     STOPPING=1.
#  5. Log lines: time and level on a file, "<N>" priorities when stderr is the journal
#     (JOURNAL_STREAM naming stderr).
#  6. The access log defaults to stdout, and to off when stdout is a terminal.
#  7. access_log_fields picks and orders JSON fields; TLS version, cipher, SNI and ALPN are
#     logged; the backend's time lies within the total (one clock).
# Usage: operator_e2e.sh CROSSMUX_BINARY
crossmux=$(realpath "$1")
source "$(dirname "$0")/e2e_lib.sh"

cd "$work" || exit 1
for n in one two; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$n.key" \
    -out "$n.pem" -days 2 -subj "/CN=$n.test" >/dev/null 2>&1 || fail "openssl $n"
done
# hold PORT: another process listening on 127.0.0.1:PORT, with SO_REUSEPORT set (the case a
# second crossmux used to join silently).
hold() {
  python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("held", flush=True)
time.sleep(600)' "$1" >"$work/hold-$1.log" 2>&1 &
  pids+=($!)
  wait_for "$work/hold-$1.log" held 5 || fail "could not hold port $1"
}
# strip_log FILE: the messages of a proxy log without the time and level ("...Z error: ").
strip_log() { sed -nE 's/^[0-9-]+T[0-9:.]+Z error: //p' "$1"; }

# --- 1. --check names every problem, and startup prints the same.
busy=$(free_port); hold "$busy"
cat >parse.toml <<'TOML'
[timeouts]
backend_connect = "0s"
[[listeners]]
name = "plain"
address = "127.0.0.1:1"
protocols = ["h2", "http/1.1"]
[[listeners]]
name = "tls"
address = "127.0.0.1:2"
protocols = ["h2c"]
[[listeners.tls]]
cert = "one.pem"
key = "one.key"
[[clusters]]
name = "api"
protocol = "h2c"
backends = ["127.0.0.1:9"]
[clusters.tls]
verify = false
[[frontends]]
cluster = "api"
TOML
"$crossmux" proxy --check -c parse.toml >check-parse.out 2>&1 && fail "--check accepted parse.toml"
for want in 'parse.toml:2: timeouts.backend_connect = "0s": must be longer than 0' \
  'parse.toml:6: listeners[1].protocols = ["h2", "http/1.1"]: "h2" is HTTP/2 over TLS and this listener has no [[listeners.tls]]' \
  'parse.toml:10: listeners[2].protocols = ["h2c"]: "h2c" is HTTP/2 without TLS' \
  'parse.toml:18: clusters[1].tls: protocol "h2c" is HTTP/2 without TLS'; do
  grep -qF "$want" check-parse.out || fail "--check parse.toml lacks: $want"
done

cat >env.toml <<TOML
[global]
access_log = "missing-dir/access.log"
pid_file = "missing-dir/proxy.pid"
[[listeners]]
name = "busy"
address = "127.0.0.1:$busy"
[[listeners]]
name = "nowhere"
address = "192.0.2.1:8080"
[[listeners]]
name = "tls"
address = "127.0.0.1:0"
[[listeners.tls]]
cert = "one.key"
key = "one.key"
[[listeners.tls]]
cert = "one.pem"
key = "two.key"
[[clusters]]
name = "api"
backends = ["127.0.0.1:9", "nohost.invalid:80"]
[[frontends]]
cluster = "api"
TOML
"$crossmux" proxy --check -c env.toml >check-env.out 2>&1 && fail "--check accepted env.toml"
for want in \
  "env.toml:2: global.access_log = \"./missing-dir/access.log\": cannot be written: cannot create it in ./missing-dir: No such file or directory" \
  "env.toml:3: global.pid_file = \"./missing-dir/proxy.pid\": cannot be written" \
  "env.toml:6: listeners[1].address = \"127.0.0.1:$busy\": is in use by another process" \
  'env.toml:9: listeners[2].address = "192.0.2.1:8080": cannot be bound' \
  'env.toml:14: listeners[3].tls[1].cert = "./one.key": is not a PEM certificate chain' \
  'env.toml:18: listeners[3].tls[2].key = "./two.key": does not match the certificate of listeners[3].tls[2].cert' \
  'env.toml:21: clusters[1].backends[2] = "nohost.invalid:80": does not resolve'; do
  grep -qF "$want" check-env.out || fail "--check env.toml lacks: $want"
done
grep -q "^7 problem(s)$" check-env.out || fail "--check env.toml: $(tail -1 check-env.out)"
# A folder whose filesystem has no O_TMPFILE, where no file can be created even by root (whom
# permission bits let through): --check said ok and startup failed.
cat >proc.toml <<'TOML'
[global]
access_log = "/proc/crossmux-access.log"
[[listeners]]
name = "main"
address = "127.0.0.1:0"
[[clusters]]
name = "origin"
builtin_origin = true
[[frontends]]
cluster = "origin"
TOML
"$crossmux" proxy --check -c proc.toml >check-proc.out 2>&1 && fail "--check accepted proc.toml"
grep -qF 'proc.toml:2: global.access_log = "/proc/crossmux-access.log": cannot be written: cannot create it in /proc' \
  check-proc.out || fail "--check proc.toml: $(cat check-proc.out)"
grep -q "^1 problem(s)$" check-proc.out || fail "--check proc.toml: $(cat check-proc.out)"
# Startup: the same messages, as error lines, and exit 1 without serving.
for f in parse env proc; do
  timeout 10 "$crossmux" proxy -c $f.toml >start-$f.log 2>&1 && fail "startup accepted $f.toml"
  diff <(grep -v "problem(s)\|^configuration rejected" check-$f.out) \
    <(strip_log start-$f.log | grep -v "^configuration rejected") >/dev/null \
    || fail "$f.toml: startup and --check differ: $(diff <(cat check-$f.out) <(strip_log start-$f.log))"
done
echo "1. --check and startup: the same 4 + 7 + 1 messages"

# --- 2. A second instance on the same address is refused; shared_ports lets it join.
port=$(free_port)
write_good() {  # write_good FILE PORT [EXTRA_GLOBAL]
  cat >"$1" <<TOML
[global]
pid_file = "$work/a.pid"
$3
[[listeners]]
name = "main"
address = "127.0.0.1:$2"
[[clusters]]
name = "origin"
builtin_origin = true
[[frontends]]
cluster = "origin"
TOML
}
write_good a.toml "$port" 'access_log = "a-access.log"'
"$crossmux" proxy -c a.toml --workers 1 >a.log 2>&1 &
a_pid=$!; pids+=($a_pid)
wait_for a.log "listener main on" 10 || fail "proxy A did not start"
write_good b.toml "$port" 'shared_ports = false'
sed -i 's/a.pid/b.pid/' b.toml
timeout 10 "$crossmux" proxy -c b.toml >b.log 2>&1 && fail "a second proxy started on port $port"
grep -qF "b.toml:6: listeners[1].address = \"127.0.0.1:$port\": is in use by another process" b.log \
  || fail "second instance: $(cat b.log)"
sed -i 's/shared_ports = false/shared_ports = true/' b.toml
"$crossmux" proxy -c b.toml --workers 1 >b.log 2>&1 &
b_pid=$!; pids+=($b_pid)
wait_for b.log "listener main on 127.0.0.1:$port" 10 || fail "shared_ports: $(cat b.log)"
[ "$(ss -Hltn "sport = :$port" | wc -l)" = 2 ] || fail "shared port: $(ss -Hltn "sport = :$port")"
# A's file (not shared) while B shares A's port: the port is not A's alone, --check refuses it.
"$crossmux" proxy --check -c a.toml >check-shared.out 2>&1 && fail "--check: a port B shares is A's"
grep -qF "a.toml:6: listeners[1].address = \"127.0.0.1:$port\": is in use by another process" \
  check-shared.out || fail "--check with B sharing: $(cat check-shared.out)"
kill "$b_pid"; wait "$b_pid" 2>/dev/null
echo "2. second instance refused, joins with shared_ports"

# --- 3. --reload waits for the verdict.
cp a.toml a-good.toml
printf '[[listeners]]\nname = "extra"\naddress = "127.0.0.1:%s"\n' "$busy" >>a.toml
"$crossmux" proxy --reload -c a.toml >reload-bad.out 2>&1 && fail "--reload: rejected file exit 0"
grep -qF "a.toml:14: listeners[2].address = \"127.0.0.1:$busy\": is in use by another process" \
  reload-bad.out || fail "--reload did not print the proxy's reason: $(cat reload-bad.out)"
grep -q "rejected the configuration" reload-bad.out || fail "--reload verdict: $(cat reload-bad.out)"
# The proxy logged the same message as startup would.
grep -qF "error: a.toml:14: listeners[2].address = \"127.0.0.1:$busy\": is in use" a.log \
  || fail "proxy log: $(tail -5 a.log)"
curl -sS -m 5 -o /dev/null "http://127.0.0.1:$port/still" || fail "A stopped serving"
# --check of the running proxy's file (found by its pid file) leaves the addresses that proxy
# alone listens on out of the bind probe (a reload keeps them); others' are still refused.
"$crossmux" proxy --check -c a.toml >check-running.out 2>&1 && fail "--check accepted the busy port"
grep -qF "a.toml:14: listeners[2].address = \"127.0.0.1:$busy\": is in use by another process" \
  check-running.out && grep -q "^1 problem(s)$" check-running.out \
  || fail "--check of the running proxy's file: $(cat check-running.out)"
printf 'this is = = not toml\n' >a.toml
reloads=$(grep -c "reloading the configuration" a.log)
"$crossmux" proxy --reload -c a.toml --pid-file a.pid >reload-syntax.out 2>&1 \
  && fail "--reload accepted a file that does not parse"
sleep 0.2
[ "$(grep -c "reloading the configuration" a.log)" = "$reloads" ] || fail "an unparsable file was signalled"
cp a-good.toml a.toml
"$crossmux" proxy --reload -c a.toml >reload-ok.out 2>&1 || fail "--reload: $(cat reload-ok.out)"
grep -q "configuration reloaded by pid $a_pid" reload-ok.out || fail "--reload: $(cat reload-ok.out)"
"$crossmux" proxy --check -c a.toml >check-running.out 2>&1 \
  || fail "--check of the running proxy's own file: $(cat check-running.out)"
# A pid that never answers (not a crossmux proxy): a bounded wait, exit 1.
python3 -c 'import signal, time; signal.signal(signal.SIGHUP, signal.SIG_IGN); print("up", flush=True); time.sleep(600)' >deaf.log &
deaf=$!; pids+=($deaf)
wait_for deaf.log up 5 || fail "deaf process"
echo "$deaf" >deaf.pid
"$crossmux" proxy --reload -c a.toml --pid-file deaf.pid --reload-timeout 0.5 >reload-deaf.out 2>&1 \
  && fail "--reload without an answer exited 0"
grep -q "sent no answer within 0.5 s" reload-deaf.out || fail "--reload timeout: $(cat reload-deaf.out)"
echo "3. --reload: rejected 1, syntax 1 (not signalled), reloaded 0, no answer 1"

# --- 4 and 5. sd_notify on a fake manager's socket; journal-style log lines.
python3 - "$work/notify.sock" "$work/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as out:
    print("BOUND", file=out, flush=True)
    while True:
        msg = s.recv(4096).decode()
        print(msg.replace("\n", " "), file=out, flush=True)
PY
pids+=($!)
wait_for notify.out BOUND 5 || fail "fake notify socket"
n_port=$(free_port)
write_good n.toml "$n_port" ''
sed -i 's/a.pid/n.pid/' n.toml
: >n.log
NOTIFY_SOCKET="$work/notify.sock" JOURNAL_STREAM="$(stat -c '%d:%i' n.log)" \
  "$crossmux" proxy -c n.toml --workers 1 >n.out 2>>n.log &
n_pid=$!; pids+=($n_pid)
wait_for notify.out "^READY=1 .*MAINPID=$n_pid" 10 || fail "no READY=1: $(cat notify.out)"
"$crossmux" proxy --reload -c n.toml >reload-n.out 2>&1 || fail "--reload n: $(cat reload-n.out)"
wait_for notify.out "^RELOADING=1 .*MONOTONIC_USEC=[0-9]+" 5 || fail "no RELOADING=1: $(cat notify.out)"
kill -TERM "$n_pid"
wait_for notify.out "^STOPPING=1" 5 || fail "no STOPPING=1: $(cat notify.out)"
wait "$n_pid" || fail "proxy under notify exited $?"
grep -q '^READY=1' <(sed -n '/^RELOADING=1/,$p' notify.out) || fail "no READY=1 after the reload"
# Journal: priorities, no timestamps; a file: timestamps and levels.
grep -q "^<6>listener main on 127.0.0.1:$n_port$" n.log || fail "journal lines: $(head -3 n.log)"
grep -q "^<5>configuration reloaded$" n.log || fail "journal notice: $(cat n.log)"
grep -qE '^[0-9]{4}-' n.log && fail "timestamps in journal lines"
grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z info: listener main on 127.0.0.1:$port$" a.log \
  || fail "file log lines: $(head -3 a.log)"
echo "4. READY / RELOADING / READY / STOPPING; 5. journal priorities and file timestamps"

# --- 6. Access log default: stdout, or off on a terminal.
curl -sS -m 5 -o /dev/null "http://127.0.0.1:$port/logged" || fail "request to A"
t_port=$(free_port)
write_good t.toml "$t_port" ''
sed -i 's/a.pid/t.pid/' t.toml
"$crossmux" proxy -c t.toml --workers 1 >t-stdout.out 2>t-stdout.log &
t_pid=$!; pids+=($t_pid)
wait_for t-stdout.log "listener main" 10 || fail "proxy T did not start"
grep -q "access log stdout" t-stdout.log || fail "default access log: $(cat t-stdout.log)"
curl -sS -m 5 -o /dev/null "http://127.0.0.1:$t_port/to-stdout" || fail "request to T"
wait_for t-stdout.out "/to-stdout" 5 || fail "no access line on stdout"
kill "$t_pid"; wait "$t_pid" 2>/dev/null
script -qfec "$crossmux proxy -c t.toml --workers 1" typescript >/dev/null 2>&1 &
pids+=($!)
wait_for typescript "listener main" 10 || fail "proxy on a terminal: $(cat typescript)"
grep -q "access log off (stdout is a terminal" typescript || fail "terminal: $(cat typescript)"
curl -sS -m 5 -o /dev/null "http://127.0.0.1:$t_port/to-terminal" || fail "request on terminal"
sleep 0.3
grep -q "/to-terminal" typescript && fail "access lines flooded the terminal"
kill "$(cat t.pid)"
wait_for typescript "stopped" 10 || fail "terminal proxy did not stop"
echo "6. access log: stdout by default, off on a terminal"

# --- 7. Chosen access log fields in JSON over TLS: version, cipher, SNI, ALPN; one clock.
tls_port=$(free_port)
cat >f.toml <<TOML
[global]
access_log = "f-access.json"
access_log_format = "json"
access_log_fields = ["request_id", "tls_version", "tls_cipher", "sni", "alpn", "status",
                     "total_us", "backend_response_us"]
[[listeners]]
name = "tls"
address = "127.0.0.1:$tls_port"
[[listeners.tls]]
cert = "one.pem"
key = "one.key"
[[clusters]]
name = "origin"
builtin_origin = true
[[frontends]]
cluster = "origin"
TOML
"$crossmux" proxy -c f.toml --workers 1 >f.log 2>&1 &
f_pid=$!; pids+=($f_pid)
wait_for f.log "listener tls on" 10 || fail "TLS proxy: $(cat f.log)"
curl -sSk -m 5 -o /dev/null --http2 --resolve "one.test:$tls_port:127.0.0.1" \
  "https://one.test:$tls_port/slow/30" || fail "TLS h2 request"
curl -sSk -m 5 -o /dev/null --http1.1 --tls-max 1.2 --resolve "two.test:$tls_port:127.0.0.1" \
  "https://two.test:$tls_port/bytes/10" || fail "TLS 1.2 request"
wait_for f-access.json '"sni":"two.test"' 5 || fail "TLS access lines: $(cat f-access.json)"
python3 - f-access.json <<'PY' || fail "TLS access log: $(cat f-access.json)"
import json, re, sys
a, b = [json.loads(l) for l in open(sys.argv[1])]
keys = ["request_id", "tls_version", "tls_cipher", "sni", "alpn", "status", "total_us",
        "backend_response_us"]
assert list(a) == keys and list(b) == keys, (list(a), list(b))
assert (a["tls_version"], a["sni"], a["alpn"], a["status"]) == ("TLSv1.3", "one.test", "h2", 200), a
assert (b["tls_version"], b["sni"], b["alpn"], b["status"]) == ("TLSv1.2", "two.test", "http/1.1", 200), b
assert re.fullmatch(r"TLS_[A-Z0-9_]+", a["tls_cipher"]) and re.fullmatch(r"[A-Z0-9-]+", b["tls_cipher"]), (a, b)
# /slow/30: the origin waits 30 ms; both durations on one clock, the backend's inside the total.
# The origin's timer counts whole milliseconds of the loop's clock, read at the start of the loop
# iteration that sent the request: it may fire up to 1 ms early on the microsecond clock
# (29,798 us was seen).
assert 29000 <= a["backend_response_us"] <= a["total_us"], a
PY
kill "$f_pid"; wait "$f_pid" 2>/dev/null
echo "7. JSON fields over TLS: version, cipher, SNI, ALPN; backend time within total"
kill "$a_pid"; wait "$a_pid" 2>/dev/null
echo "operator end to end ok"
