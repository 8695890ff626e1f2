// Properties over mutated input: any bytes, at any split, give the same events and output, never
// crash, and keep queued output bounded; the client role parses responses split-independently.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "codecs/testing/split_feed.h"
#include "h2_test_util.h"

namespace crossmux::codecs::h2 {
namespace {

using testing::Wire;

std::string seed_stream() {
  Wire w;
  w.client_handshake();
  w.post(1, "10").data(1, "0123456789", true);
  w.get(3);
  w.headers(5,
            w.block({{":method", "GET"},
                     {":scheme", "https"},
                     {":path", "/a"},
                     {":authority", "x"},
                     {"priority", "u=1, i"}}),
            false, false);
  w.raw(9, kFlagEndHeaders, 5, w.block({{"accept", "*/*"}}));
  w.raw(8, 0, 0, testing::u32(100)).raw(6, 0, 0, "abcdefgh").raw(3, 0, 5, testing::u32(8));
  w.raw(0x10, 0, 0, testing::u32(3) + "u=0");
  w.settings({{4, 100}, {1, 0}});
  return w.str();
}

struct Outcome {
  std::string trace, out;
  bool failed = false;
};

Outcome run(const std::string& input, codecs::testing::Split mode, uint32_t seed, Role role) {
  RecordingSink sink;
  Connection c(role, sink);
  Outcome r;
  std::string first = testing::drain(c);
  codecs::testing::feed_split(input, mode, seed, [&](Bytes b) -> size_t {
    Result<size_t> used = c.feed(b);
    return used ? *used : SIZE_MAX;
  });
  r.out = testing::drain(c);
  r.trace = sink.trace();
  r.failed = c.failed();
  return r;
}

RC_GTEST_PROP(Robustness, MutatedInputIsSplitIndependent, ()) {
  std::string in = seed_stream();
  // Mutations keep the 24-byte preface mostly intact so frames are reached.
  int n = *rc::gen::inRange(0, 8);
  for (int i = 0; i < n; ++i) {
    size_t at = *rc::gen::inRange<size_t>(24, in.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        in[at] = *rc::gen::arbitrary<char>();
        break;
      case 1:
        in.erase(at, *rc::gen::inRange<size_t>(1, 10));
        break;
      default:
        in.insert(at, *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(1, 12),
                                                       rc::gen::arbitrary<char>()));
    }
  }
  uint32_t seed = *rc::gen::arbitrary<uint32_t>();
  Outcome whole = run(in, codecs::testing::Split::Whole, 0, Role::Server);
  Outcome split = run(in, codecs::testing::Split::Random, seed, Role::Server);
  RC_ASSERT(whole.trace == split.trace);
  RC_ASSERT(whole.out == split.out);
  RC_ASSERT(whole.failed == split.failed);
  // Output owed stays proportional to the input, whatever the bytes.
  RC_ASSERT(whole.out.size() <= 64 * in.size() + 4096);
}

TEST(Robustness, BytewiseEqualsWholeOnSeed) {
  std::string in = seed_stream();
  Outcome whole = run(in, codecs::testing::Split::Whole, 0, Role::Server);
  Outcome bytes = run(in, codecs::testing::Split::Bytewise, 0, Role::Server);
  EXPECT_EQ(whole.trace, bytes.trace);
  EXPECT_EQ(whole.out, bytes.out);
  EXPECT_FALSE(whole.failed) << whole.trace;
  EXPECT_NE(whole.trace.find("reset 5 CANCEL"), std::string::npos) << whole.trace;
}

// The client role: a server's byte stream with 1xx, a response with CONTINUATION, DATA and
// trailers, fed at every split after our client opened the streams.
TEST(Robustness, ClientParsesResponsesAtAnySplit) {
  std::string expected;
  for (auto mode : {codecs::testing::Split::Whole, codecs::testing::Split::Bytewise,
                    codecs::testing::Split::Random}) {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    MessageHead h = testing::request_to_a();
    ASSERT_EQ(c.submit_headers(0, h, true).value_or(0), 1u);
    ASSERT_EQ(c.submit_headers(0, h, true).value_or(0), 3u);
    testing::drain(c);
    Wire w;
    w.settings().settings_ack();
    w.headers(1, w.block({{":status", "103"}, {"link", "</s.css>"}}), false);
    std::string block = w.block({{":status", "200"}, {"content-length", "5"}, {"x-a", "1"}});
    w.headers(1, block.substr(0, 3), false, false).raw(9, kFlagEndHeaders, 1, block.substr(3));
    w.data(1, "he", false).data(1, "llo", false).headers(1, w.block({{"x-t", "2"}}), true);
    w.headers(3, w.block({{":status", "204"}}), true);
    std::string trace;
    codecs::testing::feed_split(w.str(), mode, 7, [&](Bytes b) -> size_t {
      Result<size_t> used = c.feed(b);
      return used ? *used : SIZE_MAX;
    });
    EXPECT_FALSE(c.failed());
    if (expected.empty()) {
      expected = sink.trace();
      EXPECT_EQ(sink.count(EventKind::Head), 3u) << expected;
      EXPECT_EQ(sink.count(EventKind::EndOfMessage), 2u);
      EXPECT_EQ(sink.count(EventKind::Trailers), 1u);
      EXPECT_EQ(sink.body(1), "hello");
    } else {
      EXPECT_EQ(sink.trace(), expected) << to_string(mode);
    }
  }
}

}  // namespace
}  // namespace crossmux::codecs::h2
