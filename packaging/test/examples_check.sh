#!/usr/bin/env bash
# Every example configuration in docs/examples passes `crossmux proxy --check` (every check
# startup runs): each is copied to a scratch folder with its listen and admin ports moved to free
# ones (an example's fixed port may be busy on a test machine) and, for the TLS example, the
# certificates it names generated there; nothing else is changed.
# Usage: examples_check.sh CROSSMUX_BINARY EXAMPLES_DIR
crossmux=$(realpath "$1")
examples=$(realpath "$2")
source "$(dirname "$0")/../../mux/proxy/test/e2e_lib.sh"
cd "$work" || exit 1

count=0
for f in "$examples"/*.toml; do
  name=$(basename "$f" .toml)
  mkdir -p "$name" && cp "$f" "$name/"
  # Every "address = " and "admin = " port moved to a free one (one python start for them all:
  # it is slow on a loaded machine); backends stay as written.
  ports=($(sed -nE 's/^(address|admin) = "[^"]*:([0-9]+)"/\2/p' "$f" | sort -u))
  free=($(python3 -c 'import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); held.append(s); print(s.getsockname()[1])' "${#ports[@]}"))
  for i in "${!ports[@]}"; do
    sed -i -E "s/^((address|admin) = \"[^\"]*):${ports[$i]}\"/\1:${free[$i]}\"/" "$name/$name.toml"
  done
  # The certificates the example names, for a host name taken from the file name.
  while read -r pem; do
    key=${pem%.pem}.key
    host=$(basename "${pem%.pem}")
    mkdir -p "$name/$(dirname "$pem")"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -keyout "$name/$key" -out "$name/$pem" -subj "/CN=$host" >/dev/null 2>&1 || fail "openssl"
  done < <(sed -nE 's/^cert = "([^"]+)"/\1/p' "$f")
  out=$("$crossmux" proxy --check -c "$name/$name.toml" 2>&1) \
    || fail "docs/examples/$name.toml: $out"
  [ "$out" = "configuration ok" ] || fail "docs/examples/$name.toml: $out"
  count=$((count + 1))
done
[ "$count" -ge 3 ] || fail "only $count examples in $examples"
echo "$count examples pass --check"
