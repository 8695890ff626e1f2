#!/usr/bin/env bash
# Measures fuzz-target throughput (executions per CPU-second) of several fuzz builds side by side:
# same targets, same corpus, same machine, builds alternating round by round, median of the rounds.
#
# Usage: scripts/fuzz_speed.sh [-r ROUNDS] [-n RUNS] [-m MAX_LEN] [-o FILE] LABEL=BUILD_DIR...
#                              [-- TARGET...]
#   LABEL=BUILD_DIR  a configured and built fuzz build (binaries in BUILD_DIR/fuzz/<t>_fuzzer);
#                    the first one is the baseline the others are compared with
#   -r  rounds per build and target (default 3); the table shows the median
#   -n  libFuzzer -runs per measurement (default 30000; mux_session gets a twentieth)
#   -m  -max_len (default 64, the method of fuzz/RESULTS.md: throughput at small inputs)
#   -o  also write the Markdown table to FILE
#   TARGET  names without _fuzzer (default: every target the first build has)
# Each measurement starts from a fresh copy of corpus/<target>/ with -seed=1 and the target's
# dictionary; executions are libFuzzer's own count (stat::number_of_executed_units), CPU time is
# user+sys of the fuzzer process, which other load on the machine changes much less than wall time.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
. scripts/fuzz_common.sh

rounds=3 runs=30000 max_len=64 outfile=""
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while getopts "r:n:m:o:h" opt; do
  case $opt in
    r) rounds=$OPTARG ;; n) runs=$OPTARG ;; m) max_len=$OPTARG ;; o) outfile=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
labels=() dirs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  [[ $1 == *=* ]] || { echo "fuzz_speed: expected LABEL=BUILD_DIR, got '$1'" >&2; exit 2; }
  labels+=("${1%%=*}") dirs+=("${1#*=}")
  shift
done
[ "${1:-}" = -- ] && shift
[ ${#labels[@]} -gt 0 ] || { usage >&2; exit 2; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(fuzz_targets_in "${dirs[0]}/fuzz")
[ ${#targets[@]} -gt 0 ] || { echo "fuzz_speed: no fuzz targets in ${dirs[0]}/fuzz" >&2; exit 2; }

work=$(mktemp -d /tmp/crossmux-fuzz-speed.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1}

# measure BIN TARGET RUNS -> "executions cpu_seconds" on stdout
measure() {
  local bin=$1 t=$2 n=$3
  rm -rf "$work/corpus" && mkdir -p "$work/corpus"
  [ -d "corpus/$t" ] && cp corpus/"$t"/* "$work/corpus/" 2>/dev/null
  # shellcheck disable=SC2046
  /usr/bin/time -f '%U %S' -o "$work/time" "$bin" -runs="$n" -max_len="$max_len" -seed=1 \
    -print_final_stats=1 $(fuzz_dict_flag "$t" "$work") "$work/corpus" >"$work/log" 2>&1 \
    || { echo "fuzz_speed: $bin failed, log follows" >&2; tail -20 "$work/log" >&2; return 1; }
  local execs cpu
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$work/log")
  cpu=$(awk '{print $1 + $2}' "$work/time")
  echo "$execs $cpu"
}

declare -A rate
printf '%s\n' "measuring ${#targets[@]} targets x ${#labels[@]} builds x $rounds rounds" >&2
for t in "${targets[@]}"; do
  n=$runs
  [ "$t" = mux_session ] && n=$((runs / 20))
  for ((r = 1; r <= rounds; r++)); do
    for i in "${!labels[@]}"; do
      bin=${dirs[$i]}/fuzz/${t}_fuzzer
      [ -x "$bin" ] || { rate[$t,$i]+="- "; continue; }
      read -r execs cpu < <(measure "$bin" "$t" "$n") || exit 1
      rate[$t,$i]+="$(awk -v e="$execs" -v c="$cpu" 'BEGIN { printf "%.0f", (c > 0 ? e / c : 0) }') "
      printf '  %-16s %-10s round %d: %s executions in %s CPU-s\n' "$t" "${labels[$i]}" "$r" \
        "$execs" "$cpu" >&2
    done
  done
done

median() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '{ v[NR] = $1 } END {
  if (NR == 0) print "-"; else print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'; }
{
  printf '| target |'
  for l in "${labels[@]}"; do printf ' %s |' "$l"; done
  for l in "${labels[@]:1}"; do printf ' %s / %s |' "$l" "${labels[0]}"; done
  printf '\n|---|'
  for _ in "${labels[@]}" "${labels[@]:1}"; do printf -- '---:|'; done
  printf '\n'
  for t in "${targets[@]}"; do
    meds=()
    for i in "${!labels[@]}"; do meds+=("$(median <<<"${rate[$t,$i]}")"); done
    printf '| %s |' "$t"
    for m in "${meds[@]}"; do printf ' %s |' "$m"; done
    for m in "${meds[@]:1}"; do
      awk -v a="$m" -v b="${meds[0]}" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf " %.2f |", a / b;
        else printf " - |" }'
    done
    printf '\n'
  done
} | tee "${outfile:-/dev/null}"
