#!/usr/bin/env bash
# Overnight fuzzing: fuzzes the targets in parallel for a given time (progress on the terminal),
# merges and minimises their corpora, triages crashes (bucketed by symbolised stack, one minimised
# reproducer per bucket copied into corpus/open/<target>/ with its reproduce and regression-seed
# commands), measures line coverage of the merged corpora with llvm-cov (coverage build of the
# fuzzed targets only) and writes report.html (self-contained, plots inline), report.md and
# report.json. Ctrl-C stops fuzzing early and still writes the report.
#
# Usage: scripts/fuzz_overnight.sh [-t SECONDS] [-j JOBS] [-o OUTDIR] [-p PREVIOUS] [-u] [-n]
#                                  [TARGET...]
#   -t  seconds of fuzzing per target (default 3600); the targets run at the same time
#   -j  libFuzzer jobs in total (default: all cores), shared by the targets (fork mode)
#   -o  output directory (default fuzz-out/<UTC date-time>)
#   -p  an earlier run's output directory, for the report's "since last run" column (default:
#       the newest fuzz-out/*/report.json, if any)
#   -u  update corpus/<target>/ with the merged corpus (files named by SHA-256)
#   -n  do not copy crash reproducers into corpus/open/ (they stay in OUTDIR/<target>/minimized)
#   -h  this help
#   TARGET  names without the _fuzzer suffix (default: every target the fuzz build has)
# Environment: CROSSMUX_FUZZ_BUILD_DIR an already configured fuzz build (default: the fuzz preset,
# build/fuzz); CROSSMUX_FUZZ_COV_DIR the coverage build (default build/fuzz-cov); CROSSMUX_JOBS
# caps build parallelism. Exit status 1 when a crash reproduces, 2 on usage or build errors.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
. scripts/fuzz_common.sh

seconds=3600 jobs=$(nproc) out="" prev="" update=0 open_dir=$root/corpus/open
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
case ${1:-} in --help) usage; exit 0 ;; esac
while getopts "t:j:o:p:unh" opt; do
  case $opt in
    t) seconds=$OPTARG ;; j) jobs=$OPTARG ;; o) out=$OPTARG ;; p) prev=$OPTARG ;;
    u) update=1 ;; n) open_dir="" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $seconds =~ ^[0-9]+$ && $jobs =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
