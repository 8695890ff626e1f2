// Connection::count_into: frames by type and direction, RST_STREAM/GOAWAY codes, fired limits.
#include "codecs/h2/counters.h"

#include <gtest/gtest.h>

#include "h2_test_util.h"

namespace crossmux::codecs::h2 {
namespace {

using testing::App;
using testing::Server;
using testing::setting;
using testing::u32;

uint64_t frames(const std::array<uint64_t, Counters::kFrameSlots>& a, FrameType t) {
  return a[Counters::frame_slot(static_cast<uint8_t>(t))];
}
uint64_t limit(const Counters& c, LimitKind k) {
  return c.limits[static_cast<size_t>(k)];
}

TEST(Counters, FramesBothWaysMatchWhatThePeerSaw) {
  App client_app, server_app;
  Connection client(Role::Client, client_app), server(Role::Server, server_app);
  client_app.conn = &client;
  server_app.conn = &server;
  Counters cc, sc;
  client.count_into(&cc);
  server.count_into(&sc);
  MessageHead req;
  req.kind = MessageKind::Request;
  req.method = "GET";
  req.scheme = "http";
  req.authority = "example.com";
  req.path = "/size/40000";
  ASSERT_TRUE(client.submit_headers(0, req, true).has_value());
  ASSERT_TRUE(testing::pump(client, server));
  // What one side counted out, the other counted in, type by type (the preface is no frame).
  EXPECT_EQ(cc.frames_out, sc.frames_in);
  EXPECT_EQ(sc.frames_out, cc.frames_in);
  EXPECT_EQ(frames(cc.frames_out, FrameType::Headers), 1u);
  EXPECT_EQ(frames(cc.frames_out, FrameType::Settings), 2u);  // SETTINGS and the ACK
  EXPECT_EQ(frames(sc.frames_out, FrameType::Headers), 1u);
  EXPECT_EQ(frames(sc.frames_out, FrameType::Data), 3u);  // 40000 bytes in 16384-byte frames
  EXPECT_EQ(cc.rst_out, decltype(cc.rst_out){});
  EXPECT_EQ(cc.limits, decltype(cc.limits){});
  client.go_away(H2Code::EnhanceYourCalm);
  ASSERT_TRUE(testing::pump(client, server));
  EXPECT_EQ(cc.goaway_out[0xb], 1u);
  EXPECT_EQ(sc.goaway_in[0xb], 1u);
}

TEST(Counters, RapidResetCountsResetsAndTheBudget) {
  Limits l;
  l.reset_budget = 5;
  Server s({}, l);
  Counters c;
  s.c.count_into(&c);
  for (uint32_t i = 0; i < 10; ++i) s.w.get(2 * i + 1).raw(3, 0, 2 * i + 1, u32(8));
  s.send();
  testing::drain(s.c);
  EXPECT_EQ(s.error, 0xbu);
  // Five resets spend the budget, the sixth fires it; frames after the error are not read.
  EXPECT_EQ(c.rst_in[8], 6u);
  EXPECT_EQ(frames(c.frames_in, FrameType::RstStream), 6u);
  EXPECT_EQ(frames(c.frames_in, FrameType::Headers), 6u);
  EXPECT_EQ(limit(c, LimitKind::ResetBudget), 1u);
  EXPECT_EQ(c.goaway_out[0xb], 1u);
  EXPECT_EQ(limit(c, LimitKind::GlitchBudget), 0u);
}

TEST(Counters, EachLimitIsCountedUnderItsName) {
  {
    Server s;
    Counters c;
    s.c.count_into(&c);
    std::string many;
    for (int i = 0; i < 33; ++i) many += setting(0x99, 1);
    s.w.raw(4, 0, 0, many);
    s.send();
    EXPECT_EQ(limit(c, LimitKind::SettingsEntries), 1u);
  }
  {
    Server s;
    Counters c;
    s.c.count_into(&c);
    s.w.headers(1, "\x82", true, false);
    for (int i = 0; i < 40; ++i) s.w.raw(9, 0, 1, std::string(10, '\x82'));
    s.send();
    EXPECT_EQ(limit(c, LimitKind::Continuations), 1u);
    EXPECT_EQ(frames(c.frames_in, FrameType::Continuation), 33u);  // the 33rd is one too many
  }
  {
    Settings local;
    local.max_concurrent_streams = 1;
    Server s(local);
    Counters c;
    s.c.count_into(&c);
    s.w.get(1, false).get(3);
    s.send();
    testing::drain(s.c);
    EXPECT_EQ(limit(c, LimitKind::ConcurrentStreams), 1u);
    EXPECT_EQ(c.rst_out[7], 1u);  // REFUSED_STREAM
  }
  {
    Limits l;
    l.max_field_count = 8;
    Server s({}, l);
    Counters c;
    s.c.count_into(&c);
    auto fields = testing::Wire::get_fields();
    for (int i = 0; i < 10; ++i) fields.push_back({"x-f", "v"});
    s.w.headers(1, s.w.block(fields), true);
    s.send();
    EXPECT_EQ(limit(c, LimitKind::HeaderFields), 1u);
    EXPECT_EQ(limit(c, LimitKind::HeaderListSize), 0u);
  }
  {
    Limits l;
    l.max_queued_control = 10;
    Server s({}, l);
    Counters c;
    s.c.count_into(&c);
    for (int i = 0; i < 20; ++i) s.w.raw(6, 0, 0, std::string(8, 'p'));
    s.send();
    EXPECT_EQ(limit(c, LimitKind::ControlQueue), 1u);
  }
}

TEST(Counters, SlotNames) {
  EXPECT_EQ(Counters::frame_name(Counters::frame_slot(0x10)), "PRIORITY_UPDATE");
  EXPECT_EQ(Counters::frame_name(Counters::frame_slot(0x42)), "UNKNOWN");
  EXPECT_EQ(Counters::code_name(Counters::code_slot(0xb)), "ENHANCE_YOUR_CALM");
  EXPECT_EQ(Counters::code_name(Counters::code_slot(0x99)), "UNKNOWN");
  EXPECT_EQ(to_string(LimitKind::ResetBudget), "reset_budget");
  EXPECT_EQ(to_string(LimitKind::ConcurrentStreams), "max_concurrent_streams");
}

}  // namespace
}  // namespace crossmux::codecs::h2
