// WebSocket handshake translation between HTTP/1.1 Upgrade and HTTP/2 extended CONNECT.
#include "mux/proxy/exchange/tunnel.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace crossmux::mux::proxy {

namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

// RFC 9110 §7.8: Upgrade is a comma-separated list of protocol[/version] tokens; empty elements
// are ignored (§5.6.1). Calls f(element) for each non-empty one.
template <class F>
void for_each_protocol(std::string_view upgrade, F&& f) {
  size_t start = 0;
  while (start <= upgrade.size()) {
    size_t comma = upgrade.find(',', start);
    std::string_view e =
        upgrade.substr(start, comma == upgrade.npos ? upgrade.npos : comma - start);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    if (!e.empty()) f(e);
    if (comma == upgrade.npos) break;
    start = comma + 1;
  }
}

bool lists_websocket(std::string_view upgrade) {
  bool found = false;
  for_each_protocol(upgrade, [&](std::string_view e) { found |= codecs::iequals(e, "websocket"); });
  return found;
}

}  // namespace

TunnelKind tunnel_kind(const codecs::MessageHead& request) {
  if (request.method == "CONNECT") {
    if (request.protocol.empty()) return TunnelKind::Connect;
    return codecs::iequals(request.protocol, "websocket") ? TunnelKind::WebSocket
                                                          : TunnelKind::Extended;
  }
  if (request.framing != codecs::Framing::Tunnel) return TunnelKind::None;
  // RFC 6455 §4.1: a WebSocket opening handshake is a GET. An Upgrade on any other method is not
  // one, and turning it into extended CONNECT (or a GET upgrade) would forward a method the
  // client never sent; the proxy ignores that Upgrade (RFC 9110 §7.8 lets a server do so).
  if (request.method != "GET") return TunnelKind::None;
  const codecs::HeaderField* upgrade = request.headers.find("upgrade");
  return upgrade && lists_websocket(upgrade->value) ? TunnelKind::WebSocket : TunnelKind::None;
}

bool only_websocket(std::string_view upgrade) {
  size_t elements = 0;
  bool websocket = false;
  for_each_protocol(upgrade, [&](std::string_view e) {
    ++elements;
    websocket = codecs::iequals(e, "websocket");
  });
  return elements == 1 && websocket;
}

void websocket_upgrade_only(codecs::MessageHead& request) {
  request.headers.remove("upgrade");
  request.headers.add_view("upgrade", "websocket");
}

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kWebSocketGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int n = 0;
  EVP_Digest(input.data(), input.size(), md.data(), &n, EVP_sha1(), nullptr);
  return base64(md.data(), n);
}

std::string websocket_key() {
  std::array<unsigned char, 16> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  return base64(nonce.data(), nonce.size());
}

void websocket_request_for_h1(codecs::MessageHead& head) {
  head.method = "GET";
  head.protocol = {};
  head.headers.remove("upgrade");
  head.headers.remove("sec-websocket-key");
  head.headers.add_view("upgrade", "websocket");
  head.headers.add_copy("sec-websocket-key", websocket_key());
  // RFC 6455 §4.1: the opening handshake is a GET without a body; what follows is the tunnel.
  head.framing = codecs::Framing::Tunnel;
}

void websocket_request_for_h2(codecs::MessageHead& head) {
  head.method = "CONNECT";
  head.protocol = "websocket";
  head.headers.remove("sec-websocket-key");
  head.framing = codecs::Framing::Tunnel;
}

void websocket_response_for_h2(codecs::MessageHead& head) {
  if (head.status == 101) head.status = 200;
  head.headers.remove("sec-websocket-accept");
  head.framing = codecs::Framing::Tunnel;
}

void websocket_response_for_h1(codecs::MessageHead& head, std::string_view key) {
  head.status = 101;
  head.headers.remove("upgrade");
  head.headers.remove("sec-websocket-accept");
  head.headers.add_view("upgrade", "websocket");
  head.headers.add_copy("sec-websocket-accept", websocket_accept(key));
  head.framing = codecs::Framing::Tunnel;
}

}  // namespace crossmux::mux::proxy
