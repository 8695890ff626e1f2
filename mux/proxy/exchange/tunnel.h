// Tunnels through the proxy: WebSocket over an HTTP/1.1 Upgrade (RFC 6455 §4) and over HTTP/2
// extended CONNECT (RFC 8441), each translated into the other where the two legs differ, and plain
// CONNECT (RFC 9110 §9.3.6) to a backend of the routed cluster over raw TCP (codec_tcp.cc).
//
// Once its head is accepted (101, or a 2xx to a CONNECT), a tunnel is an ordinary exchange whose
// body runs both ways: the request half carries client -> backend bytes, the response half
// backend -> client bytes, each with the exchange's backpressure (kQueueCap), and the end of one
// half is the close of that direction (HTTP/1.1: FIN; HTTP/2: END_STREAM).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/message/message.h"

namespace crossmux::mux::proxy {

enum class TunnelKind : uint8_t {
  None = 0,       // an ordinary request
  WebSocket = 1,  // HTTP/1.1 `Upgrade: websocket`, or extended CONNECT with :protocol websocket
  Extended = 2,   // extended CONNECT with another :protocol (HTTP/2 end to end only)
  Connect = 3,    // plain CONNECT to host:port (RFC 9110 §9.3.6)
};

// What a decoded request asks for. An HTTP/1.1 Upgrade to anything but websocket, or on any
// method but GET (RFC 6455 §4.1), is None: the proxy forwards the request without its Upgrade
// (h2c upgrades, RFC 9113 §3.1, in particular).
TunnelKind tunnel_kind(const codecs::MessageHead& request);

// RFC 9110 §7.8: whether an Upgrade field value is exactly one protocol, websocket (what a 101
// answering our WebSocket request must say).
bool only_websocket(std::string_view upgrade);
// A WebSocket request (TunnelKind::WebSocket over HTTP/1.1) asks for websocket alone: other
// elements of its Upgrade list (h2c above all, RFC 9113 §3.1) are dropped, so no backend can
// switch to a protocol the proxy does not carry.
void websocket_upgrade_only(codecs::MessageHead& request);

// RFC 6455 §4.2.2: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string websocket_accept(std::string_view key);
// RFC 6455 §4.1: a fresh nonce, base64 of 16 random bytes.
std::string websocket_key();

// For an HTTP/1.1 backend: extended CONNECT (:protocol websocket) becomes `GET` with
// `Upgrade: websocket` and a fresh Sec-WebSocket-Key (RFC 8441 §4 has none).
void websocket_request_for_h1(codecs::MessageHead& head);
// For an HTTP/2 backend: an Upgrade request becomes extended CONNECT (RFC 8441 §4, §5): :method
// CONNECT, :protocol websocket; Sec-WebSocket-Key goes (Upgrade and Connection go with the other
// connection-specific fields).
void websocket_request_for_h2(codecs::MessageHead& head);
// For an HTTP/2 client: an HTTP/1.1 backend's 101 becomes 200 (RFC 8441 §5); Sec-WebSocket-Accept
// goes.
void websocket_response_for_h2(codecs::MessageHead& head);
// For an HTTP/1.1 client: an HTTP/2 backend's 2xx becomes 101 with `Upgrade: websocket` and the
// Sec-WebSocket-Accept of the client's `key`.
void websocket_response_for_h1(codecs::MessageHead& head, std::string_view key);

// Answers the proxy gives for tunnels it cannot open (Error::http(status, detail)).
inline constexpr char kErrNoExtendedConnect[] =
    "backend did not enable extended CONNECT (RFC 8441 SETTINGS_ENABLE_CONNECT_PROTOCOL)";
inline constexpr char kErrExtendedToH1[] =
    "extended CONNECT for a protocol other than websocket cannot reach an HTTP/1.1 backend";
inline constexpr char kErrConnectNotAllowed[] = "CONNECT is not allowed on this listener";
inline constexpr char kErrConnectNotBackend[] =
    "CONNECT destination is not a backend of the routed cluster";

}  // namespace crossmux::mux::proxy
