// One test per attack class of attacks-and-fuzzing.md §2: the exact error, and queued output and
// held memory staying under the configured limits.
#include <gtest/gtest.h>

#include "codecs/h2/h2_errors.h"
#include "codecs/hpack/decoder.h"
#include "h2_test_util.h"

namespace crossmux::codecs::h2 {
namespace {

using testing::Output;
using testing::read_output;
using testing::Server;
using testing::setting;
using testing::u32;
using testing::Wire;

using testing::kCalm;
using testing::kCompression;
using testing::kFlow;
using testing::kProtocol;

std::string calm_detail(Server& s) {
  Result<size_t> r = s.c.feed(Bytes());
  return r ? "" : r.error().detail;
}

TEST(Attack, DataDribble_2_1) {
  Server s;
  s.w.raw(4, 0, 0, setting(4, 1)).get(1);
  s.send();
  s.respond(1, std::string(100000, 'z'));
  EXPECT_EQ(s.out().count(FrameType::Data), 1u);  // one 1-byte DATA
  std::string all;
  for (int i = 0; i < 100; ++i) {
    s.w.raw(8, 0, 1, u32(1));
    s.send();
    all += testing::drain(s.c);
  }
  // Exactly one 1-byte DATA per WINDOW_UPDATE, nothing buffered beyond what the window allows.
  EXPECT_EQ(all.size(), 100u * (kFrameHeaderSize + 1));
  EXPECT_EQ(s.c.queued_bytes(1), 100000u - 101u);
  EXPECT_FALSE(s.error);
}

TEST(Attack, PingFlood_2_2) {
  Limits l;
  l.max_queued_control = 100;
  Server s({}, l);
  for (int i = 0; i < 150; ++i) s.w.raw(6, 0, 0, std::string(8, 'p'));
  s.send();
  EXPECT_EQ(s.error, kCalm);
  std::string out = testing::drain(s.c);
  // At most the ACK cap went into the queue before the GOAWAY.
  EXPECT_LE(out.size(), 101u * 17 + 64);
  EXPECT_EQ(std::string(s.c.feed(Bytes()).error().detail), kControlQueueFull);
}

// Provoked RST_STREAMs the peer never reads count against the same unread-control cap as ACKs;
// the detail tells the mixed case (which nghttp2, counting ACKs only, lets through) from an ACK
// flood.
TEST(Attack, ProvokedResetsAndPingsFillTheControlQueue) {
  Limits l;
  l.max_queued_control = 100;
  Server s({}, l);
  for (int i = 0; i < 60; ++i) s.w.raw(6, 0, 0, std::string(8, 'p'));
  for (uint32_t i = 0; i < 60; ++i) {
    s.w.headers(
        2 * i + 1,
        s.w.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"X-Upper", "1"}}),
        true);
  }
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kControlQueueFullWithResets);
}

TEST(Attack, PriorityResourceLoop_2_3) {
  Limits l;
  l.glitch_budget = 50;
  Server s({}, l);
  for (uint32_t i = 0; i < 60; ++i) s.w.raw(2, 0, 2 * i + 1, u32(0) + "\x10");
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kGlitchBudgetSpent);
}

// Streams refused over SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2) cost no reset budget
// (the peer did not reset them) but each is a glitch: a flood of them ends in ENHANCE_YOUR_CALM.
TEST(Attack, RefusedStreamFloodSpendsTheGlitchBudget) {
  Settings one;
  one.max_concurrent_streams = 1;
  Limits l;
  l.glitch_budget = 20;
  Server s(one, l);
  s.w.post(1);  // stays open
  for (uint32_t i = 1; i <= 30; ++i) s.w.get(2 * i + 1);
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kGlitchBudgetSpent);
}

TEST(Attack, ResetFlood_2_4) {
  Server s;  // reset budget 200 < control queue 1000
  for (uint32_t i = 0; i < 300; ++i) {
    s.w.headers(
        2 * i + 1,
        s.w.block({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"X-Upper", "1"}}),
        true);
  }
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kResetBudgetSpent);
  Output o = s.out();
  EXPECT_LE(o.count(FrameType::RstStream), 201u);
  EXPECT_EQ(s.sink.count(EventKind::Head), 0u);
}

