#!/usr/bin/env bash
# Runs fuzz/oss-fuzz/build.sh locally the way OSS-Fuzz does (clang, ASan, libFuzzer as
# LIB_FUZZING_ENGINE) into a temporary $OUT, then checks that every target with a seed corpus
# produced a runnable binary, a non-empty seed corpus zip and a dictionary.
# Usage: fuzz/oss-fuzz/test_build.sh   (CROSSMUX_JOBS=N caps the build, default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/crossmux-ossfuzz.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out" "$tmp/work"
command -v zip >/dev/null || { echo "test_build: zip is not installed" >&2; exit 2; }

CC=clang CXX=clang++ CFLAGS="-fsanitize=address,fuzzer-no-link" \
  CXXFLAGS="-fsanitize=address,fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
  OUT="$tmp/out" WORK="$tmp/work" SRC="$root" CROSSMUX_JOBS=${CROSSMUX_JOBS:-2} \
  bash "$root/fuzz/oss-fuzz/build.sh" >"$tmp/build.log" 2>&1 \
  || { tail -40 "$tmp/build.log"; echo "test_build: build.sh failed" >&2; exit 1; }

fail=0 checked=0
for dir in "$root"/corpus/*/; do
  t=$(basename "$dir")
  case $t in regressions|open) continue ;; esac
  bin="$tmp/out/${t}_fuzzer"
  # Corpus folders of other tools (no matching target in the build) are not ours to check.
  grep -rqs "crossmux_fuzz_target($t\b" "$root/fuzz/CMakeLists.txt" "$root"/fuzz/targets/*.cmake \
    || continue
  checked=$((checked + 1))
  if [ ! -x "$bin" ]; then echo "missing binary: $bin"; fail=1; continue; fi
  if [ -z "$(unzip -Z1 "$tmp/out/${t}_fuzzer_seed_corpus.zip" 2>/dev/null | head -1)" ]; then
    echo "missing or empty seed corpus zip for $t"; fail=1
  fi
  [ -s "$tmp/out/${t}_fuzzer.dict" ] || { echo "missing dictionary for $t"; fail=1; }
  if ! "$bin" -runs=16 "-dict=$tmp/out/${t}_fuzzer.dict" >"$tmp/$t.run" 2>&1; then
    echo "binary does not run: $bin"; tail -5 "$tmp/$t.run"; fail=1
  fi
done
[ $checked -gt 0 ] || { echo "test_build: no targets checked" >&2; exit 1; }
[ $fail -eq 0 ] || exit 1
echo "test_build: $checked targets built with binaries, seed corpus zips and dictionaries in OUT"
