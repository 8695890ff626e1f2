// HPACK prefix integers (RFC 7541 §5.1): decoding with overflow checks, and encoding.
#pragma once

#include <cstddef>
#include <cstdint>

namespace crossmux::codecs::hpack {

// Longest encoding we ever produce or accept: the prefix octet plus five continuation octets,
// which hold any value up to 2^32-1.
inline constexpr size_t kMaxIntegerBytes = 6;

// Decodes the continuation octets of an integer whose N-bit prefix was all ones (`value` holds the
// prefix value). Returns nullptr on success or the error detail: kTruncated (input ends inside the
// integer), kIntegerOverflow (value > 2^32-1), kIntegerTooLong (more than five continuation
// octets, e.g. redundant zero octets). Advances `p` past what it read.
const char* decode_integer_tail(const uint8_t*& p, const uint8_t* end, uint32_t value,
                                uint32_t& out);

// Decodes an integer with an N-bit prefix (1 <= prefix_bits <= 8) starting at *p; requires
// p < end. Same errors as decode_integer_tail().
inline const char* decode_integer(const uint8_t*& p, const uint8_t* end, unsigned prefix_bits,
                                  uint32_t& out) {
  const uint32_t mask = (1u << prefix_bits) - 1;
  const uint32_t v = *p++ & mask;
  if (v < mask) {
    out = v;
    return nullptr;
  }
  return decode_integer_tail(p, end, v, out);
}

// Octets encode_integer() writes for `value` with an N-bit prefix.
inline size_t integer_size(uint32_t value, unsigned prefix_bits) {
  const uint32_t mask = (1u << prefix_bits) - 1;
  if (value < mask) return 1;
  size_t n = 2;
  for (value -= mask; value >= 0x80; value >>= 7) ++n;
  return n;
}

// Writes `value` with an N-bit prefix; `flags` are the representation bits above the prefix.
// `out` needs kMaxIntegerBytes. Returns the octets written.
inline size_t encode_integer(uint8_t* out, uint32_t value, unsigned prefix_bits, uint8_t flags) {
  const uint32_t mask = (1u << prefix_bits) - 1;
  if (value < mask) {
    out[0] = static_cast<uint8_t>(flags | value);
    return 1;
  }
  out[0] = static_cast<uint8_t>(flags | mask);
  value -= mask;
  size_t n = 1;
  while (value >= 0x80) {
    out[n++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<uint8_t>(value);
  return n;
}

}  // namespace crossmux::codecs::hpack
