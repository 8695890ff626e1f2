#!/usr/bin/env bash
# End to end: WebSockets through `crossmux proxy` in all four pairings, against the WebSocket echo
# of `crossmux origin` (/ws) on an HTTP/1.1 and an h2c cluster: HTTP/1.1 Upgrade clients (a real
# handshake from ws_client.py) and HTTP/2 extended CONNECT clients (h2_tunnel_client), each
# checking the handshake status, echoes both ways, and that a close from either side and a half
# close propagate (ws_client.py), and that 32 MiB echoed while the client reads nothing leave the
# proxy's peak RSS nearly flat (backpressure). Also: an h2c backend that does not enable extended CONNECT
# (nghttpd) gives a 502, CONNECT on a listener that does not allow it gives a 405, and on one that
# does, a raw tunnel to a backend of the routed cluster (HTTP/1.1 and HTTP/2 clients) or a 403;
# and timeouts.tunnel (not stream_progress) ending a WebSocket left idle.
# Usage: proxy_tunnel_e2e.sh CROSSMUX_BINARY H2_TUNNEL_CLIENT
crossmux=$1
tunnel_client=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/e2e_lib.sh"

proxy_port=$(free_port); origin_port=$(free_port); nghttpd_port=$(free_port); connect_port=$(free_port)
"$crossmux" origin --listen "127.0.0.1:$origin_port" >"$work/origin.log" 2>&1 &
pids+=($!)
mkdir -p "$work/www"
nghttpd --no-tls -d "$work/www" "$nghttpd_port" >"$work/nghttpd.log" 2>&1 &
pids+=($!)
# Host h2c.test goes to the h2c cluster, any other to the HTTP/1.1 one; both are the origin.
origin_routes() {
  cat <<TOML
[[clusters]]
name = "h1"
protocol = "http1"
backends = ["127.0.0.1:$origin_port"]
[[clusters]]
name = "h2c"
protocol = "h2c"
backends = ["127.0.0.1:$origin_port"]
[[frontends]]
hostname = "h2c.test"
cluster = "h2c"
[[frontends]]
cluster = "h1"
TOML
}
cat >"$work/proxy.toml" <<TOML
[global]
access_log = "$work/access.txt"
[[listeners]]
name = "main"
address = "127.0.0.1:$proxy_port"
[[listeners]]
name = "tunnels"
address = "127.0.0.1:$connect_port"
allow_connect = true
[[clusters]]
name = "nghttpd"
protocol = "h2c"
backends = ["127.0.0.1:$nghttpd_port"]
[[frontends]]
hostname = "nghttpd.test"
cluster = "nghttpd"
$(origin_routes)
TOML
"$crossmux" proxy --config "$work/proxy.toml" >"$work/proxy.log" 2>&1 &
pids+=($!)
wait_port "$origin_port" && wait_port "$nghttpd_port" && wait_port "$proxy_port" &&
  wait_port "$connect_port" || fail "servers did not start"

for client in h1 h2; do
  for host in h1.test h2c.test; do
    timeout 60 python3 "$here/ws_client.py" "$client" "$proxy_port" "$host" "$tunnel_client" \
      >"$work/ws.log" 2>&1 || fail "WebSocket $client client -> $host: $(cat "$work/ws.log")"
    echo "WebSocket: $client client -> $host backend: ok"
  done
done
# Backpressure: 32 MiB echoed while the client reads nothing, through an HTTP/1.1 and an h2c
# backend; the proxy holds a bounded queue per direction, not the flood.
for host in h1.test h2c.test; do
  out=$(timeout 120 python3 "$here/ws_client.py" h1-flood "$proxy_port" "$host" "${pids[2]}" 32 2>&1) ||
    fail "WebSocket backpressure -> $host: $out"
  echo "WebSocket backpressure -> $host: $out"
done
# An HTTP/2 client that closes its connection with its stream still open ends that stream (and
# its backend leg): all three WebSockets per HTTP/2 pairing are logged as finished.
for host in h1.test h2c.test; do
  for _ in $(seq 1 100); do
    [ "$(grep -c "method=CONNECT authority=$host path=/ws status=200" "$work/access.txt")" = 3 ] && break
    sleep 0.05
  done
  n=$(grep -c "method=CONNECT authority=$host path=/ws status=200" "$work/access.txt")
  [ "$n" = 3 ] || fail "HTTP/2 WebSockets to $host still open after their clients left ($n of 3 ended)"
done
# Each pairing reached the origin in the backend's protocol, with the status its client expects.
for want in 'method=GET authority=h1.test path=/ws status=101' \
  'method=GET authority=h2c.test path=/ws status=101' 'method=CONNECT authority=h1.test path=/ws status=200'; do
  grep -q "$want" "$work/access.txt" || fail "access log lacks $want"
done

