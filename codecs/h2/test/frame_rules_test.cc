// One row per frame-level rule of RFC 9113 §4-§6 (plus h2spec 4.x/6.x and attack §2.16 frames).
#include "codecs/h2/frame_rules.h"

#include <gtest/gtest.h>

#include <string>

#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {
namespace {

struct Case {
  const char* name;
  uint8_t type;
  uint8_t flags;
  uint32_t stream_id;
  std::string payload;
  uint32_t length_override = UINT32_MAX;  // declared length when it differs from payload size
  bool ok = false;
  Scope scope = Scope::Connection;
  H2Code code = H2Code::NoError;
  const char* detail = "";
};

std::string zeros(size_t n) {
  return std::string(n, '\0');
}
std::string u32(uint32_t v) {
  std::string s(4, '\0');
  store_u32be(reinterpret_cast<uint8_t*>(s.data()), v);
  return s;
}
std::string setting(uint16_t id, uint32_t v) {
  std::string s(6, '\0');
  store_u16be(reinterpret_cast<uint8_t*>(s.data()), id);
  store_u32be(reinterpret_cast<uint8_t*>(s.data()) + 2, v);
  return s;
}

constexpr Scope C = Scope::Connection;
constexpr Scope S = Scope::Stream;

Case ok(const char* name, uint8_t type, uint8_t flags, uint32_t sid, std::string payload) {
  return Case{name, type, flags, sid, std::move(payload), UINT32_MAX, true};
}
Case bad(const char* name, uint8_t type, uint8_t flags, uint32_t sid, std::string payload,
         Scope scope, H2Code code, const char* detail) {
  return Case{name, type, flags, sid, std::move(payload), UINT32_MAX, false, scope, code, detail};
}

const Case kCases[] = {
    // §4.1 / h2spec 4.1/1, 5.5/1: unknown type ignored, even on stream 0.
    ok("unknown_type", 0x16, 0, 0, zeros(8)),
    // h2spec 4.1/2, 4.1/3: unknown flags and the reserved bit are ignored.
    ok("ping_undefined_flags", 6, 0x16, 0, zeros(8)),
    // §4.2 / h2spec 4.2/1: exactly MAX_FRAME_SIZE is fine; 4.2/2: one more is a stream error.
    ok("data_max_frame_size", 0, kFlagEndStream, 1, zeros(16384)),
    bad("data_over_max_frame_size", 0, 0, 1, zeros(16385), S, H2Code::FrameSizeError,
        kFrameTooLarge),
    // h2spec 4.2/3: oversized HEADERS alters connection state -> connection error.
    bad("headers_over_max_frame_size", 1, kFlagEndHeaders, 1, zeros(16385), C,
        H2Code::FrameSizeError, kFrameTooLarge),
    bad("settings_over_max_frame_size", 4, 0, 0, zeros(16386), C, H2Code::FrameSizeError,
        kFrameTooLarge),
    bad("continuation_over_max_frame_size", 9, 0, 1, zeros(16385), C, H2Code::FrameSizeError,
        kFrameTooLarge),
    bad("window_update_stream0_oversized", 8, 0, 0, zeros(16385), C, H2Code::FrameSizeError,
        kFrameTooLarge),
    // §6.1 DATA / h2spec 6.1/1, 6.1/3.
    bad("data_stream0", 0, 0, 0, "test", C, H2Code::ProtocolError, kStreamIdMustNotBeZero),
    bad("data_pad_too_long", 0, kFlagPadded | kFlagEndStream, 1, std::string("\x06", 1) + "test", C,
        H2Code::ProtocolError, kPaddingTooLong),
    bad("data_pad_equals_payload", 0, kFlagPadded, 1, std::string("\x05", 1) + "test", C,
        H2Code::ProtocolError, kPaddingTooLong),
    ok("data_pad_fills_all_but_pad_length", 0, kFlagPadded, 1, std::string("\x04", 1) + "abcd"),
    bad("data_padded_empty", 0, kFlagPadded, 1, "", C, H2Code::FrameSizeError, kFrameTooShort),
    ok("data_empty", 0, 0, 1, ""),
    // §6.2 HEADERS / h2spec 6.2/3, 6.2/4.
    bad("headers_stream0", 1, kFlagEndHeaders, 0, "\x82", C, H2Code::ProtocolError,
        kStreamIdMustNotBeZero),
    bad("headers_pad_too_long", 1, kFlagPadded | kFlagEndHeaders | kFlagEndStream, 1,
        std::string("\x03", 1) + "\x82\x84", C, H2Code::ProtocolError, kPaddingTooLong),
    bad("headers_priority_too_short", 1, kFlagPriority | kFlagEndHeaders, 1, zeros(4), C,
        H2Code::FrameSizeError, kFrameTooShort),
    bad("headers_padded_priority_too_short", 1, kFlagPriority | kFlagPadded, 1, zeros(5), C,
        H2Code::FrameSizeError, kFrameTooShort),
    bad("headers_pad_eats_priority", 1, kFlagPriority | kFlagPadded, 1,
        std::string("\x01", 1) + zeros(5), C, H2Code::ProtocolError, kPaddingTooLong),
    // §5.3.1 / h2spec 5.3.1/1: HEADERS that depends on itself.
    bad("headers_self_dependency", 1, kFlagPriority | kFlagEndHeaders, 1,
        u32(1) + std::string("\x10\x82", 2), S, H2Code::ProtocolError, kSelfDependency),
    // §6.3 PRIORITY / h2spec 6.3/1, 6.3/2, 5.3.1/2.
    bad("priority_stream0", 2, 0, 0, zeros(5), C, H2Code::ProtocolError, kStreamIdMustNotBeZero),
    bad("priority_length_4", 2, 0, 1, zeros(4), S, H2Code::FrameSizeError, kBadFrameLength),
    bad("priority_self_dependency", 2, 0, 1, u32(1) + "\x10", S, H2Code::ProtocolError,
        kSelfDependency),
    ok("priority_other_dependency", 2, 0, 3, u32(1) + "\x10"),
    // §6.4 RST_STREAM / h2spec 6.4/1, 6.4/3.
    bad("rst_stream0", 3, 0, 0, zeros(4), C, H2Code::ProtocolError, kStreamIdMustNotBeZero),
    bad("rst_length_3", 3, 0, 1, zeros(3), C, H2Code::FrameSizeError, kBadFrameLength),
    // §6.5 SETTINGS / h2spec 6.5/1, 6.5/2, 6.5/3.
    bad("settings_ack_with_payload", 4, kFlagAck, 0, zeros(1), C, H2Code::FrameSizeError,
        kSettingsAckWithPayload),
    bad("settings_stream1", 4, 0, 1, setting(3, 100), C, H2Code::ProtocolError,
        kStreamIdMustBeZero),
    bad("settings_length_3", 4, 0, 0, zeros(3), C, H2Code::FrameSizeError,
        kSettingsLengthNotMultipleOf6),
    ok("settings_unknown_id", 4, 0, 0, setting(0xff, 1)),
    ok("settings_ack_empty", 4, kFlagAck, 0, ""),
    // §6.6 PUSH_PROMISE.
    bad("push_promise_stream0", 5, kFlagEndHeaders, 0, u32(2), C, H2Code::ProtocolError,
        kStreamIdMustNotBeZero),
    bad("push_promise_short", 5, kFlagEndHeaders, 1, zeros(3), C, H2Code::FrameSizeError,
        kFrameTooShort),
    bad("push_promise_pad_too_long", 5, kFlagPadded | kFlagEndHeaders, 1,
        std::string("\x01", 1) + u32(2), C, H2Code::ProtocolError, kPaddingTooLong),
    // §6.7 PING / h2spec 6.7/3, 6.7/4, 5.4.1/1.
    bad("ping_stream1", 6, 0, 1, zeros(8), C, H2Code::ProtocolError, kStreamIdMustBeZero),
    bad("ping_stream3", 6, 0, 3, zeros(8), C, H2Code::ProtocolError, kStreamIdMustBeZero),
    bad("ping_length_6", 6, 0, 0, zeros(6), C, H2Code::FrameSizeError, kBadFrameLength),
    // §6.8 GOAWAY / h2spec 6.8/1.
    bad("goaway_stream1", 7, 0, 1, zeros(8), C, H2Code::ProtocolError, kStreamIdMustBeZero),
    bad("goaway_short", 7, 0, 0, zeros(7), C, H2Code::FrameSizeError, kFrameTooShort),
    ok("goaway_with_debug", 7, 0, 0, zeros(8) + "bye"),
    // §6.9 WINDOW_UPDATE / h2spec 6.9/1, 6.9/2, 6.9/3; attack §2.16 (increment 0).
    bad("window_update_zero_conn", 8, 0, 0, u32(0), C, H2Code::ProtocolError, kWindowIncrementZero),
    bad("window_update_zero_stream", 8, 0, 1, u32(0), S, H2Code::ProtocolError,
        kWindowIncrementZero),
    bad("window_update_reserved_bit_only", 8, 0, 1, u32(0x80000000u), S, H2Code::ProtocolError,
        kWindowIncrementZero),
    bad("window_update_length_3", 8, 0, 0, zeros(3), C, H2Code::FrameSizeError, kBadFrameLength),
    ok("window_update_max", 8, 0, 0, u32(0x7fffffff)),
    // §6.10 CONTINUATION.
    bad("continuation_stream0", 9, kFlagEndHeaders, 0, "\x82", C, H2Code::ProtocolError,
        kStreamIdMustNotBeZero),
    // RFC 9218 §7.1 PRIORITY_UPDATE.
    bad("priority_update_stream1", 0x10, 0, 1, u32(1) + "u=1", C, H2Code::ProtocolError,
        kStreamIdMustBeZero),
    bad("priority_update_short", 0x10, 0, 0, zeros(3), C, H2Code::FrameSizeError, kFrameTooShort),
    bad("priority_update_for_stream0", 0x10, 0, 0, u32(0) + "u=1", C, H2Code::ProtocolError,
        kPriorityUpdateStreamZero),
    ok("priority_update_ok", 0x10, 0, 0, u32(5) + "u=1, i"),
};

class FrameRules : public ::testing::TestWithParam<Case> {};

TEST_P(FrameRules, ExactVerdict) {
  const Case& c = GetParam();
  FrameHeader h{
      c.length_override == UINT32_MAX ? static_cast<uint32_t>(c.payload.size()) : c.length_override,
      c.type, c.flags, c.stream_id};
  Result<Frame> f = parse_frame(h, as_bytes(c.payload), kDefaultMaxFrameSize);
  if (c.ok) {
    EXPECT_TRUE(f.has_value()) << to_string(f.error());
    return;
  }
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().scope, c.scope);
  EXPECT_EQ(f.error().h2_code(), c.code) << to_string(f.error());
  EXPECT_EQ(f.error().detail, c.detail) << f.error().detail;
  if (c.scope == Scope::Stream) {
    EXPECT_EQ(f.error().stream_id, c.stream_id);
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc9113, FrameRules, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(FrameRuleTable, EveryKnownTypeHasARow) {
  for (uint8_t t : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10}) EXPECT_TRUE(frame_rule(t).known) << int(t);
  for (uint8_t t : {0xa, 0xf, 0x11, 0xff}) EXPECT_FALSE(frame_rule(t).known) << int(t);
}

TEST(FrameRuleTable, LargerAdvertisedMaxFrameSizeAccepted) {
  std::string payload(20000, 'a');
  FrameHeader h{20000, 0, 0, 1};
  EXPECT_FALSE(parse_frame(h, as_bytes(payload), kDefaultMaxFrameSize).has_value());
  EXPECT_TRUE(parse_frame(h, as_bytes(payload), 1u << 15).has_value());
}

}  // namespace
}  // namespace crossmux::codecs::h2