TEST(Attack, SettingsFlood_2_5) {
  {
    Limits l;
    l.max_queued_control = 100;
    Server s({}, l);
    for (int i = 0; i < 150; ++i) s.w.settings();
    s.send();
    EXPECT_EQ(s.error, kCalm);
    EXPECT_EQ(calm_detail(s), kControlQueueFull);
  }
  {
    Server s;
    std::string many;
    for (int i = 0; i < 33; ++i) many += setting(0x99, 1);
    s.w.raw(4, 0, 0, many);
    s.send();
    EXPECT_EQ(s.error, kCalm);
    EXPECT_EQ(calm_detail(s), kTooManySettings);
  }
  {
    // Exactly max_settings_entries (32) is within the limit: acknowledged.
    Server s;
    std::string most;
    for (int i = 0; i < 32; ++i) most += setting(0x99, 1);
    s.w.raw(4, 0, 0, most);
    s.send();
    EXPECT_EQ(s.error, std::nullopt);
    Output o = s.out();
    ASSERT_EQ(o.count(FrameType::Settings), 1u);
    EXPECT_TRUE(std::get<SettingsFrame>(o.frames[0].payload).ack);
  }
}

TEST(Attack, ZeroLengthHeaders_2_6) {
  Server s;
  std::string block = s.w.block(Wire::get_fields());
  for (int i = 0; i < 100; ++i) block += std::string(3, '\0');
  s.w.headers(1, block, true);
  s.expect_stream_error(1, kProtocol);
  EXPECT_EQ(s.sink.count(EventKind::Head), 0u);
  // The block was decoded: the connection lives on with HPACK in sync.
  s.w.get(3);
  s.send();
  EXPECT_EQ(s.sink.count(EventKind::Head), 1u);
}

TEST(Attack, EmptyFramesFlood_2_8) {
  Limits l;
  l.glitch_budget = 100;
  Server s({}, l);
  s.w.post(1);
  for (int i = 0; i < 150; ++i) s.w.data(1, "", false);
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kGlitchBudgetSpent);
}

TEST(Attack, RapidReset_2_9) {
  Server s;
  for (uint32_t i = 0; i < 1000; ++i) s.w.get(2 * i + 1).raw(3, 0, 2 * i + 1, u32(8));
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kResetBudgetSpent);
  // Dispatch stopped at the budget (200 by default), not at the 1000 attempts.
  EXPECT_LE(s.sink.count(EventKind::Head), 201u);
  EXPECT_EQ(s.c.stream_count(), 0u);
}

TEST(Attack, RapidResetBudgetRefilledByCleanStreams) {
  Limits l;
  l.reset_budget = 10;
  Server s({}, l);
  // Well-behaved traffic between resets keeps the connection alive.
  for (uint32_t i = 0; i < 50; ++i) {
    uint32_t a = 4 * i + 1, b = 4 * i + 3;
    s.w.get(a).raw(3, 0, a, u32(8)).get(b);
    s.send();
    s.respond(b, "ok");
    testing::drain(s.c);
  }
  EXPECT_FALSE(s.error);
}

TEST(Attack, MadeYouReset_2_10) {
  Server s;
  for (uint32_t i = 0; i < 300; ++i) s.w.post(2 * i + 1).raw(8, 0, 2 * i + 1, u32(0));
  s.send();
  EXPECT_EQ(s.error, kCalm);
  EXPECT_EQ(calm_detail(s), kResetBudgetSpent);
  EXPECT_EQ(s.c.stream_count(), 0u);
}

TEST(Attack, MadeYouResetOtherPrimitives_2_10) {
  // DATA after END_STREAM, window overflow and bad PRIORITY length each cost a token.
  Limits l;
  l.reset_budget = 3;
  Server s({}, l);
  s.w.get(1).data(1, "x", true);
  s.w.post(3).raw(8, 0, 3, u32(0x7fffffff));
  s.w.post(5).raw(2, 0, 5, std::string(4, '\0'));
  s.send();
  EXPECT_FALSE(s.error);
  s.w.post(7).raw(8, 0, 7, u32(0));
  s.send();
  EXPECT_EQ(s.error, kCalm);
}

