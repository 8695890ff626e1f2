#!/usr/bin/env bash
# End to end: what `cmake --install` puts on a system, used as a system would use it.
#  1. The files: binary, man pages, docs, examples, license, systemd unit; the binary runs and
#     says the project's version.
#  2. Man pages render without a groff warning, `man` finds them on MANPATH, and each lists every
#     option and word its command's --help has (subcommands' too).
#  3. The systemd unit passes `systemd-analyze verify` (binary path, man page); its ExecStart and
#     ExecReload, run as written (config and runtime paths moved to a scratch folder) under a fake
#     $NOTIFY_SOCKET: READY=1, a served request, RELOADING=1 + READY=1 and exit 0 for a good
#     file, exit 1 with the reason for a bad one, STOPPING=1 and exit 0 on SIGTERM.
#  4. The container definition's runtime packages hold every library the binary links, and its
#     build packages are ones scripts/setup.sh installs.
# Usage: install_e2e.sh BUILD_DIR SOURCE_DIR
build=$(realpath "$1")
src=$(realpath "$2")
source "$src/mux/proxy/test/e2e_lib.sh"
cd "$work" || exit 1
prefix=$work/prefix

# --- 1. The installed files.
cmake --install "$build" --prefix "$prefix" >install.log 2>&1 || fail "cmake --install: $(tail -5 install.log)"
bin=$prefix/bin/crossmux
pages="crossmux crossmux-proxy crossmux-conform crossmux-fuzz crossmux-origin"
for f in bin/crossmux share/doc/crossmux/LICENSE share/doc/crossmux/README.md \
  share/doc/crossmux/configuration.md share/doc/crossmux/examples/minimal.toml \
  share/doc/crossmux/examples/container.toml share/doc/crossmux/examples/tls-edge.toml \
  lib/systemd/system/crossmux.service $(for p in $pages; do echo "share/man/man1/$p.1"; done); do
  [ -s "$prefix/$f" ] || fail "not installed: $f"