# RFC 8441 §3: no extended CONNECT to a backend that did not enable it.
status=$(timeout 20 python3 "$here/ws_client.py" h1-status "$proxy_port" nghttpd.test /ws)
[ "$status" = 502 ] || fail "WebSocket to an h2c backend without extended CONNECT: $status"
# RFC 9110 §9.3.6: no CONNECT tunnels on a listener that does not allow them.
reply=$(printf 'CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n' "$origin_port" "$origin_port" |
  timeout 10 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.stdin.buffer.read())
print(s.recv(4096).split(b"\r\n")[0].decode())' "$proxy_port")
[ "$reply" = "HTTP/1.1 405 Method Not Allowed" ] || fail "CONNECT on a plain listener: $reply"

# Plain CONNECT on the listener that allows it: a raw TCP tunnel to a backend of the routed
# cluster (HTTP/1.1 spoken inside it reaches the origin untouched: no Via), 403 for any other
# destination; from an HTTP/1.1 and an HTTP/2 client.
connect_check() {  # PORT TARGET: prints the status line, then what came back through the tunnel
  timeout 20 python3 - "$@" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
t = sys.argv[2]
s.sendall(f"CONNECT {t} HTTP/1.1\r\nHost: {t}\r\n\r\n".encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(4096)
    if not chunk:
        break
    head += chunk
print(head.split(b"\r\n")[0].decode())
if b" 200 " in head.split(b"\r\n")[0]:
    s.sendall(b"GET /tunnelled/ HTTP/1.1\r\nHost: inside.test\r\nConnection: close\r\n\r\n")
    body = head.split(b"\r\n\r\n", 1)[1]
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    sys.stdout.write(body.decode("latin-1"))
PY
}
out=$(connect_check "$connect_port" "127.0.0.1:$origin_port")
echo "$out" | head -1 | grep -q "^HTTP/1.1 200" || fail "CONNECT to a backend: $out"
echo "$out" | grep -q "path: /tunnelled/" || fail "nothing came back through the CONNECT tunnel: $out"
echo "$out" | grep -qi "^via:" && fail "the tunnelled request was touched by the proxy: $out"
out=$(connect_check "$connect_port" "127.0.0.1:$nghttpd_port")
[ "$out" = "HTTP/1.1 403 Forbidden" ] || fail "CONNECT to a non-backend: $out"
out=$(printf 'GET /tunnelled/ HTTP/1.1\r\nHost: inside.test\r\nConnection: close\r\n\r\n' |
  timeout 20 "$tunnel_client" "$connect_port" "127.0.0.1:$origin_port" - -) || fail "HTTP/2 CONNECT: $out"
echo "$out" | head -1 | grep -q "^STATUS 200" || fail "HTTP/2 CONNECT status: $out"
echo "$out" | grep -q "path: /tunnelled/" || fail "nothing came back through the HTTP/2 CONNECT tunnel: $out"
echo "CONNECT: HTTP/1.1 and HTTP/2 tunnels to a backend ok, other destinations 403"

# timeouts.tunnel, not stream_progress, bounds an open WebSocket's silence: a second proxy with
# stream_progress 1s and tunnel 3s keeps a WebSocket idle for 2s, then ends it 3s into the next
# silence (HTTP/1.1 client: connection closed; HTTP/2: stream reset), through both backends.
idle_port=$(free_port)
cat >"$work/idle.toml" <<TOML
[timeouts]
stream_progress = "1s"
tunnel = "3s"
[[listeners]]
name = "main"
address = "127.0.0.1:$idle_port"
$(origin_routes)
TOML
"$crossmux" proxy --config "$work/idle.toml" >"$work/idle.log" 2>&1 &
pids+=($!)
wait_port "$idle_port" || fail "idle proxy did not start: $(cat "$work/idle.log")"
for host in h1.test h2c.test; do
  out=$(timeout 60 python3 "$here/ws_client.py" h1-idle "$idle_port" "$host" 2 2.5 15 2>&1) ||
    fail "idle HTTP/1.1 WebSocket -> $host: $out"
  echo "idle WebSocket, HTTP/1.1 client -> $host: $out"
  out=$(timeout 60 python3 "$here/ws_client.py" h2-idle "$idle_port" "$host" 2 2.5 15 "$tunnel_client" 2>&1) ||
    fail "idle HTTP/2 WebSocket -> $host: $out"
  echo "idle WebSocket, HTTP/2 client -> $host: $out"
done

for i in 2 3; do  # the main proxy and the idle one
  kill -0 "${pids[$i]}" || fail "proxy $i died"
  kill -TERM "${pids[$i]}" && wait "${pids[$i]}" || fail "proxy $i did not exit cleanly on SIGTERM"
done
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$work/proxy.log" "$work/idle.log"; then
  fail "sanitizer report"
fi
echo "proxy tunnel end to end: ok"