Limits header_block_bytes(size_t n) {
  Limits l;
  l.max_header_block_bytes = n;
  return l;
}

TEST(Attack, ContinuationFlood_2_11) {
  {
    Server s;
    s.w.headers(1, "\x82", true, false);
    for (int i = 0; i < 100; ++i) s.w.raw(9, 0, 1, std::string(10, '\x82'));
    s.send();
    EXPECT_EQ(s.error, kCalm);
    EXPECT_EQ(calm_detail(s), kTooManyContinuations);
  }
  {
    Server s({}, header_block_bytes(40000));
    s.w.headers(1, "\x82", true, false);
    for (int i = 0; i < 5; ++i) s.w.raw(9, 0, 1, std::string(16000, '\x82'));
    s.send();
    EXPECT_EQ(s.error, kCalm);
    EXPECT_EQ(calm_detail(s), kHeaderBlockTooLarge);
  }
  {
    // The opening fragment alone already over the bound: refused at once, not buffered until a
    // CONTINUATION that may never come.
    Server s({}, header_block_bytes(1024));
    s.w.headers(1, std::string(2000, '\x82'), true, false);
    s.send();
    EXPECT_EQ(s.error, kCalm);
    EXPECT_EQ(calm_detail(s), kHeaderBlockTooLarge);
  }
  {
    // An opening fragment of exactly the bound is buffered; the next octet is one too many.
    Server s({}, header_block_bytes(1024));
    s.w.headers(1, std::string(1024, '\x82'), true, false);
    s.send();
    EXPECT_EQ(s.error, std::nullopt);
    s.w.raw(9, 0, 1, "\x82");
    s.send();
    EXPECT_EQ(s.error, kCalm);
    EXPECT_EQ(calm_detail(s), kHeaderBlockTooLarge);
  }
  {
    // Fragments adding up to exactly the bound make a block (decoded, then refused as a
    // request: it repeats :method); nothing here is a connection error.
    Server s({}, header_block_bytes(1024));
    s.w.headers(1, std::string(1000, '\x82'), true, false);
    s.w.raw(9, 0x4, 1, std::string(24, '\x82'));
    s.send();
    EXPECT_EQ(s.error, std::nullopt);
  }
}

TEST(Attack, HpackBomb_2_12) {
  Server s;
  // One 4000-byte table entry (literal with incremental indexing, RFC 7541 §6.2.1), then blocks
  // referencing it 16000 times each (64 MB if materialized).
  std::string lit = std::string("\x40\x01x\x7f\xa1\x1e", 6) + std::string(4000, 'v');
  s.w.headers(1, s.w.block(Wire::get_fields()) + lit, true);
  s.send();
  ASSERT_FALSE(s.error);
  EXPECT_EQ(s.sink.count(EventKind::Head), 1u);
  for (uint32_t sid = 3; sid < 23; sid += 2) {
    s.w.headers(sid, std::string("\x82\x86\x84") + std::string(16000, '\xbe'), true);
  }
  s.send();
  EXPECT_FALSE(s.error);
  Output o = s.out();
  for (uint32_t sid = 3; sid < 23; sid += 2) EXPECT_EQ(o.rst_code(sid), kProtocol) << sid;
  EXPECT_EQ(s.c.last_stream_error().detail, kHeaderListTooLarge);
  EXPECT_EQ(s.sink.count(EventKind::Head), 1u);
}

TEST(Attack, HpackBombAnswered431WhenConfigured) {
  Limits l;
  l.answer_malformed = true;
  Server s({}, l);
  std::string block = s.w.block(Wire::get_fields());
  for (int i = 0; i < 300; ++i) block += s.w.block({{"x-a", std::string(300, 'a')}});
  s.w.headers(1, block, true);
  s.send();
  hpack::Decoder d;
  hpack::DecodedBlock fields;
  Output o = s.out();
  ASSERT_GE(o.frames.size(), 1u);
  auto* h = std::get_if<HeadersFrame>(&o.frames[0].payload);
  ASSERT_NE(h, nullptr);
  ASSERT_TRUE(d.decode(h->block, fields).has_value());
  EXPECT_EQ(fields[0].value, "431");
}

