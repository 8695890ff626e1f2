#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build: honours $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE $OUT
# (and $SRC/$WORK when set; CROSSMUX_JOBS caps build parallelism, CROSSMUX_SKIP_DIRS is passed to
# CMake). Produces one binary per target in $OUT, each with its seed corpus
# zip and dictionary.
src=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -d "$src/crossmux" ] && src=$src/crossmux
work=${WORK:-$(mktemp -d)}
: "${OUT:?OUT must be set}" "${LIB_FUZZING_ENGINE:?LIB_FUZZING_ENGINE must be set}"

cmake -S "$src" -B "$work/crossmux-build" -G Ninja \
  -DCMAKE_C_COMPILER="${CC:-clang}" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DCMAKE_C_FLAGS="${CFLAGS:-}" -DCMAKE_CXX_FLAGS="${CXXFLAGS:-}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCROSSMUX_FUZZ=ON -DCROSSMUX_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DCROSSMUX_TESTS=OFF \
  -DCROSSMUX_BENCH=OFF -DCROSSMUX_PROGRAMS=OFF -DCROSSMUX_SKIP_DIRS="${CROSSMUX_SKIP_DIRS:-}"
cmake --build "$work/crossmux-build" -j"${CROSSMUX_JOBS:-$(nproc)}"

for bin in "$work/crossmux-build"/fuzz/*_fuzzer; do
  name=$(basename "$bin")
  target=${name%_fuzzer}
  cp "$bin" "$OUT/"
  if [ -d "$src/corpus/$target" ]; then
    (cd "$src/corpus/$target" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
  fi
  if [ "$target" = mux_session ]; then  # both protocols on both legs: both dictionaries
    cat "$src/fuzz/http.dict" "$src/fuzz/h2.dict" >"$OUT/$name.dict"
    continue
  fi
  for d in "$src/fuzz/$target.dict" "$src/fuzz/${target%%_*}.dict" "$src/fuzz/http.dict"; do
    if [ -f "$d" ]; then cp "$d" "$OUT/$name.dict"; break; fi
  done
done
