#!/usr/bin/env bash
# Runs every `crossmux conform h2 --all -S` group against nghttpd (h2c and TLS) and requires exactly the documented
# known deviations to fail: every other case passes, and the runner does report nghttpd's real
# deviation (so a runner that always says ✔ fails this test).
# Usage: nghttpd_conformance.sh CROSSMUX_BINARY SOURCE_DIR
set -uo pipefail
crossmux=$1 src=$2
command -v nghttpd >/dev/null || { echo "nghttpd not installed (scripts/setup.sh installs nghttp2-server)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/htdocs"
echo "crossmux conformance body" >"$work/htdocs/index.html"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
  -subj "/CN=localhost" >/dev/null 2>&1 || { echo "openssl failed"; exit 1; }

start_nghttpd() {  # start_nghttpd VAR tls|h2c: picks a free port, sets VAR
  local var=$1 mode=$2
  for _ in $(seq 1 20); do
    local port=$((20000 + RANDOM % 20000))
    if [ "$mode" = tls ]; then
      nghttpd -d "$work/htdocs" "$port" "$work/key.pem" "$work/cert.pem" >"$work/nghttpd-$port.log" 2>&1 &
    else
      nghttpd --no-tls -d "$work/htdocs" "$port" >"$work/nghttpd-$port.log" 2>&1 &
    fi
    local pid=$!
    for _ in $(seq 1 50); do
      if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then pids+=("$pid"); printf -v "$var" %s "$port"; return 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill "$pid" 2>/dev/null
  done
  return 1
}

expected=$(grep -v '^#' "$src/conformance/known-deviations/nghttpd.txt" | sort)
status=0
check() {  # check NAME ARGS...
  local name=$1; shift
  "$crossmux" conform h2 --all -S -o 2 -j "$work/$name.xml" "$@" >"$work/$name.txt" 2>&1
  local rc=$?
  local failed
  failed=$(awk '/<testcase /{match($0, / name="[^"]*"/); id=substr($0, RSTART+7, RLENGTH-8)} /<failure/{print id}' "$work/$name.xml" | sort)
  local summary
  summary=$(tail -1 "$work/$name.txt")
  echo "$name: $summary"
  if [ "$failed" != "$expected" ]; then
    echo "$name: failed cases differ from known-deviations/nghttpd.txt"
    echo "  expected: $(echo $expected)"
    echo "  got:      $(echo $failed)"
    cat "$work/$name.txt" | sed -n '/^Failures:/,$p' | head -60
    status=1
  fi
  [ $rc -eq 1 ] || { echo "$name: exit status $rc, expected 1 (a case failed)"; status=1; }
  local n_expected
  n_expected=$(echo "$expected" | grep -c .)
  grep -qE "^[0-9]+ tests, [0-9]+ passed, [0-9]+ skipped, $n_expected failed$" "$work/$name.txt" \
    || { echo "$name: unexpected totals"; status=1; }
}

start_nghttpd H2C_PORT h2c || { echo "could not start nghttpd"; exit 1; }
check h2c -p "$H2C_PORT"
start_nghttpd TLS_PORT tls || { echo "could not start nghttpd with TLS"; exit 1; }
check tls -p "$TLS_PORT" -t -k
exit $status