TEST(Attack, TableSizeAbuse_2_13) {
  {
    Server s;
    s.w.raw(4, 0, 0, setting(1, 0xffffffffu)).get(1);
    s.send();
    MessageHead r;
    r.kind = MessageKind::Response;
    r.status = 200;
    for (int i = 0; i < 50; ++i)
      r.headers.add_copy("x-h" + std::to_string(i), std::string(100, 'a'));
    ASSERT_TRUE(s.c.submit_headers(1, r, true).has_value());
    // Our encoder kept its table within its own cap: a 4096-byte decoder follows it.
    hpack::Decoder d;
    hpack::DecodedBlock fields;
    Output o = s.out();
    auto* h = std::get_if<HeadersFrame>(&o.frames.back().payload);
    ASSERT_NE(h, nullptr);
    EXPECT_TRUE(d.decode(h->block, fields).has_value());
  }
  {
    Server s;  // size update above what we advertised (4096)
    s.w.headers(1, std::string("\x3f\xe1\x3f", 3) + "\x82\x86\x84", true);
    s.expect_conn_error(kCompression);
  }
}

TEST(Attack, HpackIntegerOverflow_2_14) {
  Server s;
  s.w.headers(1, "\x1f\xff\xff\xff\xff\xff\xff\xff\xff\x7f", true);
  s.expect_conn_error(kCompression);
}

TEST(Attack, FlowControlOverflow_2_16) {
  {
    Server s;  // an INITIAL_WINDOW_SIZE increase that overflows an open stream's window
    s.w.post(1).raw(8, 0, 1, u32(0x7fffffff - 65535)).raw(4, 0, 0, setting(4, 65536));
    s.expect_conn_error(kFlow);
    EXPECT_EQ(calm_detail(s), kSettingsWindowOverflow);
  }
  {
    Server s;  // negative windows are legal and tracked
    s.w.raw(4, 0, 0, setting(4, 500)).get(1);
    s.send();
    s.respond(1, std::string(1000, 'a'));
    s.out();
    s.w.raw(4, 0, 0, setting(4, 0));
    s.send();
    EXPECT_EQ(s.c.send_window(1), -500);
    EXPECT_FALSE(s.error);
  }
  {
    Server s;  // DATA beyond the stream window we advertised
    s.w.post(1).data(1, std::string(16384, 'a'), false).data(1, std::string(16384, 'a'), false);
    s.w.data(1, std::string(16384, 'a'), false).data(1, std::string(16384, 'a'), false);
    s.send();
    EXPECT_FALSE(s.error);
    s.w.data(1, "x", false);
    s.expect_stream_error(1, kFlow);
  }
}

TEST(Attack, TinyPeerMaxHeaderListSize_2_17) {
  Server s;
  s.w.raw(4, 0, 0, setting(6, 1)).get(1);
  s.send();
  s.respond(1, "ok");  // advisory: the response still goes out
  EXPECT_EQ(s.out().count(FrameType::Headers), 1u);
}

TEST(Attack, SlowHeaders_2_18) {
  Server s;
  s.w.headers(1, "\x82", true, false);
  s.send();
  Deadline d = s.c.deadline(DeadlineKind::HeaderCompletion);
  ASSERT_TRUE(d.armed);
  s.c.on_timeout(DeadlineKind::HeaderCompletion, d.serial);
  EXPECT_EQ(calm_detail(s), kHeaderTimeout);
  EXPECT_EQ(s.out().goaway_code(), kCalm);
}

TEST(Attack, GoAwayLastStreamIdMustNotIncrease_2_19) {
  Server s;
  s.w.raw(7, 0, 0, u32(5) + u32(0)).raw(7, 0, 0, u32(7) + u32(0));
  s.expect_conn_error(kProtocol);
}

}  // namespace
}  // namespace crossmux::codecs::h2
