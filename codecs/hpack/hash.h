// String hashing for the encoder's static and dynamic table indexes (usable at compile time).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace crossmux::codecs::hpack {

inline constexpr uint64_t kHashMul = 0x9e3779b97f4a7c15ull;

constexpr uint64_t load_le(const char* p, size_t n) {
  if (!std::is_constant_evaluated() && n == 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;  // the targets we build for are little-endian
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// A multiply-xorshift hash over 8-octet words; `seed` chains a value hash onto its name hash.
constexpr uint32_t hash_string(std::string_view s, uint64_t seed = 0) {
  uint64_t h = seed ^ (s.size() * kHashMul);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    h = (h ^ load_le(s.data() + i, 8)) * kHashMul;
    h ^= h >> 32;
  }
  if (i < s.size()) {
    h = (h ^ load_le(s.data() + i, s.size() - i)) * kHashMul;
    h ^= h >> 32;
  }
  h *= kHashMul;
  return static_cast<uint32_t>(h >> 32);
}

}  // namespace crossmux::codecs::hpack
