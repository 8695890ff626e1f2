#!/usr/bin/env bash
# `crossmux fuzz`'s bounds and modes from the command line: non-loopback targets are refused,
# --rate caps the cases per second, -n the count, the progress line is printed, and in
# differential mode (--target twice) every case goes to both targets and a finding is the
# flawed one's only.
# Usage: fuzz_cli.sh CROSSMUX PLANTED_ORIGIN
crossmux=$1 planted=$2
source "$(dirname "$0")/../../../mux/proxy/test/e2e_lib.sh"

cases_of() { sed -nE 's/^([0-9]+) cases in .*/\1/p' "$1" | tail -1; }

# Loopback or test hosts only: nothing is dialled.
for args in "-h 192.0.2.1 -p 80" "--target a=127.0.0.1:1 --target b=198.51.100.7:80"; do
  # shellcheck disable=SC2086
  "$crossmux" fuzz h1 $args -d 1 -q -o "$work/remote" >"$work/remote.log" 2>&1
  rc=$?
  [ $rc -eq 2 ] && grep -q "refusing to fuzz a non-loopback target" "$work/remote.log" \
    || fail "a non-loopback target ($args) was not refused (exit $rc): $(cat "$work/remote.log")"
done

"$crossmux" origin -l 127.0.0.1:0 >"$work/origin.log" 2>&1 &
pids+=($!)
wait_for_line "$work/origin.log" "listening" || fail "origin did not start"
port=$(sed -nE 's/.*listening on [0-9.]+:([0-9]+) .*/\1/p' "$work/origin.log")
common=(-p "$port" -c "$work/none" --no-conform-seeds --no-minimize)

# -n 25 with --rate 20: exactly 25 cases, which take at least 1.2 s (unbounded, this origin takes
# hundreds a second). The progress line (stderr) ends the run.
"$crossmux" fuzz h1 "${common[@]}" -n 25 --rate 20 -d 30 -o "$work/count" >"$work/count.log" \
  2>"$work/count.err"
line=$(grep -E "^[0-9]+ cases in " "$work/count.log")
[ "$(cases_of "$work/count.log")" = 25 ] || fail "-n 25 ran: $line"
awk '{ exit !($4 + 0 >= 1.15) }' <<<"$line" || fail "--rate 20 did not hold 25 cases back: $line"
grep -qE '^\[ *[0-9]+s\] 25 execs \([0-9]+/s\) \| corpus [0-9]+ \| behaviours [0-9]+ \| findings 0$' \
  "$work/count.err" || fail "no progress line: $(cat "$work/count.err")"

# Differential: the planted late-data origin (a DATA frame after END_STREAM) beside the clean one.
# Bounded by cases, not seconds: with --seed 1 the first request carrying te: trailers (which arms
# the flaw) is case 185, which a loaded CI machine did not reach within 1.5 s.
flawed=$(free_port)
"$planted" "$flawed" late-data >"$work/planted.log" 2>&1 &
pids+=($!)
wait_port "$flawed" || fail "planted_origin did not start"
"$crossmux" fuzz h2 --target "flawed=127.0.0.1:$flawed" --target "clean=127.0.0.1:$port" \
  -c "$(dirname "$0")/../../../corpus/translate_h2_h1" --no-minimize -n 400 -d 60 -q --seed 1 \
  -o "$work/diff" >"$work/diff.log" 2>&1
grep -q "fuzzing 2 target(s)" "$work/diff.log" || fail "not differential: $(head -5 "$work/diff.log")"
awk -F'\t' 'NR > 1 && $2 == "protocol" && $3 == "flawed" && $4 == "frame-after-stream-end" { f = 1 }
            END { exit !f }' "$work/diff/findings.tsv" \
  || fail "the flawed target's DATA after END_STREAM was not found: $(cat "$work/diff/findings.tsv")"
if awk -F'\t' 'NR > 1 && $3 == "clean" { f = 1 } END { exit !f }' "$work/diff/findings.tsv"; then
  fail "a finding against the clean origin: $(cat "$work/diff/findings.tsv")"
fi
id=$(awk -F'\t' 'NR > 1 && $3 == "flawed" { print $1; exit }' "$work/diff/findings.tsv")
grep -q "^  clean: " "$work/diff/findings/$id.txt" && grep -q "^  flawed: " "$work/diff/findings/$id.txt" \
  || fail "$id.txt does not say what each target did"
echo "bounds, progress line and differential mode hold"
