#!/usr/bin/env bash
# Line coverage of fuzzing corpora with llvm-cov: builds a coverage-instrumented tree of the named
# fuzz targets only, runs each target once over OUT/<target>/merged (else corpus/<target>/), and
# writes OUT/coverage/<target>.json and OUT/coverage/all.json (llvm-cov export -summary-only),
# OUT/coverage.txt (per-file table) and OUT/coverage-html/ (annotated sources).
#
# Usage: scripts/fuzz_coverage.sh OUT COMPILER TARGET...
#   COMPILER  the C++ compiler of the fuzz build (clang++-19, clang++): the coverage build uses the
#             same, and the llvm-profdata/llvm-cov next to it
# Environment: CROSSMUX_FUZZ_COV_DIR the coverage build directory (default build/fuzz-cov),
# CROSSMUX_JOBS caps build parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ $# -ge 3 ] || { usage >&2; exit 2; }
out=$1 cxx=$2
shift 2
targets=("$@")
cc=${cxx/clang++/clang}
llvm_bin=$(dirname "$(readlink -f "$(command -v "$cxx")")")
covdir=${CROSSMUX_FUZZ_COV_DIR:-$root/build/fuzz-cov}

cmake -S . -B "$covdir" -G Ninja -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=Debug -DCROSSMUX_FUZZ=ON -DCROSSMUX_COVERAGE=ON -DCROSSMUX_TESTS=OFF \
  -DCROSSMUX_BENCH=OFF -DCROSSMUX_PROGRAMS=OFF -DCROSSMUX_SKIP_DIRS="conformance;cli"
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "${t}_fuzzer"); done
cmake --build "$covdir" -j"${CROSSMUX_JOBS:-$(nproc)}" "${build_targets[@]}"

mkdir -p "$out/coverage"
rm -f "$out"/coverage/*.profraw "$out"/coverage/*.profdata
# Tests, fuzz harnesses and system headers are not what the corpora are meant to cover. Ninja
# names sources relative to the build directory, so a harness is ROOT/build/x/../../fuzz/...
ignore="^/usr/|/test/|(^${root//./\\.}|/\\.\\.)/fuzz/"
objs=()
for t in "${targets[@]}"; do
  bin=$covdir/fuzz/${t}_fuzzer
  inputs=$out/$t/merged
  [ -d "$inputs" ] || inputs=corpus/$t
  LLVM_PROFILE_FILE="$out/coverage/$t.profraw" "$bin" -runs=0 "$inputs" >/dev/null 2>&1
  "$llvm_bin/llvm-profdata" merge -sparse "$out/coverage/$t.profraw" -o "$out/coverage/$t.profdata"
  "$llvm_bin/llvm-cov" export -summary-only "$bin" -instr-profile="$out/coverage/$t.profdata" \
    -ignore-filename-regex="$ignore" >"$out/coverage/$t.json"
  objs+=(-object "$bin")
done
"$llvm_bin/llvm-profdata" merge -sparse "$out"/coverage/*.profraw -o "$out/coverage/all.profdata"
"$llvm_bin/llvm-cov" export -summary-only "${objs[@]}" -instr-profile="$out/coverage/all.profdata" \
  -ignore-filename-regex="$ignore" >"$out/coverage/all.json"
"$llvm_bin/llvm-cov" report "${objs[@]}" -instr-profile="$out/coverage/all.profdata" \
  -ignore-filename-regex="$ignore" >"$out/coverage.txt"
rm -rf "$out/coverage-html"
"$llvm_bin/llvm-cov" show "${objs[@]}" -instr-profile="$out/coverage/all.profdata" -format=html \
  -output-dir="$out/coverage-html" -ignore-filename-regex="$ignore" >/dev/null
rm -f "$out"/coverage/*.profraw
echo "coverage: $(grep -E '^TOTAL' "$out/coverage.txt")"
