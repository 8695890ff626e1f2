#!/usr/bin/env bash
# Fuzzes every crossmux target in parallel for a given time, then merges and minimises corpora,
# deduplicates crashes by symbolised stack, minimises each crash, measures line coverage of the
# corpus with llvm-cov, and writes report.md + report.html. Ctrl-C stops fuzzing early and still
# writes the report.
#
# Usage: scripts/fuzz_overnight.sh [-t SECONDS] [-j JOBS] [-o OUTDIR] [-u] [TARGET...]
#   -t  seconds of fuzzing per target (default 3600); targets run at the same time
#   -j  parallel libFuzzer jobs in total (default: all cores), shared by the targets (fork mode)
#   -o  output directory (default fuzz-out/<date>)
#   -u  update corpus/<target>/ with the merged corpus (files named by SHA-256)
#   TARGET  names without the _fuzzer suffix (default: every target the fuzz preset builds)
# Environment: CROSSMUX_FUZZ_BUILD_DIR uses an already configured fuzz build instead of the preset's
# build/fuzz; CROSSMUX_FUZZ_COV_DIR the coverage build dir (default build/fuzz-cov);
# CROSSMUX_SKIP_DIRS is passed to the coverage configure (default, as the fuzz preset: conformance;cli); CROSSMUX_JOBS caps build parallelism.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=3600 jobs=$(nproc) out="" update=0
while getopts "t:j:o:uh" opt; do
  case $opt in
    t) seconds=$OPTARG ;; j) jobs=$OPTARG ;; o) out=$OPTARG ;; u) update=1 ;;
    h|*) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
out=${out:-fuzz-out/$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"; out=$(cd "$out" && pwd)
llvm_bin=/usr/lib/llvm-14/bin
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1:detect_leaks=1}
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$llvm_bin/llvm-symbolizer}
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

build_jobs=${CROSSMUX_JOBS:-$(nproc)}
if [ -n "${CROSSMUX_FUZZ_BUILD_DIR:-}" ]; then
  builddir=$(cd "$CROSSMUX_FUZZ_BUILD_DIR" && pwd)
  log "building $builddir"
  cmake --build "$builddir" -j"$build_jobs" >"$out/build.log" 2>&1 \
    || { echo "fuzz build failed: see $out/build.log" >&2; exit 1; }
else
  builddir=$root/build/fuzz
  log "building the fuzz preset"
  cmake --preset fuzz >"$out/build.log" 2>&1 \
    && cmake --build --preset fuzz -j"$build_jobs" >>"$out/build.log" 2>&1 \
    || { echo "fuzz build failed: see $out/build.log" >&2; exit 1; }
