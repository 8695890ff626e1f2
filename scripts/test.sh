#!/usr/bin/env bash
# Builds crossmux and runs every test: the release build (unit, property, interop, end-to-end and
# conformance tests, fuzz corpus replay), the ASan+UBSan build (unit tests and corpus replay), and
# a short libFuzzer run of every fuzz target (clang, ASan+UBSan).
# Usage: scripts/test.sh [release|asan|fuzz]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(release fuzz asan)
jobs=$(nproc 2>/dev/null || echo 2)

for step in "${steps[@]}"; do
  case $step in
    release|asan)
      echo "== $step: configure, build, test"
      cmake --preset "$step" >/dev/null
      cmake --build --preset "$step" -j "$jobs"
      ctest --preset "$step" -j "$jobs"
      ;;
    fuzz)
      echo "== fuzz: build the fuzz preset and run every target for a few seconds"
      bash scripts/fuzz_ci.sh "${CROSSMUX_FUZZ_SECONDS:-5}"
      ;;
    *) echo "test.sh: unknown step $step (release, asan or fuzz)" >&2; exit 2 ;;
  esac
done
