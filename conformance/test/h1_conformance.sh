#!/usr/bin/env bash
# `crossmux conform h1` against `crossmux origin` (our strict HTTP/1.1 decoder behind it): every
# case must pass, with a JUnit report that says so.
set -uo pipefail
crossmux=$1
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
"$crossmux" origin -l 127.0.0.1:0 >"$work/origin.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q listening "$work/origin.log" && break; sleep 0.05; done
port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$work/origin.log")
[ -n "$port" ] || { echo "origin did not start"; exit 1; }
"$crossmux" conform h1 -p "$port" -o 1 -j "$work/h1.xml" >"$work/out.txt" 2>&1
rc=$?
tail -1 "$work/out.txt"
if [ $rc -ne 0 ]; then sed -n '/^Failures:/,$p' "$work/out.txt"; exit 1; fi
grep -q 'failures="[1-9]' "$work/h1.xml" && { echo "JUnit reports failures"; exit 1; }
grep -q '<testcase ' "$work/h1.xml" || { echo "JUnit has no test cases"; exit 1; }
