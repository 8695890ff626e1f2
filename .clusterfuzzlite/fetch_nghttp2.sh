#!/bin/bash -eu
# Unpacks Debian 12's nghttp2 source (the 1.52.0 release plus Debian's security patches: rapid
# reset CVE-2023-44487, CONTINUATION flood CVE-2024-28182, CVE-2026-27135) into DIR/nghttp2-1.52.0
# and prints that path. The h2_diff oracle must be the library the local fuzz preset links
# (Debian's libnghttp2): plain 1.52.0 accepts an unbounded CONTINUATION flood our codec refuses,
# which h2_diff reports as a difference on its seed corpus.
# Usage: fetch_nghttp2.sh DIR
dir=$1
pool=http://deb.debian.org
orig=$pool/debian/pool/main/n/nghttp2/nghttp2_1.52.0.orig.tar.gz
debian=$pool/debian-security/pool/updates/main/n/nghttp2/nghttp2_1.52.0-1+deb12u3.debian.tar.xz
tree=$dir/nghttp2-1.52.0
if [ ! -f "$tree/.debian-patched" ]; then
  rm -rf "$tree" && mkdir -p "$dir"
  curl -fsS --max-time 300 "$orig" | tar -xz -C "$dir"
  curl -fsS --max-time 300 "$debian" | tar -xJ -C "$tree"
  while read -r p _; do
    case $p in ''|'#'*) continue ;; esac
    patch -s -p1 -d "$tree" <"$tree/debian/patches/$p" >&2
  done <"$tree/debian/patches/series"
  touch "$tree/.debian-patched"
fi
echo "$tree"
