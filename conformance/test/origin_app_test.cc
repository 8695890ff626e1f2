// The origin's endpoints and its request record.
#include "conformance/origin/origin_app.h"

#include <gtest/gtest.h>

namespace crossmux::conformance {
namespace {

ResponsePlan request(std::string_view method, std::string_view path, std::string_view body = "",
                     std::string* record = nullptr) {
  codecs::MessageHead head;
  head.method = method;
  head.scheme = "http";
  head.authority = "origin.test";
  head.path = path;
  head.headers.add_view("content-type", "text/x-test");
  OriginExchange x("HTTP/2", "127.0.0.1:1");
  x.on_head(head);
  if (!body.empty()) {
    x.on_data(codecs::as_bytes(body.substr(0, body.size() / 2)));
    x.on_data(codecs::as_bytes(body.substr(body.size() / 2)));
  }
  auto plan = x.finish();
  if (record) *record = x.record_line();
  return plan;
}

std::string header(const ResponsePlan& p, std::string_view name) {
  for (const auto& [k, v] : p.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST(Origin, RootSaysWhichProtocolArrived) {
  auto p = request("GET", "/");
  EXPECT_EQ(p.status, 200);
  EXPECT_NE(p.body.find("protocol: HTTP/2"), std::string::npos);
  EXPECT_GE(p.total_body(), 5u) << "h2spec's flow-control cases need >= 5 bytes";
  EXPECT_EQ(header(p, "x-origin-protocol"), "HTTP/2");
  EXPECT_EQ(request("POST", "/", "x").status, 200);
}

TEST(Origin, EchoAndSha256) {
  auto e = request("POST", "/echo?x=1", "hello world");
  EXPECT_EQ(e.body, "hello world");
  EXPECT_EQ(header(e, "content-type"), "text/x-test");
  auto h = request("POST", "/sha256", "abc");
  EXPECT_EQ(h.body, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 3\n");
}

TEST(Origin, GeneratedBodies) {
  auto b = request("GET", "/bytes/1048576");
  EXPECT_EQ(b.body_bytes, 1048576u);
  EXPECT_FALSE(b.streaming);
  auto c = request("GET", "/chunked/1000/10");
  EXPECT_TRUE(c.streaming);
  EXPECT_EQ(c.chunk_size, 10u);
  auto s = request("GET", "/slow/20/3");
  EXPECT_EQ(s.delay_ms, 20u);
  EXPECT_EQ(s.body_bytes, 3u);
  EXPECT_NE(generated_byte(0), generated_byte(1));
}

TEST(Origin, TrailersStatusHeadAnd404) {
  auto t = request("POST", "/trailers", "x");
  ASSERT_EQ(t.trailers.size(), 2u);
  EXPECT_EQ(t.trailers[0].first, "grpc-status");
  EXPECT_EQ(request("GET", "/status/503").status, 503);
  auto nc = request("GET", "/status/204");
  EXPECT_TRUE(nc.body.empty());
  EXPECT_EQ(request("GET", "/status/42").status, 404);
  EXPECT_EQ(request("GET", "/bytes/abc").status, 404);
  EXPECT_TRUE(request("HEAD", "/bytes/10").head_only);
}

TEST(Origin, RedirectsEarlyHintsAndCookies) {
  auto r = request("GET", "/status/308");
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(header(r, "location"), "https://www.example.com/landing?from=308");
  EXPECT_EQ(header(request("GET", "/status/200"), "location"), "");
  auto e = request("GET", "/early-hints");
  EXPECT_EQ(e.status, 200);
  ASSERT_EQ(e.interim.size(), 1u);
  EXPECT_EQ(e.interim[0].status, 103);
  ASSERT_EQ(e.interim[0].headers.size(), 2u);
  EXPECT_EQ(e.interim[0].headers[0],
            (std::pair<std::string, std::string>{"link", "</style.css>; rel=preload; as=style"}));
  EXPECT_TRUE(request("GET", "/echo").interim.empty());

  codecs::MessageHead head;
  head.method = "GET";
  head.path = "/cookies";
  head.headers.add_view("cookie", "a=1; b=2");
  head.headers.add_view("Cookie", "c=3");
  OriginExchange x("HTTP/1.1", "127.0.0.1:1");
  x.on_head(head);
  auto c = x.finish();
  EXPECT_EQ(c.body, "cookie: a=1; b=2; c=3\n") << "crumbs joined (RFC 9113 §8.2.3)";
  int set_cookies = 0;
  for (const auto& [k, v] : c.headers) set_cookies += k == "set-cookie";
  EXPECT_EQ(set_cookies, 3) << "each set-cookie is its own field";
}

TEST(Origin, ContinueOnlyWhenABodyIsExpected) {
  auto wants = [](std::string_view expect, codecs::Framing framing, bool decoder_flag) {
    codecs::MessageHead head;
    head.method = "POST";
    head.path = "/echo";
    head.framing = framing;
    head.expect_continue = decoder_flag;
    if (!expect.empty()) head.headers.add_view("expect", expect);
    OriginExchange x("HTTP/2", "127.0.0.1:1");
    x.on_head(head);
    return x.wants_continue();
  };
  EXPECT_TRUE(wants("100-Continue", codecs::Framing::KnownLength, false))
      << "HTTP/2: the field itself";
  EXPECT_TRUE(wants("", codecs::Framing::Streaming, true)) << "HTTP/1.1: the decoder's flag";
  EXPECT_FALSE(wants("100-continue", codecs::Framing::None, false)) << "no body to wait for";
  EXPECT_FALSE(wants("200-ok", codecs::Framing::KnownLength, false));
  EXPECT_FALSE(wants("", codecs::Framing::KnownLength, false));
}

TEST(Origin, RawResponsesAreHttp11Only) {
  codecs::MessageHead head;
  head.method = "GET";
  head.path = "/raw/nul";
  OriginExchange h1("HTTP/1.1", "127.0.0.1:1");
  h1.on_head(head);
  auto p = h1.finish();
  EXPECT_EQ(p.raw,
            std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\0b\r\n\r\nok", 52));
  EXPECT_EQ(request("GET", "/raw/nul").status, 501) << "h2c cannot carry these bytes";
  EXPECT_TRUE(request("GET", "/raw/nul").raw.empty());
  OriginExchange unknown("HTTP/1.1", "127.0.0.1:1");
  head.path = "/raw/nope";
  unknown.on_head(head);
  EXPECT_EQ(unknown.finish().status, 404);
}

TEST(Origin, RecordsWhatArrived) {
  std::string record;
  request("POST", "/echo", "a\"b\n", &record);
  EXPECT_EQ(
      record,
      "{\"protocol\":\"HTTP/2\",\"peer\":\"127.0.0.1:1\",\"method\":\"POST\",\"scheme\":\"http\","
      "\"authority\":\"origin.test\",\"path\":\"/echo\",\"headers\":[[\"content-type\",\"text/"
      "x-test\"]],"
      "\"body_length\":4,\"body_sha256\":"
      "\"ef743c494c8ed766272eef7992607a843799149252822266adc302547587253d\",\"trailers\":[]}\n");
}

}  // namespace
}  // namespace crossmux::conformance
