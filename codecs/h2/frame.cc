// Stateless HTTP/2 frame parse and serialize (RFC 9113 §4.1, §6; RFC 9218 §7.1).
#include "codecs/h2/frame.h"

#include "codecs/h2/frame_rules.h"
#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {

std::string_view to_string(FrameType t) {
  switch (t) {
    case FrameType::Data:
      return "DATA";
    case FrameType::Headers:
      return "HEADERS";
    case FrameType::Priority:
      return "PRIORITY";
    case FrameType::RstStream:
      return "RST_STREAM";
    case FrameType::Settings:
      return "SETTINGS";
    case FrameType::PushPromise:
      return "PUSH_PROMISE";
    case FrameType::Ping:
      return "PING";
    case FrameType::GoAway:
      return "GOAWAY";
    case FrameType::WindowUpdate:
      return "WINDOW_UPDATE";
    case FrameType::Continuation:
      return "CONTINUATION";
    case FrameType::PriorityUpdate:
      return "PRIORITY_UPDATE";
  }
  return "UNKNOWN";
}

FrameHeader parse_frame_header(const uint8_t* p) {
  // RFC 9113 §4.1: the reserved bit MUST be ignored on receipt.
  return FrameHeader{load_u24be(p), p[3], p[4], load_u32be(p + 5) & kMaxStreamId};
}

void write_frame_header(uint8_t* p, const FrameHeader& h) {
  store_u24be(p, h.length);
  p[3] = h.type;
  p[4] = h.flags;
  store_u32be(p + 5, h.stream_id & kMaxStreamId);
}

