# Helpers shared by the fuzz scripts (sourced, not run): which targets a build has and which
# dictionary each target uses, so fuzz_ci.sh, fuzz_overnight.sh, fuzz_speed.sh and the
# OSS-Fuzz/ClusterFuzzLite build.sh fuzz every target the same way.
# shellcheck shell=bash
fuzz_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# fuzz_targets_in DIR: the target names (without _fuzzer) of the fuzz binaries in DIR, sorted.
fuzz_targets_in() {
  local b
  for b in "$1"/*_fuzzer; do [ -x "$b" ] && basename "${b%_fuzzer}"; done
}

# fuzz_dict TARGET SCRATCH_DIR: prints the path of TARGET's dictionary: fuzz/<target>.dict, else
# its family's (fuzz/h2.dict for h2_*), else fuzz/http.dict. mux_session speaks HTTP/1.1 and
# HTTP/2 on both legs: it gets http.dict and h2.dict merged into SCRATCH_DIR/mux_session.dict.
fuzz_dict() {
  local t=$1 scratch=$2 d
  if [ "$t" = mux_session ]; then
    mkdir -p "$scratch"
    cat "$fuzz_root/fuzz/http.dict" "$fuzz_root/fuzz/h2.dict" >"$scratch/$t.dict" || return 1
    echo "$scratch/$t.dict"
    return 0
  fi
  for d in "$fuzz_root/fuzz/$t.dict" "$fuzz_root/fuzz/${t%%_*}.dict" "$fuzz_root/fuzz/http.dict"; do
    [ -f "$d" ] && { echo "$d"; return 0; }
  done
  return 1
}

# fuzz_dict_flag TARGET SCRATCH_DIR: "-dict=PATH" for libFuzzer (nothing when there is none).
fuzz_dict_flag() {
  local d
  d=$(fuzz_dict "$1" "$2") && echo "-dict=$d"
}
