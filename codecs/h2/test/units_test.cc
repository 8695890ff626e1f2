// Small units: SETTINGS ranges, flow windows, the §5.1 transition table, RFC 9218 scheduler.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "codecs/h2/flow_window.h"
#include "codecs/h2/h2_errors.h"
#include "codecs/h2/scheduler.h"
#include "codecs/h2/settings.h"
#include "codecs/h2/stream_state.h"

namespace crossmux::codecs::h2 {
namespace {

TEST(Settings, RangesPerRfc9113_6_5_2) {
  struct Row {
    uint16_t id;
    uint32_t value;
    H2Code code;
    const char* detail;
  };
  const Row rows[] = {
      {2, 2, H2Code::ProtocolError, kEnablePushInvalid},
      {4, 0x80000000u, H2Code::FlowControlError, kInitialWindowTooLarge},
      {5, 16383, H2Code::ProtocolError, kMaxFrameSizeInvalid},
      {5, 1u << 24, H2Code::ProtocolError, kMaxFrameSizeInvalid},
      {8, 2, H2Code::ProtocolError, kEnableConnectInvalid},
  };
  for (const Row& r : rows) {
    Settings s;
    Status st = apply_setting(s, {r.id, r.value});
    ASSERT_FALSE(st.has_value()) << r.id;
    EXPECT_EQ(st.error().h2_code(), r.code);
    EXPECT_EQ(st.error().detail, r.detail);
    EXPECT_EQ(st.error().scope, Scope::Connection);
  }
  Settings s;
  EXPECT_TRUE(apply_setting(s, {5, (1u << 24) - 1}).has_value());
  EXPECT_EQ(s.max_frame_size, (1u << 24) - 1);
  // Both ends of 2^14..2^24-1 are valid: the initial value may be announced again.
  EXPECT_TRUE(apply_setting(s, {5, 1u << 14}).has_value());
  EXPECT_EQ(s.max_frame_size, 1u << 14);
  EXPECT_TRUE(apply_setting(s, {4, 0x7fffffff}).has_value());
  EXPECT_TRUE(apply_setting(s, {0x99, 7}).has_value());  // unknown: ignored
  EXPECT_TRUE(apply_setting(s, {8, 1}).has_value());
  Status withdrawn = apply_setting(s, {8, 0});
  ASSERT_FALSE(withdrawn.has_value());
  EXPECT_EQ(withdrawn.error().detail, kEnableConnectWithdrawn);
  EXPECT_EQ(to_string(SettingId::MaxFrameSize), "SETTINGS_MAX_FRAME_SIZE");
}

TEST(Settings, EncodeOnlyDifferencesPlusPush) {
  Settings s;
  std::array<SettingsEntry, kMaxSettingsEntries> e;
  size_t n = encode_settings(s, e);
  // ENABLE_PUSH=0 always; MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE default to unlimited.
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(e[0], (SettingsEntry{2, 0}));
  s.initial_window_size = 1000;
  s.max_concurrent_streams = 100;
  n = encode_settings(s, e);
  EXPECT_EQ(n, 3u);
}

TEST(FlowWindow, SignedAndBounded) {
  FlowWindow w(10);
  EXPECT_FALSE(w.take(11));
  EXPECT_TRUE(w.take(10));
  EXPECT_TRUE(w.adjust(-5));
  EXPECT_EQ(w.available(), -5);
  EXPECT_EQ(w.room(), 0u);
  EXPECT_TRUE(w.adjust(0x7fffffff));
  EXPECT_FALSE(w.adjust(6));
  EXPECT_EQ(w.available(), 0x7fffffff - 5);
}

TEST(RecvWindow, UpdatesCoalescedAtHalf) {
  RecvWindow r(100);
  EXPECT_TRUE(r.receive(60));
  EXPECT_FALSE(r.receive(41));
  EXPECT_EQ(r.consume(30), 0u);
  EXPECT_EQ(r.consume(20), 50u);
  EXPECT_EQ(r.available(), 90);
  // Shrinking the target releases credit that is now due.
  EXPECT_EQ(r.consume(10), 0u);
  EXPECT_EQ(r.retarget(10), 10u);
  // An exhausted window returns credit at once, so the peer never stalls.
  RecvWindow e(100);
  EXPECT_TRUE(e.receive(100));
  EXPECT_EQ(e.consume(1), 1u);
}

RC_GTEST_PROP(RecvWindow, PeerViewMatchesOurs, ()) {
  uint32_t target = *rc::gen::inRange<uint32_t>(1, 100000);
  RecvWindow r(target);
  int64_t peer = target;  // what the peer may still send
  uint64_t pending = 0;   // received, not yet consumed
  for (int i = 0; i < 200; ++i) {
    if (*rc::gen::arbitrary<bool>() && peer > 0) {
      uint32_t n = *rc::gen::inRange<uint32_t>(1, static_cast<uint32_t>(peer) + 1);
      RC_ASSERT(r.receive(n));
      peer -= n;
      pending += n;
    } else if (pending > 0) {
      uint32_t n = *rc::gen::inRange<uint32_t>(1, static_cast<uint32_t>(pending) + 1);
      pending -= n;
      peer += r.consume(n);
    }
    RC_ASSERT(r.available() == peer);
    // Credit never stalls: with everything consumed the peer can send again.
    if (pending == 0) RC_ASSERT(peer > 0);
  }
}

TEST(StreamState, TableFollowsRfcDiagram) {
  using S = StreamState;
  using E = StreamEvent;
  EXPECT_EQ(transition(S::Idle, E::RecvHeaders), S::Open);
  EXPECT_EQ(transition(S::Idle, E::SendPushPromise), S::ReservedLocal);
  EXPECT_EQ(transition(S::Idle, E::RecvRst), S::Invalid);
  EXPECT_EQ(transition(S::Open, E::RecvEndStream), S::HalfClosedRemote);
  EXPECT_EQ(transition(S::Open, E::SendEndStream), S::HalfClosedLocal);
  EXPECT_EQ(transition(S::HalfClosedRemote, E::SendEndStream), S::Closed);
  EXPECT_EQ(transition(S::HalfClosedRemote, E::RecvHeaders), S::Invalid);
  EXPECT_EQ(transition(S::HalfClosedLocal, E::RecvEndStream), S::Closed);
  EXPECT_EQ(transition(S::ReservedLocal, E::SendHeaders), S::HalfClosedRemote);
  EXPECT_EQ(transition(S::ReservedRemote, E::RecvHeaders), S::HalfClosedLocal);
  EXPECT_EQ(transition(S::Closed, E::SendHeaders), S::Invalid);
  for (size_t s = 0; s < kStreamStateCount; ++s) {
    if (static_cast<S>(s) == S::Idle) continue;
    EXPECT_EQ(transition(static_cast<S>(s), E::SendRst), S::Closed) << s;
    EXPECT_EQ(transition(static_cast<S>(s), E::RecvRst), S::Closed) << s;
  }
  EXPECT_EQ(to_string(S::HalfClosedRemote), "half-closed (remote)");
  EXPECT_TRUE(can_receive(S::HalfClosedLocal));
  EXPECT_FALSE(can_receive(S::HalfClosedRemote));
  EXPECT_TRUE(can_send(S::HalfClosedRemote));
}

TEST(Priority, ParsesRfc9218Members) {
  EXPECT_EQ(parse_priority("u=1, i"), (Priority{1, true}));
  EXPECT_EQ(parse_priority("i=?0, u=7"), (Priority{7, false}));
  EXPECT_EQ(parse_priority("u=9"), (Priority{3, false}));         // out of range ignored
  EXPECT_EQ(parse_priority("x=1;p, u=0"), (Priority{0, false}));  // unknown ignored
  EXPECT_EQ(parse_priority("", Priority{5, true}), (Priority{5, true}));
}

TEST(Scheduler, UrgencyThenSequentialThenRoundRobin) {
  Scheduler s;
  s.push(9, {3, true});
  s.push(7, {3, true});
  s.push(5, {3, false});
  s.push(3, {3, false});
  s.push(11, {1, false});
  EXPECT_EQ(s.pop(), 11u);
  EXPECT_EQ(s.pop(), 3u);  // non-incremental in id order
  s.push(3, {3, false});
  EXPECT_EQ(s.pop(), 3u);  // and one at a time until done
  EXPECT_EQ(s.pop(), 5u);
  EXPECT_EQ(s.pop(), 9u);  // then incremental round robin
  s.push(9, {3, true});
  EXPECT_EQ(s.pop(), 7u);
  EXPECT_EQ(s.pop(), 9u);
  EXPECT_EQ(s.pop(), 0u);
  s.push(1, {2, true});
  s.remove(1, {2, true});
  EXPECT_TRUE(s.empty());
}

TEST(Scheduler, SequentialStreamsLeaveInIdOrderWhateverOrderTheyCameAndWent) {
  Scheduler s;
  for (uint32_t id : {21u, 5u, 13u, 1u, 17u, 9u}) s.push(id, {4, false});
  s.remove(13, {4, false});
  s.remove(2, {4, false});  // not there: nothing changes
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.pop(), 1u);
  s.push(3, {4, false});
  s.remove(21, {4, false});
  for (uint32_t id : {3u, 5u, 9u, 17u, 0u}) EXPECT_EQ(s.pop(), id);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace crossmux::codecs::h2
