// The origin's WebSocket echo endpoint (/ws): a minimal RFC 6455 server reached over an HTTP/1.1
// Upgrade or an HTTP/2 extended CONNECT stream (RFC 8441). Transport-free: the origin connection
// writes the handshake response and moves bytes; this class speaks the frames.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/base/bytes.h"
#include "codecs/message/message.h"

namespace crossmux::conformance {

// Whether `head` opens the echo WebSocket: path /ws and either GET with `Upgrade: websocket` and a
// Sec-WebSocket-Key (HTTP/1.1, RFC 6455 §4.1) or CONNECT with :protocol websocket (RFC 8441 §4).
bool is_websocket_request(const codecs::MessageHead& head);

// The handshake response head: HTTP/1.1 gets 101 with Upgrade and the Sec-WebSocket-Accept of the
// request's key (RFC 6455 §4.2.2); HTTP/2 gets 200 (RFC 8441 §5). Framing is Tunnel.
codecs::MessageHead websocket_response(const codecs::MessageHead& request, bool http2);

// RFC 6455 §4.2.2: base64(SHA-1(key + GUID)).
std::string websocket_accept_for(std::string_view key);

// One server-side WebSocket: client frames in, frames to send out.
//   - text, binary and continuation frames are echoed unmasked with the same opcode and FIN;
//   - a ping is answered with a pong carrying its payload; pongs are ignored;
//   - a close is answered with a close echoing its status code, then closed() is true;
//   - the text message "please close" makes the server start the close itself (status 1000,
//     reason "bye"), for tests of a close coming from the backend side;
//   - an unmasked client frame is a protocol error (RFC 6455 §5.1: close 1002), a frame over
//     1 MiB is too big (close 1009); closed() is then true.
class WebSocketEcho {
 public:
  // Consumes `data` (partial frames are kept for the next call); appends what to send to `out`.
  void feed(codecs::Bytes data, std::string& out);
  // The closing handshake was answered or started: end the stream after `out` is sent.
  bool closed() const { return closed_; }

 private:
  void close(uint16_t code, std::string_view reason, std::string& out);

  std::string in_;
  bool closed_ = false;
};

}  // namespace crossmux::conformance
