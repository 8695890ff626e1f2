#!/bin/bash -eu
# OSS-Fuzz build of crossmux: the repository's own ClusterFuzzLite build script, so both build
# every fuzz target the same way (seed corpora, dictionaries and options included).
exec "$SRC/crossmux/.clusterfuzzlite/build.sh"
