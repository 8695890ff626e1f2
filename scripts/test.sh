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

# When the fuzz stage comes after the release one, the fuzz preset is built at the lowest CPU
# priority while the release tests run: they mostly wait on sockets and child processes (about a
# fifth of two cores), so the compiler takes the idle CPU and the tests keep theirs. It runs in
# its own process group, stopped if this script ends first.
fuzz_build_pid=
fuzz_build_log=
stop_fuzz_build() {
  [ -n "$fuzz_build_pid" ] && kill -- "-$fuzz_build_pid" 2>/dev/null
  return 0
}
trap stop_fuzz_build EXIT
fuzz_after() {  # whether the fuzz stage follows step number $1
  local i
  for ((i = $1 + 1; i < ${#steps[@]}; i++)); do [ "${steps[i]}" = fuzz ] && return 0; done
  return 1
}

for index in "${!steps[@]}"; do
  step=${steps[index]}
  case $step in
    release|asan)
      echo "== $step: configure, build, test ($(date -u +%H:%M:%S) UTC)"
      cmake --preset "$step" >/dev/null
      cmake --build --preset "$step" -j "$jobs"
      if [ "$step" = release ] && [ -z "$fuzz_build_pid" ] && fuzz_after "$index"; then
        fuzz_build_log=$(mktemp /tmp/crossmux-fuzz-build.XXXXXX)
        setsid nice -n 19 bash -c 'cmake --preset fuzz && cmake --build --preset fuzz -j "$1"' \
          _ "$jobs" >"$fuzz_build_log" 2>&1 &
        fuzz_build_pid=$!
      fi
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
      echo "== fuzz: build the fuzz preset and fuzz every target (~8 minutes, two at a time; $(date -u +%H:%M:%S) UTC)"
      if [ -n "$fuzz_build_pid" ]; then
        # Built beside the release tests: wait for it (fuzz_ci.sh's own build is then a no-op).
        if ! wait "$fuzz_build_pid"; then
          fuzz_build_pid=
          echo "fuzz preset build failed:" >&2
          tail -40 "$fuzz_build_log" >&2
          exit 1
        fi
        fuzz_build_pid=
        export CROSSMUX_FUZZ_BUILD_DIR=build/fuzz
      fi
      # CROSSMUX_FUZZ_SECONDS gives every target that many seconds instead of its CI share.
      bash scripts/fuzz_ci.sh ${CROSSMUX_FUZZ_SECONDS:+"$CROSSMUX_FUZZ_SECONDS"}
      ;;
    *) echo "test.sh: unknown step $step (release, asan or fuzz)" >&2; exit 2 ;;
  esac
done
echo "== every step passed ($(date -u +%H:%M:%S) UTC, $((SECONDS / 60)) min $((SECONDS % 60)) s)"
