// RFC 6455 frames for the origin's echo WebSocket: handshake, unmasking, echo, ping, close.
#include "conformance/origin/websocket_echo.h"

#include <openssl/evp.h>

#include <array>

namespace crossmux::conformance {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr uint64_t kMaxFrame = 1 << 20;
enum Opcode : uint8_t { kText = 0x1, kBinary = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA };

bool lists_websocket(std::string_view v) {
  size_t start = 0;
  for (;;) {
    size_t comma = v.find(',', start);
    std::string_view e = v.substr(start, comma == v.npos ? v.npos : comma - start);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    if (codecs::iequals(e, "websocket")) return true;
    if (comma == v.npos) return false;
    start = comma + 1;
  }
}

// RFC 6455 §5.2: server frames are never masked.
void frame(uint8_t first, std::string_view payload, std::string& out) {
  out += static_cast<char>(first);
  const uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(n);
  } else if (n < 65536) {
    out += static_cast<char>(126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  } else {
    out += static_cast<char>(127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  out += payload;
}

}  // namespace

bool is_websocket_request(const codecs::MessageHead& head) {
  if (head.path.substr(0, head.path.find('?')) != "/ws") return false;
  if (head.method == "CONNECT") return codecs::iequals(head.protocol, "websocket");
  const auto* upgrade = head.headers.find("upgrade");
  return head.method == "GET" && upgrade && lists_websocket(upgrade->value) &&
         head.headers.find("sec-websocket-key") != nullptr;
}

std::string websocket_accept_for(std::string_view key) {
  std::string input(key);
  input += kGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_Digest(input.data(), input.size(), md.data(), &n, EVP_sha1(), nullptr);
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  out.resize(static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                                 md.data(), static_cast<int>(n))));
  return out;
}

codecs::MessageHead websocket_response(const codecs::MessageHead& request, bool http2) {
  codecs::MessageHead head;
  head.kind = codecs::MessageKind::Response;
  head.framing = codecs::Framing::Tunnel;
  head.status = http2 ? 200 : 101;
  head.headers.add_view("x-origin-protocol", http2 ? "HTTP/2" : "HTTP/1.1");
  if (!http2) {
    head.headers.add_view("upgrade", "websocket");
    const auto* key = request.headers.find("sec-websocket-key");
    head.headers.add_copy("sec-websocket-accept", websocket_accept_for(key ? key->value : ""));
  }
  return head;
}

void WebSocketEcho::close(uint16_t code, std::string_view reason, std::string& out) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xff);
  payload += reason;
  frame(0x80 | kClose, payload, out);
  closed_ = true;
}

void WebSocketEcho::feed(codecs::Bytes data, std::string& out) {
  if (closed_) return;
  in_.append(codecs::as_chars(data));
  while (!closed_) {
    const auto* p = reinterpret_cast<const uint8_t*>(in_.data());
    const size_t have = in_.size();
    if (have < 2) return;
    const uint8_t first = p[0];
    const bool masked = p[1] & 0x80;
    uint64_t len = p[1] & 0x7f;
    size_t at = 2;
    if (len == 126) {
      if (have < 4) return;
      len = (uint64_t{p[2]} << 8) | p[3];
      at = 4;
    } else if (len == 127) {
      if (have < 10) return;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
      at = 10;
    }
    if (!masked) return close(1002, "client frames must be masked", out);
    if (len > kMaxFrame) return close(1009, "frame too big", out);
    if (have < at + 4 + len) return;
    const uint8_t* key = p + at;
    std::string payload(static_cast<size_t>(len), '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>(p[at + 4 + i] ^ key[i % 4]);
    in_.erase(0, at + 4 + static_cast<size_t>(len));
    const uint8_t opcode = first & 0x0f;
    if (opcode == kClose) {
      const uint16_t code =
          payload.size() >= 2
              ? static_cast<uint16_t>((uint8_t(payload[0]) << 8) | uint8_t(payload[1]))
              : 1000;
      return close(code, "", out);
    }
    if (opcode == kPing) {
      frame(0x80 | kPong, payload, out);
    } else if (opcode == kPong) {
      continue;
    } else if (opcode == kText && payload == "please close") {
      return close(1000, "bye", out);
    } else {
      frame(first & 0x8f, payload, out);  // RSV bits cleared: no extension was negotiated
    }
  }
}

}  // namespace crossmux::conformance
