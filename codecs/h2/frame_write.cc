// HTTP/2 frame serializers (RFC 9113 §4.1, §6; RFC 9218 §7.1): one call appends one frame.
#include <cstring>

#include "codecs/h2/frame.h"

namespace crossmux::codecs::h2 {

namespace {

// Reserves header + payload, writes the header and returns where the payload goes.
uint8_t* begin_frame(ByteBuffer& out, FrameType type, uint8_t flags, uint32_t stream_id,
                     size_t length) {
  uint8_t* p = out.prepare(kFrameHeaderSize + length);
  write_frame_header(
      p, FrameHeader{static_cast<uint32_t>(length), static_cast<uint8_t>(type), flags, stream_id});
  out.commit(kFrameHeaderSize + length);
  return p + kFrameHeaderSize;
}

uint8_t* put(uint8_t* p, Bytes b) {
  if (!b.empty()) std::memcpy(p, b.data(), b.size());
  return p + b.size();
}

void put_priority(uint8_t* p, const PriorityFields& f) {
  store_u32be(p, (f.dependency & kMaxStreamId) | (f.exclusive ? 0x80000000u : 0));
  p[4] = f.weight;
}

}  // namespace

void write_data(ByteBuffer& out, uint32_t stream_id, Bytes data, bool end_stream) {
  uint8_t* p =
      begin_frame(out, FrameType::Data, end_stream ? kFlagEndStream : 0, stream_id, data.size());
  put(p, data);
}

void write_data_header(ByteBuffer& out, uint32_t stream_id, size_t length, bool end_stream) {
  uint8_t* p = out.prepare(kFrameHeaderSize);
  write_frame_header(
      p, FrameHeader{static_cast<uint32_t>(length), static_cast<uint8_t>(FrameType::Data),
                     static_cast<uint8_t>(end_stream ? kFlagEndStream : 0), stream_id});
  out.commit(kFrameHeaderSize);
}

void write_data_padded(ByteBuffer& out, uint32_t stream_id, Bytes data, bool end_stream,
                       uint8_t pad_length) {
  uint8_t flags = kFlagPadded | (end_stream ? kFlagEndStream : 0);
  uint8_t* p = begin_frame(out, FrameType::Data, flags, stream_id, 1 + data.size() + pad_length);
  *p++ = pad_length;
  std::memset(put(p, data), 0, pad_length);
}

void write_headers(ByteBuffer& out, uint32_t stream_id, const HeadersFrame& f) {
  uint8_t flags = (f.end_stream ? kFlagEndStream : 0) | (f.end_headers ? kFlagEndHeaders : 0) |
                  (f.padded ? kFlagPadded : 0) | (f.has_priority ? kFlagPriority : 0);
  size_t length = f.block.size() + (f.padded ? 1 + f.pad_length : 0) + (f.has_priority ? 5 : 0);
  uint8_t* p = begin_frame(out, FrameType::Headers, flags, stream_id, length);
  if (f.padded) *p++ = f.pad_length;
  if (f.has_priority) {
    put_priority(p, f.priority);
    p += 5;
  }
  p = put(p, f.block);
  if (f.padded) std::memset(p, 0, f.pad_length);
}

void write_priority(ByteBuffer& out, uint32_t stream_id, const PriorityFields& f) {
  put_priority(begin_frame(out, FrameType::Priority, 0, stream_id, 5), f);
}

void write_rst_stream(ByteBuffer& out, uint32_t stream_id, uint32_t code) {
  store_u32be(begin_frame(out, FrameType::RstStream, 0, stream_id, 4), code);
}

void write_settings(ByteBuffer& out, const SettingsEntry* entries, size_t count) {
  uint8_t* p = begin_frame(out, FrameType::Settings, 0, 0, 6 * count);
  for (size_t i = 0; i < count; ++i, p += 6) {
    store_u16be(p, entries[i].id);
    store_u32be(p + 2, entries[i].value);
  }
}

void write_settings_ack(ByteBuffer& out) {
  begin_frame(out, FrameType::Settings, kFlagAck, 0, 0);
}

void write_push_promise(ByteBuffer& out, uint32_t stream_id, const PushPromiseFrame& f) {
  uint8_t flags = (f.end_headers ? kFlagEndHeaders : 0) | (f.padded ? kFlagPadded : 0);
  size_t length = 4 + f.block.size() + (f.padded ? 1 + f.pad_length : 0);
  uint8_t* p = begin_frame(out, FrameType::PushPromise, flags, stream_id, length);
  if (f.padded) *p++ = f.pad_length;
  store_u32be(p, f.promised_id & kMaxStreamId);
  p = put(p + 4, f.block);
  if (f.padded) std::memset(p, 0, f.pad_length);
}

void write_ping(ByteBuffer& out, bool ack, const std::array<uint8_t, 8>& opaque) {
  std::memcpy(begin_frame(out, FrameType::Ping, ack ? kFlagAck : 0, 0, 8), opaque.data(), 8);
}

void write_goaway(ByteBuffer& out, uint32_t last_stream_id, uint32_t code, Bytes debug) {
  uint8_t* p = begin_frame(out, FrameType::GoAway, 0, 0, 8 + debug.size());
  store_u32be(p, last_stream_id & kMaxStreamId);
  store_u32be(p + 4, code);
  put(p + 8, debug);
}

void write_window_update(ByteBuffer& out, uint32_t stream_id, uint32_t increment) {
  store_u32be(begin_frame(out, FrameType::WindowUpdate, 0, stream_id, 4), increment & kMaxWindow);
}

void write_continuation(ByteBuffer& out, uint32_t stream_id, Bytes block, bool end_headers) {
  put(begin_frame(out, FrameType::Continuation, end_headers ? kFlagEndHeaders : 0, stream_id,
                  block.size()),
      block);
}

void write_priority_update(ByteBuffer& out, uint32_t prioritized_id, Bytes field_value) {
  uint8_t* p = begin_frame(out, FrameType::PriorityUpdate, 0, 0, 4 + field_value.size());
  store_u32be(p, prioritized_id & kMaxStreamId);
  put(p + 4, field_value);
}

namespace {

struct Writer {
  ByteBuffer& out;
  const FrameHeader& h;
  void operator()(const DataFrame& f) {
    if (f.padded) {
      write_data_padded(out, h.stream_id, f.data, f.end_stream, f.pad_length);
    } else {
      write_data(out, h.stream_id, f.data, f.end_stream);
    }
  }
  void operator()(const HeadersFrame& f) { write_headers(out, h.stream_id, f); }
  void operator()(const PriorityFrame& f) { write_priority(out, h.stream_id, f.priority); }
  void operator()(const RstStreamFrame& f) { write_rst_stream(out, h.stream_id, f.code); }
  void operator()(const SettingsFrame& f) {
    if (f.ack) {
      write_settings_ack(out);
      return;
    }
    uint8_t* p = begin_frame(out, FrameType::Settings, 0, 0, f.entries.size());
    put(p, f.entries);
  }
  void operator()(const PushPromiseFrame& f) { write_push_promise(out, h.stream_id, f); }
  void operator()(const PingFrame& f) { write_ping(out, f.ack, f.opaque); }
  void operator()(const GoAwayFrame& f) { write_goaway(out, f.last_stream_id, f.code, f.debug); }
  void operator()(const WindowUpdateFrame& f) {
    write_window_update(out, h.stream_id, f.increment);
  }
  void operator()(const ContinuationFrame& f) {
    write_continuation(out, h.stream_id, f.block, f.end_headers);
  }
  void operator()(const PriorityUpdateFrame& f) {
    write_priority_update(out, f.prioritized_id, f.field_value);
  }
  void operator()(const UnknownFrame& f) {
    uint8_t* p = out.prepare(kFrameHeaderSize + f.payload.size());
    write_frame_header(
        p, FrameHeader{static_cast<uint32_t>(f.payload.size()), f.type, h.flags, h.stream_id});
    put(p + kFrameHeaderSize, f.payload);
    out.commit(kFrameHeaderSize + f.payload.size());
  }
};

}  // namespace

void write_frame(ByteBuffer& out, const Frame& f) {
  std::visit(Writer{out, f.header}, f.payload);
}

}  // namespace crossmux::codecs::h2