if [ -z "$prev" ]; then
  prev=$(ls -1d fuzz-out/*/report.json 2>/dev/null | sort | tail -1)
  prev=${prev%/report.json}
fi
out=${out:-fuzz-out/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out" && out=$(cd "$out" && pwd)
[ "$prev" = "$out" ] && prev=""
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
build_jobs=${CROSSMUX_JOBS:-$(nproc)}
requested=("$@")

# --- build: only the requested targets when some are named
builddir=${CROSSMUX_FUZZ_BUILD_DIR:-$root/build/fuzz}
builddir=$(mkdir -p "$builddir" && cd "$builddir" && pwd)
log "building $builddir"
if [ -z "${CROSSMUX_FUZZ_BUILD_DIR:-}" ]; then
  cmake --preset fuzz >"$out/build.log" 2>&1 || { echo "fuzz configure failed: $out/build.log" >&2; exit 2; }
fi
build_targets=()
for t in "${requested[@]}"; do build_targets+=(--target "${t}_fuzzer"); done
cmake --build "$builddir" -j"$build_jobs" "${build_targets[@]}" >>"$out/build.log" 2>&1 \
  || { echo "fuzz build failed: see $out/build.log" >&2; exit 2; }
bindir=$builddir/fuzz
targets=("${requested[@]}")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(fuzz_targets_in "$bindir")
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets built in $bindir" >&2; exit 2; }
cxx=$(sed -nE 's/^CMAKE_CXX_COMPILER:[A-Z]+=(.*)/\1/p' "$builddir/CMakeCache.txt")
llvm_bin=$(dirname "$(readlink -f "$(command -v "${cxx:-clang++}")")")
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$llvm_bin/llvm-symbolizer}

per_target=$(( jobs / ${#targets[@]} )); [ "$per_target" -ge 1 ] || per_target=1
started=$(date -u +%FT%TZ)
seed_json=""
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus" "$out/$t/crashes"
  [ -d "corpus/$t" ] && cp -n corpus/"$t"/* "$out/$t/corpus/" 2>/dev/null
  seed_json+="\"$t\": $(find "$out/$t/corpus" -type f | wc -l), "
done
write_run_json() {  # $1: extra JSON members
  cat >"$out/run.json" <<EOF
{"started": "$started", "seconds": $seconds, "jobs": $jobs, "per_target_jobs": $per_target,
 "commit": "$(git rev-parse --short HEAD 2>/dev/null)", "root": "$root",
 "compiler": "$("$cxx" --version 2>/dev/null | head -1)",
 "targets": [$(printf '"%s",' "${targets[@]}" | sed 's/,$//')],
 "seed_counts": {${seed_json%, }}$1}
EOF
}
write_run_json ""

# --- fuzz: every target at once, fork mode, crashes/timeouts/OOMs kept and fuzzing continued
log "fuzzing ${#targets[@]} targets for ${seconds}s, $per_target job(s) each: ${targets[*]}"
pids=()
for t in "${targets[@]}"; do
  # shellcheck disable=SC2046
  "$bindir/${t}_fuzzer" -fork="$per_target" -max_total_time="$seconds" -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/$t/crashes/" $(fuzz_dict_flag "$t" "$out") "$out/$t/corpus" \
    >"$out/$t/fuzz.log" 2>&1 &
  pids+=($!)
  printf 'elapsed\tcov\tft\tcorpus\texec_s\n' >"$out/$t/coverage.tsv"
done

stopping=0
trap 'stopping=1; kill "${pids[@]}" 2>/dev/null' INT TERM
start=$(date +%s)
# Redrawn every 10 s, or ten times over a run shorter than that.
tick=$(( seconds / 10 )); [ $tick -ge 1 ] || tick=1; [ $tick -le 10 ] || tick=10
tty=0; [ -t 1 ] && tty=1
drawn=0 last_note=-60
stat_line() { grep -aE '^#[0-9]+' "$out/$1/fuzz.log" 2>/dev/null | tail -1; }
field() { sed -nE "s|.* $2:? ?([0-9]+).*|\1|p" <<<"$1"; }
while :; do
  alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  now=$(( $(date +%s) - start ))
  rows=() total_crashes=0
  for t in "${targets[@]}"; do
    s=$(stat_line "$t")
    cov=$(field "$s" cov); ft=$(field "$s" ft); corp=$(field "$s" corp); eps=$(field "$s" exec/s)
    execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$s")
    printf '%s\t%s\t%s\t%s\t%s\n' "$now" "${cov:-0}" "${ft:-0}" "${corp:-0}" "${eps:-0}" \
      >>"$out/$t/coverage.tsv"
    c=$(find "$out/$t/crashes" -type f | wc -l); total_crashes=$((total_crashes + c))
    rows+=("$(printf '  %-16s %12s execs %8s exec/s  cov %6s  ft %6s  corpus %5s  crashes %s' \
      "$t" "${execs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$c")")
  done
  if [ $tty -eq 1 ]; then
    [ $drawn -gt 0 ] && printf '\033[%dA' "$drawn"
    printf '\033[K[%s/%s] fuzzing %d targets, %d failing input(s) so far (Ctrl-C: stop and report)\n' \
      "$(date -u -d@"$now" +%H:%M:%S)" "$(date -u -d@"$seconds" +%H:%M:%S)" "${#targets[@]}" \
      "$total_crashes"
    printf '\033[K%s\n' "${rows[@]}"
    drawn=$(( ${#rows[@]} + 1 ))
  elif [ $((now - last_note)) -ge 60 ] || [ $alive -eq 0 ]; then
    log "${now}s of ${seconds}s, $total_crashes failing input(s) so far"
    last_note=$now
  fi
  [ $alive -eq 1 ] && [ $stopping -eq 0 ] || break
  sleep "$tick" & wait $!
done
wait 2>/dev/null
trap - INT TERM
[ $stopping -eq 1 ] && log "stopped early (Ctrl-C) after ${now}s: finishing the report"

log "merging and minimising corpora"
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/merged"
  "$bindir/${t}_fuzzer" -merge=1 "$out/$t/merged" "$out/$t/corpus" >"$out/$t/merge.log" 2>&1
  if [ $update -eq 1 ]; then
    mkdir -p "corpus/$t"
    for f in "$out/$t/merged"/*; do
      [ -f "$f" ] && cp "$f" "corpus/$t/$(sha256sum "$f" | cut -c1-64)"
    done
  fi
done

log "triaging crashes"
prev_json=""; [ -n "$prev" ] && [ -f "$prev/report.json" ] && prev_json=$prev/report.json
python3 fuzz/tools/triage.py --bin-dir "$bindir" --out "$out" --root "$root" \
  --open-dir "$open_dir" --previous "$prev_json" "${targets[@]}" | tee "$out/triage.txt"
crashed=${PIPESTATUS[0]}

log "measuring line coverage of the merged corpora (llvm-cov, coverage build of ${#targets[@]} targets)"
cov_error=""
if bash scripts/fuzz_coverage.sh "$out" "$cxx" "${targets[@]}" >"$out/coverage-build.log" 2>&1; then
  :
else
  cov_error="coverage build or measurement failed: see coverage-build.log"
  log "$cov_error"
fi
write_run_json ", \"coverage_error\": \"$cov_error\", \"finished\": \"$(date -u +%FT%TZ)\""

log "writing the report"
python3 fuzz/tools/report.py "$out" ${prev_json:+--previous "$prev_json"} || exit 2
log "report: $out/report.html (and report.md, report.json)"
[ "$crashed" -eq 0 ] || exit 1
