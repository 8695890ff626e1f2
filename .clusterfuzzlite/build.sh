#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build of every crossmux fuzz target. Honours the builder image's
# CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE (libFuzzer, AFL++ or honggfuzz), SRC, WORK and OUT,
# and links the oracles build_oracles.sh built into $CROSSMUX_ORACLES (default
# /opt/crossmux-oracles) statically. Writes into $OUT, per target: <target>_fuzzer,
# <target>_fuzzer_seed_corpus.zip (corpus/<target>/ and corpus/regressions/<target>/),
# <target>_fuzzer.dict and <target>_fuzzer.options.
# Environment: CROSSMUX_JOBS caps build parallelism.
: "${OUT:?}" "${WORK:?}" "${LIB_FUZZING_ENGINE:?}"
src=${CROSSMUX_SRC:-${SRC:?}/crossmux}
oracles=${CROSSMUX_ORACLES:-/opt/crossmux-oracles}
. "$src/scripts/fuzz_common.sh"

tls=(-DOPENSSL_ROOT_DIR="$oracles" -DOPENSSL_USE_STATIC_LIBS=TRUE)
if [ ! -f "$oracles/lib/libssl.a" ]; then
  echo "build.sh: no OpenSSL in $oracles: mux_session is left out, the codec targets are built"
  tls=(-DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=TRUE)
fi
# Build type "OSSFuzz" has no flags of its own: optimisation and debug info come from the image's
# CFLAGS, and assertions stay on (no -DNDEBUG).
PKG_CONFIG_LIBDIR="$oracles/lib/pkgconfig" cmake -S "$src" -B "$WORK/crossmux" -G Ninja \
  -DCMAKE_BUILD_TYPE=OSSFuzz -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCROSSMUX_FUZZ=ON -DCROSSMUX_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DCROSSMUX_TESTS=OFF \
  -DCROSSMUX_BENCH=OFF -DCROSSMUX_PROGRAMS=OFF -DCROSSMUX_SKIP_DIRS="conformance;cli" \
  -DLLHTTP_LIBRARY="$oracles/lib/libllhttp.a" -DLLHTTP_INCLUDE_DIR="$oracles/include" \
  "${tls[@]}"
cmake --build "$WORK/crossmux" -j"${CROSSMUX_JOBS:-$(nproc)}"

for t in $(fuzz_targets_in "$WORK/crossmux/fuzz"); do
  bin=${t}_fuzzer
  cp "$WORK/crossmux/fuzz/$bin" "$OUT/"
  rm -f "$OUT/${bin}_seed_corpus.zip"
  for d in "$src/corpus/$t" "$src/corpus/regressions/$t"; do
    [ -d "$d" ] && (cd "$d" && zip -q -r "$OUT/${bin}_seed_corpus.zip" .)
  done
  cp "$(fuzz_dict "$t" "$WORK/dicts")" "$OUT/$bin.dict"
  # mux_session runs a whole proxy session per input: give it the time the CI script does.
  timeout=25; [ "$t" = mux_session ] && timeout=60
  printf '[libfuzzer]\ndict = %s.dict\ntimeout = %s\nrss_limit_mb = 2560\n' "$bin" "$timeout" \
    >"$OUT/$bin.options"
done
echo "build.sh: $(fuzz_targets_in "$WORK/crossmux/fuzz" | wc -l) fuzz targets in $OUT"
