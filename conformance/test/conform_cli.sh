#!/usr/bin/env bash
# The conform command line as h2spec users type it: --version on every subcommand, usage errors
# exit 2, --dryrun / --junit-report / -o spellings, the h2spec set as the default selection
# (146 cases, 147 with -S) and crossmux's additions only with --all or by name, labelled as ours.
# Every translation scenario cites the RFC sentence its verdict rests on (an `rfc:` line), and no
# suite output cites a document outside the repository.
# Usage: conform_cli.sh CROSSMUX_BINARY SOURCE_DIR
set -uo pipefail
crossmux=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
check() {  # check DESCRIPTION COMMAND...: the command must succeed
  local what=$1; shift
  if ! "$@" >/dev/null 2>&1; then echo "FAIL: $what"; status=1; fi
}
cases() { grep -cE '^ +[0-9]+: '; }

for sub in "" "proxy" "origin" "conform" "conform h2" "conform h1" "conform translate"; do
  # shellcheck disable=SC2086
  out=$("$crossmux" $sub --version 2>&1)
  rc=$?
  [ $rc -eq 0 ] && [ "$out" = "crossmux 0.1.0" ] || { echo "FAIL: '$sub --version': rc $rc, '$out'"; status=1; }
done
"$crossmux" --help | grep -qE '^ +proxy ' || { echo "FAIL: proxy missing from the top-level help"; status=1; }
for args in "conform h2 --no-such-flag" "conform translate" "conform h2 -p notaport" "nosuch" ""; do
  # shellcheck disable=SC2086
  "$crossmux" $args >/dev/null 2>&1
  rc=$?
  [ $rc -eq 2 ] || { echo "FAIL: usage error '$args' exits $rc, expected 2"; status=1; }
done

n=$("$crossmux" conform h2 --dryrun | cases)
[ "$n" = 146 ] || { echo "FAIL: default run lists $n cases, expected h2spec's 146"; status=1; }
n=$("$crossmux" conform h2 --dry-run -S | cases)
[ "$n" = 147 ] || { echo "FAIL: default strict run lists $n cases, expected 147"; status=1; }
n=$("$crossmux" conform h2 --dryrun -S h2spec | cases)
[ "$n" = 147 ] || { echo "FAIL: 'h2spec' selects $n cases, expected 147"; status=1; }
"$crossmux" conform h2 --dryrun | grep -q 'crossmux addition' && { echo "FAIL: additions in the default run"; status=1; }
all=$("$crossmux" conform h2 --dryrun --all)
[ "$(echo "$all" | cases)" -gt 146 ] || { echo "FAIL: --all adds nothing"; status=1; }
for root in 'requirements h2spec does not test (crossmux addition)' 'RFC 9113 §10.5 denial-of-service limits (crossmux addition'; do
  echo "$all" | grep -qF "$root" || { echo "FAIL: --all lacks the labelled root '$root'"; status=1; }
done
# What RFC 9113 §8.3.1 / RFC 9110 §4.2.4 leave at SHOULD runs only with -S, under the same ids.
"$crossmux" conform h2 --dryrun rfc9113/8.3.1 | grep -qE 'userinfo|differs from :authority' \
  && { echo "FAIL: SHOULD-level :authority cases run without -S"; status=1; }
[ "$("$crossmux" conform h2 --dryrun -S rfc9113/8.3.1 | grep -cE '^ +(7: .*userinfo|12: .*differs from :authority)')" = 2 ] \
  || { echo "FAIL: -S lacks rfc9113/8.3.1/7 and /12"; status=1; }
n=$("$crossmux" conform h2 --dryrun rfc9113 | grep -c 'Generic tests')
[ "$n" = 0 ] || { echo "FAIL: naming rfc9113 also ran h2spec's groups"; status=1; }

# --junit-report and -o: a run against a closed port aborts (exit 1) and still writes the report.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$crossmux" conform h2 -p "$port" -o 1 --junit-report "$work/r.xml" generic/1 >"$work/out.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: unreachable target exits $rc, expected 1"; status=1; }
grep -q 'connection refused' "$work/out.txt" || { echo "FAIL: no 'connection refused'"; status=1; }
grep -q '<testcase package="generic/1"' "$work/r.xml" 2>/dev/null || { echo "FAIL: --junit-report wrote no h2spec-style testcase"; status=1; }
check "h1 --junit-report --dryrun" "$crossmux" conform h1 --dryrun --junit-report "$work/h1.xml"
for f in "$src"/corpus/translate/*.scenario; do
  grep -qE '^rfc: RFC [0-9]+ §' "$f" || { echo "FAIL: $(basename "$f") has no 'rfc: RFC N §...' line"; status=1; }
done
# What a user reads: every listing and help text, and the case and scenario sources they come from.
listing=$("$crossmux" conform h2 --dryrun --all; "$crossmux" conform h1 --dryrun
  "$crossmux" conform translate --dryrun -p 1 -r /dev/null -s "$src/corpus/translate"
  for sub in h2 h1 translate; do "$crossmux" conform $sub --help; done)
outside='attacks-and-fuzzing|h2spec-catalogue|model-codebases|sozu-mux'
# Sources: the suites, their known-deviation files, the scenarios and the translation matrix.
if grep -lE "$outside" -r "$src"/conformance "$src"/corpus/translate "$src"/docs/translation-matrix.md \
     --include='*.cc' --include='*.h' --include='*.txt' --include='*.scenario' --include='*.md'; then
  echo "FAIL: case text cites a document that is not in the repository"; status=1
fi
# A scenario's `class:` names a table of corpus/translate/README.md; no output names a class.
if grep -E "$outside|\bclass [A-Q]\b" <<<"$listing" | grep -q .; then
  echo "FAIL: a listing cites a document that is not in the repository"; status=1
fi
[ $status -eq 0 ] && echo "conform CLI: ok"
exit $status
