#!/usr/bin/env bash
# Tests the OSS-Fuzz / ClusterFuzzLite build (.clusterfuzzlite/) as far as a machine without a
# Docker engine allows: builds the oracles from source into a clean prefix with
# .clusterfuzzlite/build_oracles.sh, runs .clusterfuzzlite/build.sh with the environment the
# OSS-Fuzz builder image sets (clang, ASan + libFuzzer flags, SRC/WORK/OUT), then checks
# every binary in OUT: linked against no shared library of the project, its oracles or OpenSSL
# (ldd), only the codec-free targets contain TLS code (nm), its seed corpus zip, dictionary and
# options are there, and it fuzzes for a few seconds from its seed corpus without failing.
# With -n the prefix gets no OpenSSL: then mux_session must be left out and the rest still built.
# One difference from the image: the C++ library. The image's clang has a libFuzzer built against
# its own private libc++ and links the targets with -stdlib=libc++; Debian's libFuzzer runtime is
# built against libstdc++, so here the targets use libstdc++, linked statically as the image's
# libc++ is (a libc++ target cannot link Debian's libFuzzer).
#
# Usage: scripts/fuzz_ossfuzz_check.sh [-n] [-r] [-s SECONDS] [-k DIR]
#   -n  build without OpenSSL
#   -r  reuse the oracles a previous run built in DIR/oracles (with -k DIR)
#   -s  seconds each binary fuzzes (default 5)
#   -k  keep the work tree in DIR (default: a temporary directory, removed at the end)
# Environment: CROSSMUX_CLANG (default clang-19), CROSSMUX_JOBS (default 2);
# NGHTTP2_SRC, LLHTTP_SRC: source trees to use instead of Debian's (nghttp2 1.52.0 with Debian's
# patches, .clusterfuzzlite/fetch_nghttp2.sh; llhttp's generated C sources from node-llhttp);
# OPENSSL_SRC: an OpenSSL 3 source tree for build_oracles.sh to build as the image does (slow:
# ~1,000 files); without it the prefix gets Debian's static libssl.a/libcrypto.a and headers.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
no_tls=0 reuse=0 seconds=5 keep=""
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
case ${1:-} in --help) usage; exit 0 ;; esac
while getopts "nrs:k:h" opt; do
  case $opt in
    n) no_tls=1 ;; r) reuse=1 ;; s) seconds=$OPTARG ;; k) keep=$OPTARG ;;
    h) usage; exit 0 ;; *) usage >&2; exit 2 ;;
  esac
done
clang=${CROSSMUX_CLANG:-clang-19}
export CROSSMUX_JOBS=${CROSSMUX_JOBS:-2}
if [ -n "$keep" ]; then work=$keep; mkdir -p "$work"; else
  work=$(mktemp -d /tmp/crossmux-ossfuzz.XXXXXX); trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# --- sources: Debian's release tarballs unless given