fi
bindir=$builddir/fuzz

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in "$bindir"/*_fuzzer; do [ -x "$b" ] && targets+=("$(basename "${b%_fuzzer}")"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz targets built" >&2; exit 1; }
per_target=$(( jobs / ${#targets[@]} )); [ "$per_target" -ge 1 ] || per_target=1
log "fuzzing ${#targets[@]} targets for ${seconds}s, $per_target job(s) each: ${targets[*]}"

# The target's own dictionary, else its family's, else http.dict; mux_session gets http.dict and
# h2.dict merged (it speaks both protocols on both legs).
dict_for() {
  local t=$1
  if [ "$t" = mux_session ]; then
    cat fuzz/http.dict fuzz/h2.dict >"$out/$t.dict" && echo "-dict=$out/$t.dict"
    return
  fi
  for d in "fuzz/$t.dict" "fuzz/${t%%_*}.dict" fuzz/http.dict; do [ -f "$d" ] && { echo "-dict=$d"; return; }; done
}

pids=()
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus" "$out/$t/crashes"
  [ -d "corpus/$t" ] && cp -n corpus/"$t"/* "$out/$t/corpus/" 2>/dev/null
  # shellcheck disable=SC2046
  "$bindir/${t}_fuzzer" -fork="$per_target" -max_total_time="$seconds" -ignore_crashes=1 \
    -ignore_timeouts=1 -ignore_ooms=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/$t/crashes/" $(dict_for "$t") "$out/$t/corpus" >"$out/$t/fuzz.log" 2>&1 &
  pids+=($!)
  printf 'elapsed\tcov\tft\tcorpus\texec_s\n' >"$out/$t/coverage.tsv"
done

stopping=0
trap 'stopping=1; log "stopping (Ctrl-C): writing the report"; kill "${pids[@]}" 2>/dev/null' INT TERM
start=$(date +%s)
stat_line() { grep -aE '^#[0-9]+' "$out/$1/fuzz.log" 2>/dev/null | tail -1; }
field() { sed -nE "s|.* $2:? ?([0-9]+[a-zA-Z]*).*|\1|p" <<<"$1"; }
while [ $stopping -eq 0 ]; do
  alive=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  now=$(( $(date +%s) - start ))
  line=""
  for t in "${targets[@]}"; do
    s=$(stat_line "$t")
    cov=$(field "$s" cov); ft=$(field "$s" ft); corp=$(field "$s" corp); eps=$(field "$s" exec/s)
    printf '%s\t%s\t%s\t%s\t%s\n' "$now" "${cov:-0}" "${ft:-0}" "${corp:-0}" "${eps:-0}" >>"$out/$t/coverage.tsv"
    crashes=$(find "$out/$t/crashes" -type f | wc -l)
    line+="$t cov=${cov:-0} exec/s=${eps:-0} crashes=$crashes | "
  done
  printf '\r[%5ss/%ss] %s' "$now" "$seconds" "${line:0:200}"
  [ $alive -eq 1 ] || break
  sleep 10 & wait $!
done
wait 2>/dev/null; echo
trap - INT TERM

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

log "deduplicating and minimising crashes"
declare -A seen
crash_rows=()
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/minimized"
  for c in "$out/$t/crashes"/*; do
    [ -f "$c" ] || continue
    trace=$("$bindir/${t}_fuzzer" "$c" 2>&1 | grep -E '^ +#[0-9]+ ' | grep -vE 'fuzzer::|libFuzzer|compiler-rt|libc\.so|__sanitizer|__asan|__ubsan| in main | in _start' | head -3 | sed -E 's/0x[0-9a-f]+//g; s/ +/ /g')
    reason=$("$bindir/${t}_fuzzer" "$c" 2>&1 | grep -m1 -E 'ERROR: |runtime error|SUMMARY' | cut -c1-160)
    key=$(printf '%s\n%s' "$t" "$trace" | sha256sum | cut -c1-12)
    [ -n "${seen[$key]:-}" ] && continue
    seen[$key]=1
    min="$out/$t/minimized/$key-$(basename "$c" | cut -d- -f1)"
    "$bindir/${t}_fuzzer" -minimize_crash=1 -runs=20000 -exact_artifact_path="$min" "$c" >/dev/null 2>&1 \
      || cp "$c" "$min"
    [ -f "$min" ] || cp "$c" "$min"
    crash_rows+=("$t|$key|${reason:-unknown}|$bindir/${t}_fuzzer $min")
  done
done

log "measuring line coverage of the merged corpora (llvm-cov)"
covdir=${CROSSMUX_FUZZ_COV_DIR:-$root/build/fuzz-cov}
cov_summary="(coverage build failed; see $out/coverage-build.log)"
if cmake -S . -B "$covdir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
     -DCMAKE_BUILD_TYPE=Debug -DCROSSMUX_FUZZ=ON -DCROSSMUX_COVERAGE=ON -DCROSSMUX_TESTS=OFF \
     -DCROSSMUX_PROGRAMS=OFF -DCROSSMUX_SKIP_DIRS="${CROSSMUX_SKIP_DIRS-conformance;cli}" \
     >"$out/coverage-build.log" 2>&1 \
   && cmake --build "$covdir" -j"$build_jobs" >>"$out/coverage-build.log" 2>&1; then
  rm -f "$out"/cov-*.profraw
  objs=()
  for t in "${targets[@]}"; do
    [ -x "$covdir/fuzz/${t}_fuzzer" ] || continue  # a target the coverage build does not have
    LLVM_PROFILE_FILE="$out/cov-$t.profraw" "$covdir/fuzz/${t}_fuzzer" -runs=0 "$out/$t/merged" >/dev/null 2>&1
    objs+=(-object "$covdir/fuzz/${t}_fuzzer")
  done
  "$llvm_bin/llvm-profdata" merge -sparse "$out"/cov-*.profraw -o "$out/coverage.profdata"
  "$llvm_bin/llvm-cov" report "${objs[@]:1}" -instr-profile="$out/coverage.profdata" \
    -ignore-filename-regex='(test|fuzz|usr)/' >"$out/coverage.txt" 2>&1
  "$llvm_bin/llvm-cov" show "${objs[@]:1}" -instr-profile="$out/coverage.profdata" -format=html \
    -output-dir="$out/coverage-html" -ignore-filename-regex='(test|fuzz|usr)/' >/dev/null 2>&1
  cov_summary=$(grep -E '^TOTAL' "$out/coverage.txt" || echo "(no TOTAL line)")
fi

log "writing the report"
{
  echo "# crossmux fuzzing report"
  echo
  echo "Run: $(date -u +%FT%TZ), ${seconds}s per target, $per_target job(s) each, commit $(git rev-parse --short HEAD 2>/dev/null)"
  echo
  echo "| target | executions | exec/s (last) | cov | ft | merged corpus | unique crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  for t in "${targets[@]}"; do
    s=$(stat_line "$t"); execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$s")
    n=$(find "$out/$t/merged" -type f | wc -l); u=$(find "$out/$t/minimized" -type f | wc -l)
    echo "| $t | ${execs:-0} | $(field "$s" exec/s) | $(field "$s" cov) | $(field "$s" ft) | $n | $u |"
  done
  echo
  echo "## Coverage over time (edges, cov)"
  echo
  for t in "${targets[@]}"; do
    # About ten samples whatever the run length, and always the last one.
    rows=$(( $(wc -l <"$out/$t/coverage.tsv") - 1 ))
    echo "- $t: $(awk -v n="$rows" 'NR>1 { i = NR - 2; step = n > 10 ? int(n / 10) : 1;
      if (i % step == 0 || i == n - 1) printf "%ss:%s ", $1, $2 }' "$out/$t/coverage.tsv")"
  done
  echo
  echo "## Line coverage of the merged corpora"
  echo
  echo '```'
  echo "$cov_summary"
  echo '```'
  echo "Per-file: coverage.txt; annotated sources: coverage-html/index.html"
  echo
  echo "## Crashes (deduplicated by the top three frames of the symbolised stack)"
  echo
  if [ ${#crash_rows[@]} -eq 0 ]; then echo "None."; fi
  for r in "${crash_rows[@]}"; do
    IFS='|' read -r t key reason repro <<<"$r"
    echo "- **$t** \`$key\`: $reason"
    echo "  reproduce: \`$repro\`"
  done
} >"$out/report.md"
{
  echo "<!doctype html><meta charset=utf-8><title>crossmux fuzzing report</title>"
  echo "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}pre{background:#f6f6f6;padding:.5em}</style>"
  awk '
    /^# /{print "<h1>" substr($0,3) "</h1>"; next}
    /^## /{print "<h2>" substr($0,4) "</h2>"; next}
    /^\|---/{next}
    /^\| /{gsub(/^\| | \|$/,""); n=split($0,c," \\| "); printf "<tr>"; for(i=1;i<=n;i++) printf "<td>%s</td>", c[i]; print "</tr>"; next}
    /^```/{inpre=!inpre; print (inpre?"<pre>":"</pre>"); next}
    /^- /{print "<p>" substr($0,3) "</p>"; next}
    {print "<p>" $0 "</p>"}' "$out/report.md" | sed -E 's#(<tr>.*</tr>)#<table>\1</table>#'
} >"$out/report.html"
log "report: $out/report.md and $out/report.html"
[ ${#crash_rows[@]} -eq 0 ]
