// HTTP/2 frames (RFC 9113 §4, §6; RFC 9218 §7.1): typed views, stateless parse and serialize.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <variant>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/bytes.h"
#include "codecs/base/result.h"

namespace crossmux::codecs::h2 {

enum class FrameType : uint8_t {
  Data = 0x0,
  Headers = 0x1,
  Priority = 0x2,
  RstStream = 0x3,
  Settings = 0x4,
  PushPromise = 0x5,
  Ping = 0x6,
  GoAway = 0x7,
  WindowUpdate = 0x8,
  Continuation = 0x9,
  PriorityUpdate = 0x10,
};
// RFC name ("DATA", "PRIORITY_UPDATE"), or "UNKNOWN".
std::string_view to_string(FrameType t);

// Flag bits (RFC 9113 §6). ACK and END_STREAM share bit 0x1 on different frame types.
inline constexpr uint8_t kFlagEndStream = 0x1;
inline constexpr uint8_t kFlagAck = 0x1;
inline constexpr uint8_t kFlagEndHeaders = 0x4;
inline constexpr uint8_t kFlagPadded = 0x8;
inline constexpr uint8_t kFlagPriority = 0x20;

// RFC 9113 §3.4: the client connection preface, before the client's first SETTINGS. The one copy:
// the connection, the proxy's protocol sniffing, the origin, the conformance probe and the fuzzers
// all use it.
inline constexpr std::string_view kConnectionPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

inline constexpr size_t kFrameHeaderSize = 9;
inline constexpr uint32_t kDefaultMaxFrameSize = 1u << 14;
inline constexpr uint32_t kMaxMaxFrameSize = (1u << 24) - 1;
inline constexpr uint32_t kMaxStreamId = 0x7fffffff;
inline constexpr uint32_t kMaxWindow = 0x7fffffff;

// The 9-octet frame header (RFC 9113 §4.1). `type` stays raw so unknown types survive.
struct FrameHeader {
  uint32_t length = 0;  // 24 bits
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream_id = 0;  // reserved bit cleared on parse
  bool operator==(const FrameHeader&) const = default;
};

// Reads a header from 9 octets; the reserved bit of the stream id is ignored (§4.1).
FrameHeader parse_frame_header(const uint8_t* p);
// Writes 9 octets (reserved bit 0).
void write_frame_header(uint8_t* p, const FrameHeader& h);

// RFC 9113 §5.3 priority fields carried by HEADERS (PRIORITY flag) and PRIORITY.
struct PriorityFields {
  uint32_t dependency = 0;
  bool exclusive = false;
  uint8_t weight = 15;  // wire value (weight - 1)
  bool operator==(const PriorityFields&) const = default;
};

// Frame payloads as views into the parsed input (zero copy). `pad_length` is meaningful when
// `padded`; padding octets are not exposed (their value is not checked, §6.1).
struct DataFrame {
  Bytes data;
  bool end_stream = false;
  bool padded = false;
  uint8_t pad_length = 0;
};
struct HeadersFrame {
  Bytes block;
  bool end_stream = false;
  bool end_headers = false;
  bool padded = false;
  uint8_t pad_length = 0;
  bool has_priority = false;
  PriorityFields priority;
};
struct PriorityFrame {
  PriorityFields priority;
};
struct RstStreamFrame {
  uint32_t code = 0;
};
struct SettingsEntry {
  uint16_t id = 0;
  uint32_t value = 0;
  bool operator==(const SettingsEntry&) const = default;
};
// Entries stay encoded; count() and entry(i) read them in place.
struct SettingsFrame {
  bool ack = false;
  Bytes entries;
  size_t count() const { return entries.size() / 6; }
  SettingsEntry entry(size_t i) const {
    return SettingsEntry{load_u16be(entries.data() + 6 * i),
                         load_u32be(entries.data() + 6 * i + 2)};
  }
};
struct PushPromiseFrame {
  uint32_t promised_id = 0;
  Bytes block;
  bool end_headers = false;
  bool padded = false;
  uint8_t pad_length = 0;
};
struct PingFrame {
  bool ack = false;
  std::array<uint8_t, 8> opaque{};
};
struct GoAwayFrame {
  uint32_t last_stream_id = 0;
  uint32_t code = 0;
  Bytes debug;
};
struct WindowUpdateFrame {
  uint32_t increment = 0;
};
struct ContinuationFrame {
  Bytes block;
  bool end_headers = false;
};
struct PriorityUpdateFrame {
  uint32_t prioritized_id = 0;
  Bytes field_value;  // RFC 9218 Priority field value, e.g. "u=1, i"
};
// A frame of a type this implementation does not know: ignored by receivers (§4.1, §5.5).
struct UnknownFrame {
  uint8_t type = 0;
  Bytes payload;
};

using FramePayload =
    std::variant<DataFrame, HeadersFrame, PriorityFrame, RstStreamFrame, SettingsFrame,
                 PushPromiseFrame, PingFrame, GoAwayFrame, WindowUpdateFrame, ContinuationFrame,
                 PriorityUpdateFrame, UnknownFrame>;

struct Frame {
  FrameHeader header;  // flags hold only the bits that matter for the type (unknown ones cleared)
  FramePayload payload;
};

// Parses one frame whose header was read and whose `payload` holds exactly header.length octets.
// Applies every frame-level rule of frame_rules.h (max frame size, stream id, lengths, padding,
// increment 0, self-dependency); see check_frame_header() and parse_payload() there for the exact
// errors. Unknown types parse as UnknownFrame; unknown flags are dropped. No allocation.
Result<Frame> parse_frame(const FrameHeader& header, Bytes payload, uint32_t max_frame_size);

// HEADERS without the §5.3.1 self-dependency check (header-level checks still apply). A
// self-dependent HEADERS is only a stream error, and its block must still be decoded to keep the
// HPACK context in sync (RFC 9113 §4.3), so the connection needs the frame anyway.
Result<Frame> parse_headers_lenient(const FrameHeader& header, Bytes payload,
                                    uint32_t max_frame_size);

// Serializers: append one complete frame (header + payload) to `out`. The caller keeps payloads
// within the peer's SETTINGS_MAX_FRAME_SIZE; padding octets written are zero.
void write_data(ByteBuffer& out, uint32_t stream_id, Bytes data, bool end_stream);
// Only the 9-octet header of a DATA frame whose `length` payload octets follow in a buffer of
// their own (ByteChain::adopt).
void write_data_header(ByteBuffer& out, uint32_t stream_id, size_t length, bool end_stream);
void write_data_padded(ByteBuffer& out, uint32_t stream_id, Bytes data, bool end_stream,
                       uint8_t pad_length);
void write_headers(ByteBuffer& out, uint32_t stream_id, const HeadersFrame& f);
void write_priority(ByteBuffer& out, uint32_t stream_id, const PriorityFields& p);
void write_rst_stream(ByteBuffer& out, uint32_t stream_id, uint32_t code);
void write_settings(ByteBuffer& out, const SettingsEntry* entries, size_t count);
void write_settings_ack(ByteBuffer& out);
void write_push_promise(ByteBuffer& out, uint32_t stream_id, const PushPromiseFrame& f);
void write_ping(ByteBuffer& out, bool ack, const std::array<uint8_t, 8>& opaque);
void write_goaway(ByteBuffer& out, uint32_t last_stream_id, uint32_t code, Bytes debug);
void write_window_update(ByteBuffer& out, uint32_t stream_id, uint32_t increment);
void write_continuation(ByteBuffer& out, uint32_t stream_id, Bytes block, bool end_headers);
void write_priority_update(ByteBuffer& out, uint32_t prioritized_id, Bytes field_value);
// Any frame, as parse_frame() would return it (unknown types included). Inverse of parse_frame.
void write_frame(ByteBuffer& out, const Frame& f);

}  // namespace crossmux::codecs::h2