done
[ -x "$bin" ] || fail "bin/crossmux is not executable"
grep -q "Apache License" "$prefix/share/doc/crossmux/LICENSE" || fail "LICENSE is not Apache-2.0"
version=$(sed -nE 's/^project\(crossmux VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
[ "$("$bin" --version)" = "crossmux $version" ] || fail "installed --version: $("$bin" --version)"
echo "1. installed: binary ($version), 5 man pages, docs, 3 examples, license, unit"

# --- 2. Man pages.
for p in $pages; do
  warnings=$(groff -man -Tutf8 -ww -z "$prefix/share/man/man1/$p.1" 2>&1)
  [ -z "$warnings" ] || fail "$p.1: $warnings"
  [ "$(MANPATH="$prefix/share/man" man -w "$p")" = "$prefix/share/man/man1/$p.1" ] \
    || fail "man does not find $p on MANPATH"
done
# options_of WORDS: every long option --help lists.
options_of() { "$bin" $1 --help | grep -oE '^  (-[a-zA-Z],)?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'; }
for cmd in "proxy" "origin" "conform" "conform h1" "conform h2" "conform translate" "fuzz h1" "fuzz h2"; do
  page=crossmux-${cmd%% *}
  text=$(MANPATH="$prefix/share/man" MANWIDTH=200 man "$page" 2>/dev/null | col -b)
  [ -n "$text" ] || fail "man $page is empty"
  n=0
  for o in $(options_of "$cmd"); do
    grep -qF -- "$o" <<<"$text" || fail "man $page lacks $o of 'crossmux $cmd --help'"
    n=$((n + 1))
  done
  [ "$n" -ge 2 ] || fail "'crossmux $cmd --help' lists $n options"
  # And every word of the help text (descriptions, continued lines, tables).
  # (The "Usage:" line, holding the binary's path here, is the synopsis; headings are upper case.)
  missing=$(comm -23 <("$bin" $cmd --help | grep -v '^Usage:' | grep -oE '[A-Za-z]{4,}' | tr A-Z a-z | sort -u) \
    <(grep -oE '[A-Za-z]{4,}' <<<"$text" | tr A-Z a-z | sort -u) | tr '\n' ' ')
  [ -z "$missing" ] || fail "man $page lacks words of 'crossmux $cmd --help': $missing"
  [ "$cmd" = "${cmd%% *}" ] || grep -qF "crossmux $cmd" <<<"$text" || fail "man $page has no section for $cmd"
done
echo "2. man pages render cleanly, are found on MANPATH, list every option and word of --help"

# --- 3. The systemd unit.
unit=$prefix/lib/systemd/system/crossmux.service
grep -qx "ExecStart=$bin proxy .*" "$unit" || fail "ExecStart does not run the installed binary: $(grep ExecStart "$unit")"
grep -qx "Type=notify" "$unit" || fail "the unit is not Type=notify"
if command -v systemd-analyze >/dev/null; then
  MANPATH="$prefix/share/man" systemd-analyze verify "$unit" >verify.log 2>&1 \
    || fail "systemd-analyze verify: $(cat verify.log)"
else
  fail "systemd-analyze missing (scripts/setup.sh installs systemd)"
fi
# The unit's commands with /etc/crossmux and /run/crossmux moved here.
command_of() {
  sed -nE "s/^$1=//p" "$unit" | sed -e "s|/etc/crossmux/|$work/etc/|g" -e "s|/run/crossmux/|$work/run/|g"
}
mkdir -p etc run
port=$(free_port); admin=$(free_port)
sed -e "s/0.0.0.0:8080/127.0.0.1:$port/" -e "s/0.0.0.0:9901/127.0.0.1:$admin/" \
  "$prefix/share/doc/crossmux/examples/container.toml" >etc/crossmux.toml
python3 - "$work/notify.sock" "$work/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "w") as out:
    print("BOUND", file=out, flush=True)
    while True:
        print(s.recv(4096).decode().replace("\n", " "), file=out, flush=True)
PY
pids+=($!)
wait_for notify.out BOUND 5 || fail "fake notify socket"
read -ra start <<<"$(command_of ExecStart)"
NOTIFY_SOCKET="$work/notify.sock" "${start[@]}" >unit.log 2>&1 &
main=$!; pids+=($main)
wait_for notify.out "^READY=1" 10 || fail "ExecStart sent no READY=1: $(cat notify.out)"
[ "$(cat run/crossmux.pid)" = "$main" ] || fail "pid file: $(cat run/crossmux.pid) for $main"
body=$(curl -sS -m 5 "http://127.0.0.1:$port/") || fail "the unit's proxy did not serve"
[ -n "$body" ] || fail "empty answer"
read -ra reload <<<"$(command_of ExecReload)"
"${reload[@]}" >reload.out 2>&1 || fail "ExecReload of a good file: $(cat reload.out)"
wait_for notify.out "^RELOADING=1" 5 || fail "no RELOADING=1: $(cat notify.out)"
grep -q '^READY=1' <(sed -n '/^RELOADING=1/,$p' notify.out) || fail "no READY=1 after the reload"
echo 'bogus_key = 1' >>etc/crossmux.toml
"${reload[@]}" >reload-bad.out 2>&1 && fail "ExecReload of a bad file exited 0"
grep -q "bogus_key: unknown key" reload-bad.out || fail "ExecReload gave no reason: $(cat reload-bad.out)"
kill -TERM "$main"
wait "$main" || fail "the unit's proxy exited $? on SIGTERM"
grep -q '^STOPPING=1' notify.out || fail "no STOPPING=1: $(cat notify.out)"
echo "3. unit verified; ExecStart READY=1 and serves, ExecReload 0 / 1, SIGTERM STOPPING=1 and 0"

# --- 4. The container definition.
containerfile=$src/packaging/Containerfile
# Each stage's apt-get install line, continuation lines joined.
packages_of_stage() {
  sed -n "/^FROM $1/,/^COPY/p" "$containerfile" | sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' \
    | grep -oE 'no-install-recommends [^&]+' | sed 's/no-install-recommends//'
}
runtime=$(packages_of_stage "debian:12-slim")
[ -n "$runtime" ] || fail "no runtime packages found in $containerfile"
for lib in $(ldd "$bin" | awk '$3 ~ /^\// { print $3 }'); do
  pkg=$(dpkg -S "$(realpath "$lib")" 2>/dev/null | head -1 | cut -d: -f1)
  [ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1)
  [ -n "$pkg" ] || fail "no Debian package holds $lib"
  grep -qw -- "$pkg" <<<"$runtime" || fail "the runtime image lacks $pkg ($lib)"
done
buildpkgs=$(packages_of_stage "debian:12 AS build")
[ "$(wc -w <<<"$buildpkgs")" -ge 8 ] || fail "build packages: $buildpkgs"
for p in $buildpkgs; do
  grep -qw -- "$p" "$src/scripts/setup.sh" || fail "Containerfile builds with $p, which scripts/setup.sh does not install"
done
echo "4. container image: runtime packages cover every linked library, build packages are setup.sh's"
echo "install end to end ok"
