// mux_session's traffic: the requests, frames and responses the script's clients and backends
// send, each shaped by input bytes (read in a fixed order: one read per statement, so gcc and clang
// builds decode an input alike).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/h2_wire.h"
#include "fuzz/mux/session_ends.h"

namespace crossmux::fuzz::mux_session {

// Every body the harness sends is `n` bytes of 'b' (the oracle compares lengths, not content).
inline void append_body(std::string& s, size_t n) {
  s.append(n, 'b');
}
inline std::string body_of(size_t n) {
  std::string s;
  append_body(s, n);
  return s;
}

inline size_t body_size(FuzzInput& in) {
  static constexpr std::array<size_t, 8> kSizes = {0, 1, 5, 100, 4000, 20000, 70000, 300000};
  const uint8_t i = in.u8();
  // The largest only now and then: they cost time.
  return kSizes[(i & 7) == 7 && (i >> 3) % 8 != 0 ? 6 : i & 7];
}

// A chunked body of `n` bytes (one chunk), its last chunk and optionally a trailer section.
inline void append_chunked(std::string& s, size_t n, bool trailer) {
  if (n > 0) {
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", n);
    s += size;
    append_body(s, n);
    s += "\r\n";
  }
  s += trailer ? "0\r\nx-trailer: 1\r\n\r\n" : "0\r\n\r\n";
}

// An HTTP/1.1 request: method, target, Host, framing (none, Content-Length, chunked, both),
// Connection: close, Expect: 100-continue and Upgrade chosen by the input.
inline void h1_request(FuzzInput& in, codecs::ByteBuffer& wire) {
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",     "POST",   "HEAD",   "PUT",
                                                               "OPTIONS", "DELETE", "CONNECT"};
  static constexpr std::array<std::string_view, 6> kTargets = {
      "/", "/a?b=c", "*", "http://example.com/x", "/%41", "example.com:443"};
  static constexpr std::array<std::string_view, 4> kHosts = {"example.com", "b.test",
                                                             "example.com:8080", ""};
  const uint8_t shape = in.u8();
  const std::string method = fuzz::pick(in, kMethods);
  const std::string target = fuzz::pick(in, kTargets);
  const std::string host = fuzz::pick(in, kHosts);
  std::string s = method + " " + target + ((shape & 1) ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  if (!host.empty() || (shape & 2)) s += "Host: " + host + "\r\n";
  const size_t n = body_size(in);
  const uint8_t framing = (shape >> 2) & 3;  // none, Content-Length, chunked, both
  if (framing == 1 || framing == 3) s += "Content-Length: " + std::to_string(n) + "\r\n";
  if (framing >= 2) s += "Transfer-Encoding: chunked\r\n";
  if (shape & 16) s += "Connection: close\r\n";
  if (shape & 32) s += "Expect: 100-continue\r\n";
  if (shape & 64) s += "Upgrade: websocket\r\nConnection: upgrade\r\n";
  s += "\r\n";
  if (framing == 1) append_body(s, n);
  if (framing >= 2) append_chunked(s, n, shape & 128);
  wire.append(s);
}

// The connection preface and SETTINGS, once per client connection.
inline void h2_start(FuzzInput& in, ClientEnd& c, codecs::ByteBuffer& wire,
                     uint32_t proxy_table_size) {
  if (c.preface_sent) return;
  c.preface_sent = true;
  c.writer.preface(wire);
  c.writer.settings(in, wire, true);
  c.writer.receiver_table_size(proxy_table_size);
}

// An HTTP/2 request on the next stream: HEADERS, DATA up to the body size, optional trailers.
inline void h2_request(FuzzInput& in, ClientEnd& c, codecs::ByteBuffer& wire,
                       uint32_t proxy_table_size) {
  h2_start(in, c, wire, proxy_table_size);
  const uint8_t shape = in.u8();
  const size_t n = (shape & 1) ? body_size(in) : 0;
  const uint32_t id = c.next_stream;
  c.next_stream += 2;
  c.writer.headers(in, wire, id, n == 0 && !(shape & 2), false);
  size_t off = 0;
  const std::string body = body_of(n);
  while (off < n) {
    const size_t piece = std::min<size_t>(n - off, 16384);
    codecs::h2::write_data(wire, id, codecs::as_bytes(std::string_view(body).substr(off, piece)),
                           off + piece == n && !(shape & 2));
    off += piece;
  }
  if (shape & 2) c.writer.headers(in, wire, id, true, true);  // trailers
}

// One control or raw frame from a client: RST_STREAM, WINDOW_UPDATE, DATA, SETTINGS, GOAWAY or
// arbitrary bytes.
inline void h2_client_frame(FuzzInput& in, ClientEnd& c, codecs::ByteBuffer& wire,
                            uint32_t proxy_table_size) {
  h2_start(in, c, wire, proxy_table_size);
  const uint32_t open = c.next_stream > 1 ? c.next_stream - 2 : 1;
  switch (in.u8() % 6) {
    case 0:
      codecs::h2::write_rst_stream(wire, open, in.range(0, 13));
      break;
    case 1: {
      const uint32_t stream = in.range(0, 1) * open;  // one read per statement: gcc == clang
      codecs::h2::write_window_update(wire, stream, in.range(1, 1u << 20));
      break;
    }
    case 2:
      c.writer.data(in, wire, open, in.boolean());
      break;
    case 3:
      c.writer.settings(in, wire, in.u8() != 0);
      break;
    case 4:
      codecs::h2::write_goaway(wire, 0, in.range(0, 13), {});
      break;
    default:
      fuzz::PeerWriter::raw_frame(in, wire);
      break;
  }
}

// An HTTP/1.1 response from a scripted backend, with what it means for the connection.
struct H1Reply {
  std::string bytes;
  bool close_delimited = false;  // the sender must close after it
  // Its end is known from the message alone (RFC 9112 §6.3) and it keeps the connection: the
  // next request may follow on it. Never for a tunnel request, whose connection the proxy retires
  // whatever the answer (a tunnel, a refused upgrade, a 101 to the wrong protocol).
  bool framed = false;
  bool consent = false;  // a 101 switching to the websocket the tunnel request asked for
};

// An HTTP/1.1 response to `method`: status, framing (Content-Length, chunked, close-delimited,
// none) and fields chosen by the input. A tunnel request (Upgrade) gets a 101 more often, whose
// Upgrade is the same two bits as the framing: websocket (consent), h2c (never the client's to
// get: 502), WebSocket (tokens are case-insensitive) or none (502).
inline H1Reply h1_response(FuzzInput& in, std::string_view method, bool tunnel) {
  static constexpr std::array<uint16_t, 8> kStatus = {200, 204, 304, 404, 502, 101, 200, 301};
  static constexpr std::array<uint16_t, 8> kTunnelStatus = {200, 204, 426, 404, 502, 101, 101, 101};
  static constexpr std::array<std::string_view, 4> kUpgrade = {"websocket", "h2c", "WebSocket", ""};
  const uint8_t shape = in.u8();
  const uint16_t status = (tunnel ? kTunnelStatus : kStatus)[shape & 7];
  const size_t n = body_size(in);
  const uint8_t framing = (shape >> 3) & 3;  // Content-Length, chunked, close-delimited, none
  H1Reply r;
  std::string& s = r.bytes;
  s = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
  if (status == 101 && tunnel) {
    if (!kUpgrade[framing].empty()) {
      s += "Upgrade: " + std::string(kUpgrade[framing]) + "\r\nConnection: upgrade\r\n";
    }
    s += "\r\n";
    r.consent = framing == 0 || framing == 2;
    return r;
  }
  if (framing == 0) s += "Content-Length: " + std::to_string(n) + "\r\n";
  if (framing == 1) s += "Transfer-Encoding: chunked\r\n";
  if (shape & 32) s += "Connection: close\r\n";
  if (shape & 64) s += "Content-Type: text/plain\r\nX-Y: z\r\n";
  s += "\r\n";
  const bool bodiless = method == "HEAD" || status == 204 || status == 304;
  if (!bodiless) {
    if (framing == 0 || framing == 2) append_body(s, n);
    if (framing == 1) append_chunked(s, n, shape & 128);
  }
  r.close_delimited = framing == 2 && !bodiless;
  r.framed = !tunnel && status != 101 && !(shape & 32) && (bodiless || framing < 2);
  return r;
}

}  // namespace crossmux::fuzz::mux_session
