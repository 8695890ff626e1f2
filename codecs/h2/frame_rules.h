// Frame validity rules of RFC 9113 §4-§6 and RFC 9218 §7.1 as a constexpr table indexed by type.
#pragma once

#include <array>
#include <cstdint>

#include "codecs/base/result.h"
#include "codecs/h2/frame.h"

namespace crossmux::codecs::h2 {

enum class StreamRule : uint8_t { Any = 0, MustBeZero = 1, MustNotBeZero = 2 };

inline constexpr uint32_t kNoExactLength = UINT32_MAX;

// One row per known frame type.
struct FrameRule {
  bool known = false;
  StreamRule stream = StreamRule::Any;
  uint32_t exact_length = kNoExactLength;  // length that must match exactly, if any
  uint32_t min_length = 0;                 // before optional fields (pad length, priority)
  Scope length_scope = Scope::Connection;  // scope of a wrong exact/minimum length
  uint8_t flags = 0;                       // flag bits that carry meaning for this type
  bool padded = false;                     // PADDED flag allowed
  bool priority = false;                   // PRIORITY flag allowed
  // §4.2: an oversized frame that can alter connection state is a connection error.
  bool alters_connection_state = false;
};

inline constexpr size_t kFrameRuleCount = 0x11;

// RFC 9113 §6.x, RFC 9218 §7.1. Rows for unknown types have known = false.
inline constexpr std::array<FrameRule, kFrameRuleCount> kFrameRules = [] {
  std::array<FrameRule, kFrameRuleCount> t{};
  using S = StreamRule;
  // §6.1 DATA
  t[0x0] = {true, S::MustNotBeZero, kNoExactLength, 0, Scope::Connection,
            kFlagEndStream | kFlagPadded, true, false, false};
  // §6.2 HEADERS
  t[0x1] = {true, S::MustNotBeZero, kNoExactLength, 0, Scope::Connection,
            kFlagEndStream | kFlagEndHeaders | kFlagPadded | kFlagPriority, true, true, true};
  // §6.3 PRIORITY: wrong length is a *stream* FRAME_SIZE_ERROR.
  t[0x2] = {true, S::MustNotBeZero, 5, 5, Scope::Stream, 0, false, false, false};
  // §6.4 RST_STREAM
  t[0x3] = {true, S::MustNotBeZero, 4, 4, Scope::Connection, 0, false, false, false};
  // §6.5 SETTINGS (length multiple of 6 and ACK-empty are checked in the payload parser)
  t[0x4] = {true, S::MustBeZero, kNoExactLength, 0, Scope::Connection, kFlagAck, false, false,
            true};
  // §6.6 PUSH_PROMISE
  t[0x5] = {true, S::MustNotBeZero, kNoExactLength, 4, Scope::Connection,
            kFlagEndHeaders | kFlagPadded, true, false, true};
  // §6.7 PING
  t[0x6] = {true, S::MustBeZero, 8, 8, Scope::Connection, kFlagAck, false, false, true};
  // §6.8 GOAWAY
  t[0x7] = {true, S::MustBeZero, kNoExactLength, 8, Scope::Connection, 0, false, false, true};
  // §6.9 WINDOW_UPDATE: length other than 4 is a connection FRAME_SIZE_ERROR.
  t[0x8] = {true, S::Any, 4, 4, Scope::Connection, 0, false, false, false};
  // §6.10 CONTINUATION
  t[0x9] = {true, S::MustNotBeZero, kNoExactLength, 0, Scope::Connection, kFlagEndHeaders, false,
            false, true};
  // RFC 9218 §7.1 PRIORITY_UPDATE: sent on stream 0, at least the 4-octet prioritized id.
  t[0x10] = {true, S::MustBeZero, kNoExactLength, 4, Scope::Connection, 0, false, false, true};
  return t;
}();

// The row for a raw type octet (a row with known = false for unknown types).
inline constexpr FrameRule kUnknownFrameRule{};
constexpr const FrameRule& frame_rule(uint8_t type) {
  return type < kFrameRuleCount ? kFrameRules[type] : kUnknownFrameRule;
}

// Checks what the header alone decides, in this order:
//   length > max_frame_size      FRAME_SIZE_ERROR kFrameTooLarge: connection scope when the type
//                                alters connection state or stream id is 0, else stream (§4.2)
//   stream id rule               connection PROTOCOL_ERROR kStreamIdMustBeZero /
//                                kStreamIdMustNotBeZero (§6.x)
//   exact length                 FRAME_SIZE_ERROR kBadFrameLength, scope from the table
//   minimum length               connection FRAME_SIZE_ERROR kFrameTooShort (also counts the pad
//                                length octet and the 5 priority octets when their flags are set)
// Unknown types pass every check but the size limit.
Status check_frame_header(const FrameHeader& h, uint32_t max_frame_size);

}  // namespace crossmux::codecs::h2
