// HPACK prefix integer continuation octets (RFC 7541 §5.1).
#include "codecs/hpack/integer.h"

#include "codecs/hpack/hpack_errors.h"

namespace crossmux::codecs::hpack {

const char* decode_integer_tail(const uint8_t*& p, const uint8_t* end, uint32_t value,
                                uint32_t& out) {
  // RFC 7541 §5.1: "Integer encodings that exceed implementation limits -- in value or octet
  // length -- MUST be treated as decoding errors." Our limit is 2^32-1, which five continuation
  // octets always reach; a sixth can only be padding with redundant zero groups.
  uint64_t v = value;
  for (unsigned shift = 0;; shift += 7) {
    if (p == end) return kTruncated;
    if (shift > 28) return kIntegerTooLong;
    const uint8_t b = *p++;
    v += static_cast<uint64_t>(b & 0x7f) << shift;
    if (v > UINT32_MAX) return kIntegerOverflow;
    if ((b & 0x80) == 0) break;
  }
  out = static_cast<uint32_t>(v);
  return nullptr;
}

}  // namespace crossmux::codecs::hpack
