# Helpers shared by the proxy's end-to-end tests (sourced). Sets $work (removed on exit) and
# $pids (killed on exit); fail prints the tail of every $work/*.log.
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }
# A loopback port free right now (the kernel's pick for port 0).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_for_line FILE PATTERN: up to 10 s for a line matching PATTERN (grep -E) to appear in FILE.
wait_for_line() {
  for _ in $(seq 1 200); do grep -qsE "$2" "$1" && return 0; sleep 0.05; done
  return 1
}
