# Helpers shared by the proxy's end-to-end tests (sourced). Sets $work (removed on exit unless
# KEEP_WORK is set) and $pids (killed on exit); fail prints the tail of every $work/*.log.
set -uo pipefail
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/*.log "$work"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
  exit 1
}
# A free port below the kernel's ephemeral range (32768+), so no client socket of a concurrent
# test can take it between this pick and the bind.
free_port() {
  python3 -c 'import random, socket
for _ in range(500):
    p = random.randint(20000, 32767)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}
# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
# wait_for FILE PATTERN [SECONDS]: until a line matching PATTERN (grep -E) appears in FILE
# (default 20 s).
wait_for() {
  local tries=$(( ${3:-20} * 20 ))
  for _ in $(seq 1 "$tries"); do grep -qsE "$2" "$1" && return 0; sleep 0.05; done
  return 1
}
# wait_for_line FILE PATTERN: wait_for with 10 s.
wait_for_line() { wait_for "$1" "$2" 10; }
# start_origin NAME VAR: `crossmux origin` on a free port recording to $work/NAME.record; sets
# VAR to its port (no command substitution: the pid must reach $pids). Needs $crossmux.
start_origin() {
  "$crossmux" origin --listen 127.0.0.1:0 --record "$work/$1.record" >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_for "$work/$1.log" "listening on" 10 || fail "origin $1 did not start"
  printf -v "$2" '%s' "$(sed -nE 's/.*listening on [0-9.]+:([0-9]+).*/\1/p' "$work/$1.log" | head -1)"
}
