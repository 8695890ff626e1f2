#!/usr/bin/env bash
# Builds crossmux and runs every test: the release build (unit, property, interop, end-to-end and
# conformance tests, fuzz corpus replay) on the default event loop, the ASan+UBSan build (unit
# tests) on epoll, and a libFuzzer run of every fuzz target (clang, ASan+UBSan, assertions on;
# scripts/fuzz_ci.sh), which first replays every corpus and regression input under the sanitizers.
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
      # A failing test prints its output (CI logs are all there is); a test that fails is run
      # once more, so a loaded 2-core machine's timing cannot alone turn CI red: a broken rule
      # fails both runs.
      # The release suite runs on the default event loop (io_uring where this machine allows it),
      # the sanitized one on epoll: both loops get the whole suite (mux/net/README.md).
      loop=
      [ "$step" = asan ] && loop=epoll
      env ${loop:+CROSSMUX_EVENT_LOOP=$loop} \
        ctest --preset "$step" -j "$jobs" --output-on-failure --repeat until-pass:2
      ;;
    fuzz)
      echo "== fuzz: build the fuzz preset and fuzz every target (~8 minutes, two at a time)"
      # CROSSMUX_FUZZ_SECONDS gives every target that many seconds instead of its CI share.
      bash scripts/fuzz_ci.sh ${CROSSMUX_FUZZ_SECONDS:+"$CROSSMUX_FUZZ_SECONDS"}
      ;;
    *) echo "test.sh: unknown step $step (release, asan or fuzz)" >&2; exit 2 ;;
  esac
done