namespace {

using Parser = Result<FramePayload> (*)(const FrameHeader&, Bytes);

Unexpected<Error> fail(Scope scope, H2Code code, const char* detail, uint32_t stream_id) {
  return unexpected(Error::h2(scope, code, detail, stream_id));
}

// Strips the pad length octet and trailing padding (§6.1, §6.2, §6.6); `fixed` octets of mandatory
// fields follow the pad length and count against the payload the padding must leave.
Status unpad(const FrameHeader& h, Bytes& body, bool& padded, uint8_t& pad_length, size_t fixed) {
  padded = (h.flags & kFlagPadded) != 0;
  if (!padded) return ok();
  pad_length = body[0];
  body = body.subspan(1);
  // §6.1: padding as long as the remaining payload or longer is a connection PROTOCOL_ERROR.
  if (pad_length > body.size() - fixed) {
    return fail(Scope::Connection, H2Code::ProtocolError, kPaddingTooLong, h.stream_id);
  }
  body = body.first(body.size() - pad_length);
  return ok();
}

PriorityFields read_priority(const uint8_t* p) {
  uint32_t word = load_u32be(p);
  return PriorityFields{word & kMaxStreamId, (word >> 31) != 0, p[4]};
}

Result<FramePayload> parse_data(const FrameHeader& h, Bytes body) {
  DataFrame f;
  f.end_stream = (h.flags & kFlagEndStream) != 0;
  if (Status s = unpad(h, body, f.padded, f.pad_length, 0); !s) return unexpected(s.error());
  f.data = body;
  return FramePayload(f);
}

Result<FramePayload> parse_headers_impl(const FrameHeader& h, Bytes body, bool check_dependency) {
  HeadersFrame f;
  f.end_stream = (h.flags & kFlagEndStream) != 0;
  f.end_headers = (h.flags & kFlagEndHeaders) != 0;
  f.has_priority = (h.flags & kFlagPriority) != 0;
  size_t fixed = f.has_priority ? 5 : 0;
  if (Status s = unpad(h, body, f.padded, f.pad_length, fixed); !s) return unexpected(s.error());
  if (f.has_priority) {
    f.priority = read_priority(body.data());
    body = body.subspan(5);
    // RFC 9113 §5.3.1: a stream cannot depend on itself.
    if (check_dependency && f.priority.dependency == h.stream_id) {
      return fail(Scope::Stream, H2Code::ProtocolError, kSelfDependency, h.stream_id);
    }
  }
  f.block = body;
  return FramePayload(f);
}

Result<FramePayload> parse_headers(const FrameHeader& h, Bytes body) {
  return parse_headers_impl(h, body, true);
}

Result<FramePayload> parse_priority(const FrameHeader& h, Bytes body) {
  PriorityFrame f{read_priority(body.data())};
  if (f.priority.dependency == h.stream_id) {
    return fail(Scope::Stream, H2Code::ProtocolError, kSelfDependency, h.stream_id);
  }
  return FramePayload(f);
}

Result<FramePayload> parse_rst_stream(const FrameHeader&, Bytes body) {
  return FramePayload(RstStreamFrame{load_u32be(body.data())});
}

Result<FramePayload> parse_settings(const FrameHeader& h, Bytes body) {
  SettingsFrame f{(h.flags & kFlagAck) != 0, body};
  // RFC 9113 §6.5: ACK with a payload, or a length not a multiple of 6, is FRAME_SIZE_ERROR.
  if (f.ack && !body.empty()) {
    return fail(Scope::Connection, H2Code::FrameSizeError, kSettingsAckWithPayload, 0);
  }
  if (body.size() % 6 != 0) {
    return fail(Scope::Connection, H2Code::FrameSizeError, kSettingsLengthNotMultipleOf6, 0);
  }
  return FramePayload(f);
}

Result<FramePayload> parse_push_promise(const FrameHeader& h, Bytes body) {
  PushPromiseFrame f;
  f.end_headers = (h.flags & kFlagEndHeaders) != 0;
  if (Status s = unpad(h, body, f.padded, f.pad_length, 4); !s) return unexpected(s.error());
  f.promised_id = load_u32be(body.data()) & kMaxStreamId;
  f.block = body.subspan(4);
  return FramePayload(f);
}

Result<FramePayload> parse_ping(const FrameHeader& h, Bytes body) {
  PingFrame f;
  f.ack = (h.flags & kFlagAck) != 0;
  for (size_t i = 0; i < 8; ++i) f.opaque[i] = body[i];
  return FramePayload(f);
}

Result<FramePayload> parse_goaway(const FrameHeader&, Bytes body) {
  return FramePayload(GoAwayFrame{load_u32be(body.data()) & kMaxStreamId,
                                  load_u32be(body.data() + 4), body.subspan(8)});
}

Result<FramePayload> parse_window_update(const FrameHeader& h, Bytes body) {
  WindowUpdateFrame f{load_u32be(body.data()) & kMaxWindow};
  // RFC 9113 §6.9: increment 0 is a stream error on a stream, a connection error on stream 0.
  if (f.increment == 0) {
    return fail(h.stream_id == 0 ? Scope::Connection : Scope::Stream, H2Code::ProtocolError,
                kWindowIncrementZero, h.stream_id);
  }
  return FramePayload(f);
}

Result<FramePayload> parse_continuation(const FrameHeader& h, Bytes body) {
  return FramePayload(ContinuationFrame{body, (h.flags & kFlagEndHeaders) != 0});
}

Result<FramePayload> parse_priority_update(const FrameHeader&, Bytes body) {
  PriorityUpdateFrame f{load_u32be(body.data()) & kMaxStreamId, body.subspan(4)};
  // RFC 9218 §7.1: a prioritized stream id of 0 is a connection PROTOCOL_ERROR.
  if (f.prioritized_id == 0) {
    return fail(Scope::Connection, H2Code::ProtocolError, kPriorityUpdateStreamZero, 0);
  }
  return FramePayload(f);
}

constexpr std::array<Parser, kFrameRuleCount> kParsers = [] {
  std::array<Parser, kFrameRuleCount> t{};
  t[0x0] = parse_data;
  t[0x1] = parse_headers;
  t[0x2] = parse_priority;
  t[0x3] = parse_rst_stream;
  t[0x4] = parse_settings;
  t[0x5] = parse_push_promise;
  t[0x6] = parse_ping;
  t[0x7] = parse_goaway;
  t[0x8] = parse_window_update;
  t[0x9] = parse_continuation;
  t[0x10] = parse_priority_update;
  return t;
}();

}  // namespace

Result<Frame> parse_frame(const FrameHeader& header, Bytes payload, uint32_t max_frame_size) {
  if (Status s = check_frame_header(header, max_frame_size); !s) return unexpected(s.error());
  const FrameRule& rule = frame_rule(header.type);
  Frame f;
  f.header = header;
  if (!rule.known) {
    // RFC 9113 §4.1, §5.5: unknown types are ignored; so are their flags.
    f.header.flags = 0;
    f.payload = UnknownFrame{header.type, payload};
    return f;
  }
  // §4.1: flags without meaning for the type are ignored.
  f.header.flags &= rule.flags;
  Result<FramePayload> p = kParsers[header.type](f.header, payload);
  if (!p) return unexpected(p.error());
  f.payload = *p;
  return f;
}

Result<Frame> parse_headers_lenient(const FrameHeader& header, Bytes payload,
                                    uint32_t max_frame_size) {
  if (Status s = check_frame_header(header, max_frame_size); !s) return unexpected(s.error());
  Frame f;
  f.header = header;
  f.header.flags &= frame_rule(header.type).flags;
  Result<FramePayload> p = parse_headers_impl(f.header, payload, false);
  if (!p) return unexpected(p.error());
  f.payload = *p;
  return f;
}

}  // namespace crossmux::codecs::h2
