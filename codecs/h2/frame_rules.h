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

// RFC 9113 §6.1 DATA .. §6.10 CONTINUATION, RFC 9218 §7.1 PRIORITY_UPDATE, by type code. Rows for
// unknown types have known = false. PRIORITY's wrong length is a *stream* FRAME_SIZE_ERROR (§6.3);
// WINDOW_UPDATE's a connection one (§6.9).
inline constexpr std::array<FrameRule, kFrameRuleCount> kFrameRules = [] {
  std::array<FrameRule, kFrameRuleCount> t{};
  constexpr auto Any = StreamRule::Any, Zero = StreamRule::MustBeZero,
                 NonZero = StreamRule::MustNotBeZero;
  constexpr auto C = Scope::Connection, S = Scope::Stream;
  constexpr uint32_t N = kNoExactLength;
  constexpr uint8_t ES = kFlagEndStream, EH = kFlagEndHeaders, PD = kFlagPadded, PR = kFlagPriority,
                    AK = kFlagAck;
  // clang-format off
  //         known stream   exact min scope flags that matter   padded prio   conn-state
  t[0x0]  = {true, NonZero, N,    0,  C,    ES | PD,            true,  false, false};  // §6.1 DATA
  t[0x1]  = {true, NonZero, N,    0,  C,    ES | EH | PD | PR,  true,  true,  true};   // §6.2
  t[0x2]  = {true, NonZero, 5,    5,  S,    0,                  false, false, false};  // §6.3
  t[0x3]  = {true, NonZero, 4,    4,  C,    0,                  false, false, false};  // §6.4
  t[0x4]  = {true, Zero,    N,    0,  C,    AK,                 false, false, true};   // §6.5
  t[0x5]  = {true, NonZero, N,    4,  C,    EH | PD,            true,  false, true};   // §6.6
  t[0x6]  = {true, Zero,    8,    8,  C,    AK,                 false, false, true};   // §6.7 PING
  t[0x7]  = {true, Zero,    N,    8,  C,    0,                  false, false, true};   // §6.8
  t[0x8]  = {true, Any,     4,    4,  C,    0,                  false, false, false};  // §6.9
  t[0x9]  = {true, NonZero, N,    0,  C,    EH,                 false, false, true};   // §6.10
  t[0x10] = {true, Zero,    N,    4,  C,    0,                  false, false, true};   // 9218 §7.1
  // clang-format on
  // SETTINGS: a length not a multiple of 6 and an ACK with payload are checked by its parser.
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
