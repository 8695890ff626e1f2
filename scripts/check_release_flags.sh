#!/usr/bin/env bash
# One Release build: configures the tree as packaging/Containerfile does (plain
# -DCMAKE_BUILD_TYPE=Release, no preset) and checks that it compiles with the release preset's
# CMAKE_CXX_FLAGS_RELEASE (CMakePresets.json), the flags the benchmarks in bench/ measured, not
# CMake's own Release default (-O3).
# Usage: check_release_flags.sh SOURCE_DIR
set -uo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

want=$(python3 -c 'import json, sys
presets = json.load(open(sys.argv[1]))["configurePresets"]
print(next(p for p in presets if p["name"] == "release")["cacheVariables"]["CMAKE_CXX_FLAGS_RELEASE"])' \
  "$src/CMakePresets.json") || { echo "no release preset flags in CMakePresets.json"; exit 1; }
cmake -S "$src" -B "$tmp" -DCMAKE_BUILD_TYPE=Release -DCROSSMUX_TESTS=OFF -DCROSSMUX_BENCH=OFF \
  -DCROSSMUX_PROGRAMS=OFF >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; exit 1; }
got=$(sed -n 's/^CMAKE_CXX_FLAGS_RELEASE:STRING=//p' "$tmp/CMakeCache.txt")
if [ "$got" != "$want" ]; then
  echo "a plain Release build compiles with '$got', the release preset with '$want'"
  exit 1
fi
echo "plain Release build and release preset both compile with '$want'"
