#!/usr/bin/env bash
# Enforces the layering in design/ARCHITECTURE.md: which folders may include which, and that the
# production binary links no oracle (llhttp, nghttp2).
# Usage: check_deps.sh SOURCE_DIR [BUILD_DIR]    |    check_deps.sh --self-test SOURCE_DIR
set -uo pipefail

# rule: "<folder> <forbidden include prefix>..."  (include paths are relative to the source root)
RULES=(
  "codecs mux/ conformance/ fuzz/ cli/ bench/"
  "codecs/base codecs/message codecs/hpack codecs/h1 codecs/h2 codecs/reference"
  "codecs/message codecs/hpack codecs/h1 codecs/h2 codecs/reference"
  "codecs/hpack codecs/message codecs/h1 codecs/h2 codecs/reference"
  "codecs/h1 codecs/h2 codecs/hpack codecs/reference"
  "codecs/h2 codecs/h1 codecs/reference"
  "mux conformance/ fuzz/ cli/ codecs/reference"
  # mux/proxy (README.md there): the exchange and its lifecycle are the core, below the legs,
  # the pool and the worker; operations (access log, metrics, admin, health checks) may speak
  # through the codec adapters but never reach into exchanges, the pool or the worker.
  "mux/proxy/exchange mux/proxy/legs/ mux/proxy/pool/ mux/proxy/ops/ mux/proxy/worker/"
  "mux/proxy/ops mux/proxy/exchange/ mux/proxy/pool/ mux/proxy/worker/"
)

check_tree() {
  local src=$1 failed=0
  for rule in "${RULES[@]}"; do
    read -r folder forbidden <<<"$rule"
    [ -d "$src/$folder" ] || continue
    for prefix in $forbidden; do
      # Tests of a module may use the reference oracles; production sources may not.
      hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+[\"<]${prefix}" "$src/$folder" \
               --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' 2>/dev/null \
             | grep -v '/test/' || true)
      if [ -n "$hits" ]; then
        echo "check_deps: $folder must not include $prefix:"
        echo "$hits" | sed 's/^/  /'
        failed=1
      fi
    done
  done
  return $failed
}

check_binary() {
  local bin=$1
  [ -x "$bin" ] || { echo "check_deps: $bin not built in this configuration; link check skipped"; return 0; }
  local failed=0
  if ldd "$bin" 2>/dev/null | grep -q nghttp2; then
    echo "check_deps: $bin links libnghttp2 (an oracle, not for production)"; failed=1
  fi
  if nm -C "$bin" 2>/dev/null | grep -qE ' (llhttp_|nghttp2_)'; then
    echo "check_deps: $bin contains llhttp or nghttp2 symbols"; failed=1
  fi
  return $failed
}

if [ "${1:-}" = --self-test ]; then
  # Proves the check can fail: a forbidden include in a scratch copy of the layout must be caught.
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/codecs/h1" "$tmp/codecs/base"
  echo '#include "codecs/base/error.h"' >"$tmp/codecs/h1/ok.cc"
  check_tree "$tmp" >/dev/null || { echo "self-test: a clean tree was rejected"; exit 1; }
  echo '#include "mux/proxy/session.h"' >"$tmp/codecs/h1/bad.cc"
  if check_tree "$tmp" >/dev/null; then echo "self-test: forbidden include was not caught"; exit 1; fi
  rm "$tmp/codecs/h1/bad.cc"
  echo '#include "codecs/h2/frame.h"' >"$tmp/codecs/h1/bad2.cc"
  if check_tree "$tmp" >/dev/null; then echo "self-test: h1 -> h2 include was not caught"; exit 1; fi
  echo "self-test: ok"
  exit 0
fi

src=${1:?usage: check_deps.sh SOURCE_DIR [BUILD_DIR]}
build=${2:-}
status=0
check_tree "$src" || status=1
if [ -n "$build" ]; then check_binary "$build/cli/crossmux" || status=1; fi
[ $status -eq 0 ] && echo "check_deps: layering ok"
exit $status
