// h2_frame: parse -> serialize -> parse identity over codecs/h2's frame layer (RFC 9113 §4, §6).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "fuzz/common/fuzz_input.h"

using namespace crossmux;
using namespace crossmux::codecs::h2;

namespace {

// Serializes `f`, checks the bytes re-parse to a frame that serializes to the same bytes, and
// that the first serialization kept the length and every payload octet that is not padding.
void check_identity(const Frame& f, uint32_t max_frame_size, bool lenient) {
  codecs::ByteBuffer once;
  write_frame(once, f);
  if (once.size() < kFrameHeaderSize) std::abort();
  FrameHeader h2 = parse_frame_header(once.data());
  if (h2 != f.header) std::abort();  // same length, type, (meaningful) flags and stream id
  if (once.size() != kFrameHeaderSize + h2.length) std::abort();
  codecs::Bytes payload(once.data() + kFrameHeaderSize, h2.length);
  auto again = lenient ? parse_headers_lenient(h2, payload, max_frame_size)
                       : parse_frame(h2, payload, max_frame_size);
  if (!again) std::abort();  // what we serialize from a valid frame must parse
  if (again->payload.index() != f.payload.index()) std::abort();
  codecs::ByteBuffer twice;
  write_frame(twice, *again);
  if (twice.size() != once.size() || std::memcmp(twice.data(), once.data(), once.size()) != 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  // The receiver's SETTINGS_MAX_FRAME_SIZE: mostly the default, sometimes tiny or huge.
  uint8_t pick = in.u8();
  uint32_t max_frame_size = pick < 200   ? kDefaultMaxFrameSize
                            : pick < 230 ? in.range(0, 64)
                                         : in.range(kDefaultMaxFrameSize, kMaxMaxFrameSize);
  while (in.remaining() >= kFrameHeaderSize) {
    auto head = in.bytes(kFrameHeaderSize);
    FrameHeader h = parse_frame_header(head.data());
    // Short inputs still reach every type: the declared length is taken modulo what is left.
    h.length = in.remaining() == 0 ? 0 : h.length % (in.remaining() + 1);
    auto payload = in.bytes(h.length);
    bool lenient = h.type == static_cast<uint8_t>(FrameType::Headers) && (head[4] & 0x80) != 0;
    auto f = lenient ? parse_headers_lenient(h, payload, max_frame_size)
                     : parse_frame(h, payload, max_frame_size);
    if (!f) continue;
    if (f->header.length != h.length || f->header.type != h.type ||
        f->header.stream_id != h.stream_id || (f->header.flags & ~h.flags) != 0) {
      std::abort();  // parsing only ever clears flag bits
    }
    check_identity(*f, max_frame_size, lenient);
  }
  return 0;
}
