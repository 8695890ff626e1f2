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

TEST(Origin, RecordsWhatArrived) {
  std::string record;
  request("POST", "/echo", "a\"b\n", &record);
  EXPECT_EQ(record,
            "{\"protocol\":\"HTTP/2\",\"peer\":\"127.0.0.1:1\",\"method\":\"POST\",\"scheme\":\"http\","
            "\"authority\":\"origin.test\",\"path\":\"/echo\",\"headers\":[[\"content-type\",\"text/x-test\"]],"
            "\"body_length\":4,\"body_sha256\":\"ef743c494c8ed766272eef7992607a843799149252822266adc302547587253d\",\"trailers\":[]}\n");
}

}  // namespace
}  // namespace crossmux::conformance
