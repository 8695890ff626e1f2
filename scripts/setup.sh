#!/usr/bin/env bash
# Installs every Debian 12 package crossmux needs to build, test, fuzz and benchmark. Idempotent.
set -euo pipefail

die() { echo "setup: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it calls apt-get install)"
[ -r /etc/os-release ] || die "cannot read /etc/os-release: not a Debian system"
. /etc/os-release
[ "${ID:-}" = debian ] || die "this script supports Debian 12 only (found ID=${ID:-unknown})"
[ "${VERSION_ID:-}" = 12 ] || echo "setup: warning: tested on Debian 12, found ${VERSION_ID:-?}" >&2

PACKAGES=(
  # build
  cmake ninja-build g++ clang clang-format git pkg-config
  # libraries
  libnghttp2-dev libssl-dev libcli11-dev libtomlplusplus-dev libfmt-dev liburing-dev libjemalloc-dev
  # oracles and peers: nghttp2's library and tools, llhttp's C sources, curl
  nghttp2-client nghttp2-server nghttp2-proxy node-llhttp curl openssl zip python3
  # tests and benchmarks
  libgtest-dev libgmock-dev librapidcheck-dev libbenchmark-dev
  # packaging tests: man pages rendered and found (groff, man, col), the systemd unit verified
  groff-base man-db bsdextrautils systemd
  # fuzzing (the fuzz preset's clang 19): libFuzzer, sanitizer runtimes,
  # llvm-cov/llvm-profdata/llvm-symbolizer; chromium (and a font) renders the fuzzing report in a
  # ctest
  clang-19 libfuzzer-19-dev libclang-rt-19-dev llvm-19 chromium fonts-dejavu-core
  # unpacks the seed corpus zips of the OSS-Fuzz build tested by hand (scripts/fuzz_ossfuzz_check.sh)
  unzip
  # peer benchmark only
  haproxy nginx wrk
  # packets per request by leg (bench/packets.sh)
  tcpdump
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || die "apt-get update failed (no access to the Debian archive?)"
for p in "${missing[@]}"; do
  apt-cache show "$p" >/dev/null 2>&1 || die "package $p is not available from the configured archive"
done
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || die "apt-get install failed for: ${missing[*]}"
# The packaged servers must not keep ports busy: tests and benchmarks start their own.
for svc in haproxy nginx nghttpx; do
  systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
done
echo "setup: done"
