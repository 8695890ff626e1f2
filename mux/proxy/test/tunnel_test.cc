// WebSocket handshake translation between HTTP/1.1 Upgrade and HTTP/2 extended CONNECT (RFC 8441)
// and what counts as a tunnel request.
#include "mux/proxy/exchange/tunnel.h"

#include <gtest/gtest.h>

namespace crossmux::mux::proxy {
namespace {

codecs::MessageHead upgrade_request(std::string_view upgrade) {
  codecs::MessageHead h;
  h.method = "GET";
  h.authority = "a.test";
  h.path = "/chat";
  h.framing = codecs::Framing::Tunnel;  // as the HTTP/1.1 decoder marks an upgrade request
  h.headers.add_view("Upgrade", upgrade);
  h.headers.add_view("Connection", "Upgrade");
  h.headers.add_view("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  h.headers.add_view("Sec-WebSocket-Version", "13");
  return h;
}

TEST(Tunnel, AcceptMatchesRfc6455Example) {
  // RFC 6455 §1.3.
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Tunnel, KeysAreFreshBase64Of16Bytes) {
  const std::string a = websocket_key(), b = websocket_key();
  EXPECT_EQ(a.size(), 24u);
  EXPECT_TRUE(a.ends_with("=="));
  EXPECT_NE(a, b);
}

TEST(Tunnel, Kinds) {
  EXPECT_EQ(tunnel_kind(upgrade_request("websocket")), TunnelKind::WebSocket);
  EXPECT_EQ(tunnel_kind(upgrade_request("foo/1, WebSocket")), TunnelKind::WebSocket);
  EXPECT_EQ(tunnel_kind(upgrade_request("h2c")), TunnelKind::None) << "h2c is never tunnelled";
  auto plain = upgrade_request("websocket");
  plain.framing = codecs::Framing::None;  // a request with a body: no upgrade (RFC 9110 §7.8)
  EXPECT_EQ(tunnel_kind(plain), TunnelKind::None);
  // RFC 6455 §4.1: only a GET opens a WebSocket; a bodiless DELETE with Upgrade: websocket stays
  // a DELETE (mux_session: it became an extended CONNECT, a GET to HTTP/1.1 backends).
  for (std::string_view method : {"DELETE", "HEAD", "POST", "OPTIONS"}) {
    auto other = upgrade_request("websocket");
    other.method = method;
    EXPECT_EQ(tunnel_kind(other), TunnelKind::None) << method;
  }
  codecs::MessageHead c;
  c.method = "CONNECT";
  c.authority = "db.internal:5432";
  EXPECT_EQ(tunnel_kind(c), TunnelKind::Connect);
  c.protocol = "websocket";
  EXPECT_EQ(tunnel_kind(c), TunnelKind::WebSocket);
  c.protocol = "webtransport";
  EXPECT_EQ(tunnel_kind(c), TunnelKind::Extended);
  // RFC 6455 §4.2.1: "websocket" is an ASCII case-insensitive value, as :protocol carries it.
  c.protocol = "WebSocket";
  EXPECT_EQ(tunnel_kind(c), TunnelKind::WebSocket);
  // RFC 9110 §5.6.1: optional whitespace around each list element.
  EXPECT_EQ(tunnel_kind(upgrade_request("websocket , foo/1")), TunnelKind::WebSocket);
}

// RFC 9110 §7.8: a 101 switches to the protocols its Upgrade lists. A proxy carrying WebSocket
// accepts exactly that one: "h2c, websocket" would switch the connection to h2c too, bytes no
// check of ours reads (RFC 9113 §3.1's smuggling route).
TEST(Tunnel, A101MustSwitchToWebSocketAlone) {
  EXPECT_TRUE(only_websocket("websocket"));
  EXPECT_TRUE(only_websocket("WebSocket"));
  EXPECT_TRUE(only_websocket(" websocket ,"));
  EXPECT_FALSE(only_websocket("h2c, websocket"));
  EXPECT_FALSE(only_websocket("websocket, h2c"));
  EXPECT_FALSE(only_websocket("websocket, websocket"));
  EXPECT_FALSE(only_websocket("h2c"));
  EXPECT_FALSE(only_websocket(""));
}

TEST(Tunnel, UpgradeBecomesExtendedConnectAndBack) {
  auto h = upgrade_request("websocket");
  websocket_request_for_h2(h);
  EXPECT_EQ(h.method, "CONNECT");
  EXPECT_EQ(h.protocol, "websocket");
  EXPECT_EQ(h.path, "/chat");
  EXPECT_EQ(h.headers.find("sec-websocket-key"), nullptr) << "RFC 8441 §5: no key over HTTP/2";
  EXPECT_NE(h.headers.find("sec-websocket-version"), nullptr);

  websocket_request_for_h1(h);
  EXPECT_EQ(h.method, "GET");
  EXPECT_TRUE(h.protocol.empty());
  EXPECT_EQ(h.framing, codecs::Framing::Tunnel);
  ASSERT_NE(h.headers.find("upgrade"), nullptr);
  EXPECT_EQ(h.headers.find("upgrade")->value, "websocket");
  ASSERT_NE(h.headers.find("sec-websocket-key"), nullptr);
  EXPECT_EQ(h.headers.find("sec-websocket-key")->value.size(), 24u);
}

TEST(Tunnel, ResponsesSwap101And200) {
  codecs::MessageHead r;
  r.kind = codecs::MessageKind::Response;
  r.status = 101;
  r.headers.add_view("Upgrade", "websocket");
  r.headers.add_view("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  websocket_response_for_h2(r);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.find("sec-websocket-accept"), nullptr);

  websocket_response_for_h1(r, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(r.status, 101);
  EXPECT_EQ(r.framing, codecs::Framing::Tunnel);
  ASSERT_NE(r.headers.find("sec-websocket-accept"), nullptr);
  EXPECT_EQ(r.headers.find("sec-websocket-accept")->value, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(r.headers.count("upgrade"), 1u);
}

}  // namespace
}  // namespace crossmux::mux::proxy
