// Header-level frame checks driven by the kFrameRules table (RFC 9113 §4.2, §6).
#include "codecs/h2/frame_rules.h"

#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {

namespace {

Status rule_failure(Scope scope, H2Code code, const char* detail, uint32_t stream_id) {
  return unexpected(Error::h2(scope, code, detail, stream_id));
}

}  // namespace

Status check_frame_header(const FrameHeader& h, uint32_t max_frame_size) {
  const FrameRule& rule = frame_rule(h.type);
  // RFC 9113 §4.2: a frame that could alter the state of the whole connection makes an oversized
  // frame a connection error; otherwise only the stream is lost.
  if (h.length > max_frame_size) {
    bool conn = rule.alters_connection_state || h.stream_id == 0;
    return rule_failure(conn ? Scope::Connection : Scope::Stream, H2Code::FrameSizeError,
                        kFrameTooLarge, h.stream_id);
  }
  if (!rule.known) return ok();
  if (rule.stream == StreamRule::MustBeZero && h.stream_id != 0) {
    return rule_failure(Scope::Connection, H2Code::ProtocolError, kStreamIdMustBeZero, h.stream_id);
  }
  if (rule.stream == StreamRule::MustNotBeZero && h.stream_id == 0) {
    return rule_failure(Scope::Connection, H2Code::ProtocolError, kStreamIdMustNotBeZero, 0);
  }
  if (rule.exact_length != kNoExactLength && h.length != rule.exact_length) {
    return rule_failure(rule.length_scope, H2Code::FrameSizeError, kBadFrameLength, h.stream_id);
  }
  uint32_t min = rule.min_length;
  if (rule.padded && (h.flags & kFlagPadded)) min += 1;
  if (rule.priority && (h.flags & kFlagPriority)) min += 5;
  if (h.length < min) {
    return rule_failure(Scope::Connection, H2Code::FrameSizeError, kFrameTooShort, h.stream_id);
  }
  return ok();
}

}  // namespace crossmux::codecs::h2
