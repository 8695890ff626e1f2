#!/bin/bash -eu
# Builds what the crossmux fuzz targets link besides crossmux itself, from source trees, as static
# libraries under PREFIX: nghttp2's library (the HTTP/2 oracle), llhttp (the HTTP/1.1 oracle) and
# OpenSSL 3 (libssl, libcrypto: only mux_session needs them, through the proxy's TLS code). Runs in
# the OSS-Fuzz/ClusterFuzzLite builder image (Dockerfile) and, to test build.sh outside Docker,
# on a Debian host (scripts/fuzz_ossfuzz_check.sh).
#
# Usage: build_oracles.sh NGHTTP2_SRC LLHTTP_SRC OPENSSL_SRC PREFIX
#   NGHTTP2_SRC  an nghttp2 source tree (git tag or release tarball: CMakeLists.txt, lib/)
#   LLHTTP_SRC   a llhttp release tree (src/api.c, src/http.c, src/llhttp.c, include/llhttp.h)
#   OPENSSL_SRC  an OpenSSL 3 source tree, or "none" to build without TLS (then build.sh leaves
#                mux_session out and every codec target still builds)
# Built with the image's plain CC/CFLAGS, without sanitizer or coverage instrumentation, as the
# Debian packages the local fuzz preset links: fuzzing feedback stays on crossmux's own code.
nghttp2=$1 llhttp=$2 openssl=$3 prefix=$4
jobs=${CROSSMUX_JOBS:-$(nproc)}
cc=${CC:-clang}
mkdir -p "$prefix/lib" "$prefix/include"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# nghttp2: the library only, static, position-independent (the fuzzers are PIE).
cmake -S "$nghttp2" -B "$work/nghttp2" -G Ninja -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
  -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF -DENABLE_DOC=OFF \
  -DENABLE_FAILMALLOC=OFF -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null
cmake --build "$work/nghttp2" -j"$jobs" >/dev/null
cmake --install "$work/nghttp2" >/dev/null
[ -f "$prefix/lib/libnghttp2.a" ] || { echo "build_oracles: no libnghttp2.a" >&2; exit 1; }

# llhttp: its three generated C files, as in llhttp's own static build.
mkdir -p "$work/llhttp"
for f in api http llhttp; do
  "$cc" ${CFLAGS:-} -O2 -fPIC -w -I"$llhttp/include" -c "$llhttp/src/$f.c" -o "$work/llhttp/$f.o"
done
ar rcs "$prefix/lib/libllhttp.a" "$work"/llhttp/*.o
cp "$llhttp/include/llhttp.h" "$prefix/include/"

# OpenSSL 3: libraries and headers only, no shared objects, no engines or loadable modules.
if [ "$openssl" != none ]; then
  (cd "$openssl" && ./Configure linux-x86_64 no-shared no-tests no-engine no-dso \
     no-legacy no-module CC="$cc" --prefix="$prefix" --libdir=lib >"$work/openssl.log" \
     && make -j"$jobs" build_libs >>"$work/openssl.log" && make install_dev >>"$work/openssl.log") \
    || { tail -30 "$work/openssl.log" >&2; exit 1; }
  [ -f "$prefix/lib/libssl.a" ] || { echo "build_oracles: no libssl.a" >&2; exit 1; }
fi
echo "build_oracles: static nghttp2, llhttp$([ "$openssl" != none ] && echo ", OpenSSL") in $prefix"
