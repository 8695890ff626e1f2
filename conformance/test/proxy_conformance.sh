#!/usr/bin/env bash
# Runs all three conformance suites against `crossmux proxy` (h2c and TLS listeners) with a
# recording `crossmux origin` behind it on both an HTTP/1.1 and an h2c cluster:
#   conform h2         every case must pass (h2spec's groups, RFC 9113 additions, abuse probes);
#                      on the TLS and the h2c-only listener h2spec's strict set must pass 147/147
#   conform h1         every case must pass
#   conform translate  every scenario in all four pairings must pass, client and backend side;
#                      and a deliberately unmeetable scenario must fail with the full report
# Usage: proxy_conformance.sh CROSSMUX_BINARY SOURCE_DIR
set -uo pipefail
crossmux=$1 src=$2
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# Below the kernel's ephemeral range (32768+), where no client socket of a concurrent test lands.
pick_port() { local p; for _ in $(seq 1 50); do p=$((20000 + RANDOM % 12768)); port_free "$p" && { echo "$p"; return; }; done; return 1; }
wait_port() { for _ in $(seq 1 100); do port_free "$1" || return 0; sleep 0.05; done; return 1; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,DNS:*.translate.test,IP:127.0.0.1" >/dev/null 2>&1 \
  || fail "openssl could not make a certificate"

"$crossmux" origin -l 127.0.0.1:0 -r "$work/record.jsonl" >"$work/origin.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$work/origin.log" && break; sleep 0.05; done
origin=$(sed -n 's/.*listening on \([0-9.:]*\) .*/\1/p' "$work/origin.log")
[ -n "$origin" ] || fail "origin did not start"

# Ports are picked at run time; another test may take one between the pick and the bind, so a
# bind failure retries with new ports.
started=0
for attempt in 1 2 3 4 5; do
  h2c_port=$(pick_port) && tls_port=$(pick_port) && only_port=$(pick_port) || fail "no free port"
  [ "$h2c_port" != "$tls_port" ] && [ "$only_port" != "$h2c_port" ] && [ "$only_port" != "$tls_port" ] || continue
  cat >"$work/proxy.toml" <<TOML
[global]
access_log = "$work/access.log"
[[listeners]]
name = "plain"
address = "127.0.0.1:$h2c_port"
protocols = ["http/1.1", "h2c"]
[[listeners]]
name = "h2c-only"
address = "127.0.0.1:$only_port"
protocols = ["h2c"]
[[listeners]]
name = "tls"
address = "127.0.0.1:$tls_port"
protocols = ["h2", "http/1.1"]
[[listeners.tls]]
cert = "$work/cert.pem"
key = "$work/key.pem"
[[clusters]]
name = "h1"
protocol = "http1"
backends = ["$origin"]
[[clusters]]
name = "h2c"
protocol = "h2c"
backends = ["$origin"]
[[frontends]]
hostname = "h2.translate.test"
cluster = "h2c"
[[frontends]]
cluster = "h1"
TOML

  # --check refuses an address another process listens on: that is a port taken since the pick.
  if ! "$crossmux" proxy --check -c "$work/proxy.toml" >"$work/check.txt" 2>&1; then
    grep -q 'is in use by another process' "$work/check.txt" && continue
    fail "config rejected: $(cat "$work/check.txt")"
  fi
  "$crossmux" proxy -c "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
  proxy_pid=$!
  # Someone listens on both ports; make sure it is our proxy (a failed bind exits at once).
  if wait_port "$h2c_port" && wait_port "$tls_port" && wait_port "$only_port" && sleep 0.3 && kill -0 "$proxy_pid" 2>/dev/null; then
    pids+=("$proxy_pid")
    started=1
    break
  fi
  kill "$proxy_pid" 2>/dev/null
  wait "$proxy_pid" 2>/dev/null
done
[ $started -eq 1 ] || fail "proxy did not listen: $(cat "$work/proxy.log")"

status=0
suite() {  # suite NAME ARGS...
  local name=$1; shift
  "$crossmux" conform "$@" -o 2 -j "$work/$name.xml" >"$work/$name.txt" 2>&1
  local rc=$?
  echo "$name: $(tail -1 "$work/$name.txt")"
  if [ $rc -ne 0 ]; then sed -n '/^Failures:/,$p' "$work/$name.txt" | head -80; status=1; fi
  # The report's shape (issue #8 item 4), for every suite: ✔ lines, the summary, JUnit with
  # test cases, and no progress line when stdout is not a terminal.
  local n
  n=$(sed -n 's/^\([0-9]*\) tests, [0-9]* passed, [0-9]* skipped, [0-9]* failed$/\1/p' "$work/$name.txt")
  [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "$name: no summary line"; status=1; }
  [ "$(grep -c '✔' "$work/$name.txt")" -gt 0 ] || { echo "$name: no ✔ lines"; status=1; }
  [ "$(grep -c '<testcase ' "$work/$name.xml")" = "${n:-x}" ] || { echo "$name: JUnit does not list $n cases"; status=1; }
  if grep -q $'\r' "$work/$name.txt"; then echo "$name: progress line written to a file"; status=1; fi
}
# The HTTP/1.1 + h2c listener answers a connection without the preface in HTTP/1.1, as it must
# (RFC 9113 §3.4 prior knowledge applies to h2c-only ports), so h2spec's preface case
# (http2/3.5/2) runs on the h2c-only listener below; everything else runs here.
suite h2-h2c h2 -p "$h2c_port" -S generic http2/3.5/1 http2/4 http2/5 http2/6 http2/7 http2/8 hpack rfc9113 abuse
suite h2-tls h2 -p "$tls_port" -t -k -h localhost -S --all
grep -q '^h2spec set (generic, http2, hpack): 147 tests, 147 passed, 0 skipped, 0 failed$' "$work/h2-tls.txt" \
  || { echo "h2-tls: not 147/147 of h2spec's strict set"; status=1; }
# An h2c-only listener passes h2spec's strict set (the default selection) in full: a connection
# without the preface gets GOAWAY PROTOCOL_ERROR (http2/3.5/2), never an HTTP/1.1 answer.
suite h2-h2c-only h2 -p "$only_port" -S
grep -q '^147 tests, 147 passed, 0 skipped, 0 failed$' "$work/h2-h2c-only.txt" \
  || { echo "h2-h2c-only: not 147/147 of h2spec's strict set"; status=1; }
suite h1-plain h1 -p "$h2c_port"
suite h1-tls h1 -p "$tls_port" -t -k -h localhost
suite translate-plain translate -p "$h2c_port" -r "$work/record.jsonl" -s "$src/corpus/translate"
suite translate-tls translate -p "$tls_port" -t -k -r "$work/record.jsonl" -s "$src/corpus/translate"

# A failing run reports like one: a scenario whose response expectation the proxy cannot meet
# must give ×, the recap with expected and actual, "1 failed" per pairing, <failure> and exit 1.
mkdir -p "$work/wrong"
sed 's/^header: set-cookie: theme=dark; Path=\/; Max-Age=3600$/header: set-cookie: theme=light; Path=\/; Max-Age=3600/' \
  "$src/corpus/translate/everyday-set-cookie.scenario" >"$work/wrong/wrong-set-cookie.scenario"
"$crossmux" conform translate -p "$h2c_port" -o 2 -r "$work/record.jsonl" -s "$work/wrong" -j "$work/wrong.xml" \
  >"$work/wrong.txt" 2>&1
rc=$?
wrong_ok=1
[ $rc -eq 1 ] || { echo "wrong scenario: exit status $rc, expected 1"; wrong_ok=0; }
grep -q '^4 tests, 0 passed, 0 skipped, 4 failed$' "$work/wrong.txt" || { echo "wrong scenario: totals"; wrong_ok=0; }
grep -q '^Failures:' "$work/wrong.txt" || { echo "wrong scenario: no recap"; wrong_ok=0; }
grep -q 'field set-cookie: expected .*theme=light.*, got .*theme=dark' "$work/wrong.txt" \
  || { echo "wrong scenario: the recap lacks expected and got"; wrong_ok=0; }
[ "$(grep -c '<failure' "$work/wrong.xml")" = 4 ] || { echo "wrong scenario: JUnit lacks <failure>"; wrong_ok=0; }
if [ $wrong_ok -eq 1 ]; then echo "wrong scenario: fails as it must"; else cat "$work/wrong.txt"; status=1; fi
exit $status
