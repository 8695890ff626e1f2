#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted with the repository's .clang-format (clang-format
# 14, what Debian 12 ships). Lists the files that differ and exits 1; `-i` reformats them instead.
# Usage: check_format.sh SOURCE_DIR [-i]   |   check_format.sh --self-test SOURCE_DIR
set -uo pipefail

cf=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$cf" ] || { echo "check_format: clang-format not found (scripts/setup.sh installs it)" >&2; exit 1; }

files_of() {
  if git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$1" ls-files -- '*.cc' '*.h' '*.cpp' '*.hpp'
  else
    (cd "$1" && find . -path ./build -prune -o \( -name '*.cc' -o -name '*.h' \) -print | sed 's|^\./||')
  fi
}

check_tree() {
  local src=$1 fix=${2:-} bad=()
  while IFS= read -r f; do
    [ -f "$src/$f" ] || continue
    if [ "$fix" = -i ]; then
      "$cf" -i "$src/$f"
    elif ! "$cf" --dry-run -Werror "$src/$f" >/dev/null 2>&1; then
      bad+=("$f")
    fi
  done < <(files_of "$src")
  if [ ${#bad[@]} -gt 0 ]; then
    echo "check_format: ${#bad[@]} file(s) differ from .clang-format (fix: bash scripts/check_format.sh . -i):"
    printf '  %s\n' "${bad[@]}"
    return 1
  fi
  return 0
}

if [ "${1:-}" = --self-test ]; then
  # The check must notice a badly formatted file: copy .clang-format and one file, break its layout.
  src=$2 tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/.clang-format" "$tmp/"
  printf 'int   f( int a ){return a;}\n' >"$tmp/bad.cc"
  if check_tree "$tmp" >/dev/null; then echo "check_format self-test: a misformatted file passed"; exit 1; fi
  "$cf" -i "$tmp/bad.cc"
  check_tree "$tmp" || { echo "check_format self-test: a formatted file failed"; exit 1; }
  echo "check_format self-test: ok"
  exit 0
fi

check_tree "${1:-.}" "${2:-}"