fetch() {  # fetch URL DIR: unpacks the tarball at URL into $work/src, prints the tree's path
  local url=$1 dir=$2
  if [ ! -d "$work/src/$dir" ]; then
    mkdir -p "$work/src"
    curl -fsS --max-time 300 "$url" | tar -xz -C "$work/src"
  fi
  echo "$work/src/$dir"
}
nghttp2=${NGHTTP2_SRC:-$(bash .clusterfuzzlite/fetch_nghttp2.sh "$work/src/debian")}
openssl=${OPENSSL_SRC:-none}
if [ -z "${LLHTTP_SRC:-}" ]; then  # the release branch's layout, from Debian's generated sources
  LLHTTP_SRC=$work/src/llhttp
  mkdir -p "$LLHTTP_SRC/src" "$LLHTTP_SRC/include"
  cp /usr/share/llhttp/*.c "$LLHTTP_SRC/src/" && cp /usr/share/include/llhttp/llhttp.h "$LLHTTP_SRC/include/"
fi
[ $no_tls -eq 1 ] && openssl=none

# --- what the OSS-Fuzz builder image sets (base-clang + compile for address/libfuzzer)
export CC=$clang CXX=${clang/clang/clang++}
base="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
export CFLAGS="$base" CXXFLAGS="$base"
if [ $reuse -eq 1 ] && [ -f "$work/oracles/lib/libnghttp2.a" ]; then
  log "reusing the oracles in $work/oracles"
else
  log "building the oracles into a clean prefix ($work/oracles)"
  rm -rf "$work/oracles"
  bash .clusterfuzzlite/build_oracles.sh "$nghttp2" "$LLHTTP_SRC" "$openssl" "$work/oracles"
fi
if [ $no_tls -eq 1 ] || [ -z "${OPENSSL_SRC:-}" ]; then
  rm -rf "$work/oracles/lib/libssl.a" "$work/oracles/lib/libcrypto.a" "$work/oracles/include/openssl"
fi
if [ $no_tls -eq 0 ] && [ -z "${OPENSSL_SRC:-}" ]; then  # Debian's static OpenSSL 3
  cp /usr/lib/x86_64-linux-gnu/libssl.a /usr/lib/x86_64-linux-gnu/libcrypto.a "$work/oracles/lib/"
  cp -r /usr/include/openssl "$work/oracles/include/"
  cp /usr/include/x86_64-linux-gnu/openssl/* "$work/oracles/include/openssl/"
fi

san="-fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CFLAGS="$base $san" CXXFLAGS="$base $san"
# The image links its libc++ statically, so the runner needs no C++ library: likewise
# libstdc++ here (see the top of this file).
export LDFLAGS="-static-libstdc++"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer SANITIZER=address FUZZING_ENGINE=libfuzzer \
  ARCHITECTURE=x86_64 FUZZING_LANGUAGE=c++
mkdir -p "$work/SRC" "$work/WORK" "$work/OUT"
rm -rf "$work/WORK"/* "$work/OUT"/*
# A snapshot of the tracked files, as the image's COPY or clone: the build reads no build tree of
# ours, and the worktree may change while it runs (a rebase mid-build once mixed two versions of
# codecs/h2/connection.h into one binary).
rm -rf "$work/SRC/crossmux" && mkdir -p "$work/SRC/crossmux"
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work/SRC/crossmux"
export SRC=$work/SRC WORK=$work/WORK OUT=$work/OUT CROSSMUX_ORACLES=$work/oracles
log "running .clusterfuzzlite/build.sh"
bash .clusterfuzzlite/build.sh >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }

# --- the checks
mapfile -t bins < <(find "$OUT" -maxdepth 1 -name '*_fuzzer' -type f -executable | sort)
expected=$(grep -ho 'crossmux_fuzz_target([a-z0-9_]*' fuzz/targets/*.cmake | cut -d'(' -f2 | sort)
[ $no_tls -eq 1 ] && expected=$(grep -vx mux_session <<<"$expected")
built=$(for b in "${bins[@]}"; do basename "${b%_fuzzer}"; done)
fail=0
[ "$built" = "$expected" ] || { echo "FAIL: built [$(echo $built)], expected [$(echo $expected)]"; fail=1; }
allowed='^(linux-vdso|ld-linux-x86-64|libc|libm|libpthread|libdl|librt|libresolv|libgcc_s)\.so'
printf '%-28s %-44s %-9s %s\n' binary "shared libraries (ldd)" TLS "fuzzing ${seconds}s"
for b in "${bins[@]}"; do
  t=$(basename "${b%_fuzzer}")
  libs=$(ldd "$b" | awk '{print $1}' | sed 's|.*/||' | sort -u | tr '\n' ' ')
  bad=$(tr ' ' '\n' <<<"$libs" | grep -v '^$' | grep -vE "$allowed" || true)
  [ -z "$bad" ] || { echo "FAIL: $t links shared libraries it must not: $bad"; fail=1; }
  ssl=$(nm "$b" 2>/dev/null | grep -c ' T SSL_CTX_new$' || true)
  if [ "$t" = mux_session ]; then
    [ "$ssl" -eq 1 ] || { echo "FAIL: mux_session has no static OpenSSL"; fail=1; }
  else
    [ "$ssl" -eq 0 ] || { echo "FAIL: $t contains OpenSSL but needs no TLS"; fail=1; }
  fi
  for f in "${b}_seed_corpus.zip" "$b.dict" "$b.options"; do
    [ -s "$f" ] || { echo "FAIL: $t: $(basename "$f") missing or empty"; fail=1; }
  done
  seeds=$work/seeds/$t
  rm -rf "$seeds" && mkdir -p "$seeds" && unzip -q -o "${b}_seed_corpus.zip" -d "$seeds"
  rc=0
  (cd "$OUT" && "$b" -max_total_time="$seconds" -dict="$b.dict" -print_final_stats=1 \
     "$seeds" >"$work/$t.run" 2>&1) || rc=$?
  runs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$work/$t.run")
  [ $rc -eq 0 ] && [ "${runs:-0}" -gt 0 ] \
    || { echo "FAIL: $t: exit $rc after ${runs:-0} runs (log $work/$t.run)"; fail=1; }
  printf '%-28s %-44s %-9s %s\n' "$(basename "$b")" "${libs:0:44}" \
    "$([ "$ssl" -eq 1 ] && echo static || echo none)" "exit $rc, ${runs:-0} runs"
done
[ $fail -eq 0 ] || { echo "fuzz_ossfuzz_check: FAILED (work tree $work)"; exit 1; }
echo "fuzz_ossfuzz_check: ${#bins[@]} targets built by .clusterfuzzlite/build.sh, statically linked, each fuzzed ${seconds}s"
