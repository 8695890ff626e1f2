// Reading the origin's record lines, as OriginExchange writes them, and only the new ones.
#include "fuzz/net/origin_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "conformance/origin/origin_app.h"
#include "fuzz/net/target.h"

namespace crossmux::fuzz::net {
namespace {

std::string record(std::string_view method, std::string_view path, std::string_view body) {
  conformance::OriginExchange x("HTTP/1.1", "127.0.0.1:1");
  codecs::MessageHead h;
  h.method = method;
  h.path = path;
  h.authority = "a.test";
  h.headers.add_view("X-Quote", "a\"b\\c\x01");
  h.headers.add_view("Via", "1.1 proxy");
  h.headers.add_view("X-Request-Id", "b27c443b45683e47000000000000015d");  // crossmux adds one
  x.on_head(h);
  x.on_data(codecs::as_bytes(body));
  (void)x.finish();
  return x.record_line();
}

TEST(OriginRecord, ParsesWhatTheOriginWrites) {
  RecordedRequest r;
  ASSERT_TRUE(parse_record(record("POST", "/echo?x=1", "hello"), r));
  EXPECT_EQ(r.protocol, "HTTP/1.1");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/echo?x=1");
  EXPECT_EQ(r.body_length, 5u);
  ASSERT_EQ(r.headers.size(), 3u);
  EXPECT_EQ(r.headers[0].second, "a\"b\\c\x01");
  // Via and X-Request-Id are what proxies add: not compared.
  EXPECT_EQ(r.normalised(),
            "POST /echo?x=1 body=5:" + r.body_sha256.substr(0, 12) + " | x-quote: a\"b\\c\x01");
  EXPECT_FALSE(parse_record("not json", r));
}

TEST(OriginRecord, TheTailReadsOnlyNewLinesAndSkipsTheProbes) {
  const std::string path = testing::TempDir() + "/fuzz_net_record.jsonl";
  std::remove(path.c_str());
  std::ofstream(path) << record("GET", "/old", "");
  RecordTail tail(path);
  tail.mark();
  EXPECT_TRUE(tail.read_new().empty());
  {
    std::ofstream f(path, std::ios::app);
    f << record("GET", "/?" + std::string(kProbeMarker), "") << record("GET", "/new", "");
    f << "{\"method\":\"GET\",\"path\":\"/half";  // still being written
  }
  auto got = tail.read_new();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/new");
  std::ofstream(path, std::ios::app) << "\"}\n";
  got = tail.read_new();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/half");
}

}  // namespace
}  // namespace crossmux::fuzz::net
