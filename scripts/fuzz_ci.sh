#!/usr/bin/env bash
# Short CI fuzzing: builds the fuzz preset and runs every fuzz target for N seconds (default 10)
# from its seed corpus, one target at a time. Exits 1 if any target crashed, timed out or ran out
# of memory, printing each reproducer path; the repository corpus is not modified.
#
# Usage: scripts/fuzz_ci.sh [SECONDS] [TARGET...]
#   CROSSMUX_FUZZ_BUILD_DIR  build directory to use (default build/fuzz, the fuzz preset's); when
#                            set, it must already be configured with CROSSMUX_FUZZ=ON.
#   CROSSMUX_FUZZ_OUT        where corpora and artifacts go (default: a new temporary directory)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shift $(( $# > 0 ? 1 : 0 ))
build=${CROSSMUX_FUZZ_BUILD_DIR:-build/fuzz}
out=${CROSSMUX_FUZZ_OUT:-$(mktemp -d /tmp/crossmux-fuzz-ci.XXXXXX)}
mkdir -p "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ -z "${CROSSMUX_FUZZ_BUILD_DIR:-}" ]; then
  cmake --preset fuzz >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 2; }
fi
cmake --build "$build" -j2 >>"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 2; }

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in "$build"/fuzz/*_fuzzer; do [ -x "$b" ] && targets+=("$(basename "${b%_fuzzer}")"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz_ci: no fuzz targets in $build/fuzz" >&2; exit 2; }

# The target's own dictionary, else its family's, else http.dict; mux_session speaks HTTP/1.1 and
# HTTP/2 on both legs, so it gets http.dict and h2.dict merged.
dict_for() {
  local t=$1
  if [ "$t" = mux_session ]; then
    cat fuzz/http.dict fuzz/h2.dict >"$out/$t.dict" && echo "-dict=$out/$t.dict"
    return
  fi
  for d in "fuzz/$t.dict" "fuzz/${t%%_*}.dict" fuzz/http.dict; do
    [ -f "$d" ] && { echo "-dict=$d"; return; }
  done
}

failed=()
printf '%-18s %10s %8s %6s %s\n' target runs exec/s cov result
for t in "${targets[@]}"; do
  mkdir -p "$out/$t/corpus" "$out/$t/artifacts"
  [ -d "corpus/$t" ] && cp -n corpus/"$t"/* "$out/$t/corpus/" 2>/dev/null
  # shellcheck disable=SC2046
  "$build/fuzz/${t}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/$t/artifacts/" $(dict_for "$t") \
    "$out/$t/corpus" >"$out/$t/fuzz.log" 2>&1
  rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$out/$t/fuzz.log")
  last=$(grep -aE '^#[0-9]+' "$out/$t/fuzz.log" | tail -1)
  eps=$(sed -nE 's/.*exec\/s: ([0-9]+).*/\1/p' <<<"$last")
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  if [ $rc -eq 0 ]; then
    result=ok
  else
    repro=$(find "$out/$t/artifacts" -type f | head -1)
    result="FAILED (exit $rc): ${repro:-no artifact}, log $out/$t/fuzz.log"
    failed+=("$t")
  fi
  printf '%-18s %10s %8s %6s %s\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "$result"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz_ci: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  echo "reproduce with: $build/fuzz/<target>_fuzzer <artifact>" >&2
  exit 1
fi
echo "fuzz_ci: all ${#targets[@]} targets clean for ${seconds}s each (output in $out)"
