// String hashing and equality for the encoder's static and dynamic table indexes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace crossmux::codecs::hpack {

inline constexpr uint64_t kHashMul = 0x9e3779b97f4a7c15ull;

// Little-endian loads that also work at compile time (the static table index is built then).
constexpr uint64_t load_le64(const char* p) {
  if (!std::is_constant_evaluated()) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;  // the targets we build for are little-endian
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

constexpr uint64_t load_le32(const char* p) {
  if (!std::is_constant_evaluated()) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// 1..8 octets folded into a word without a byte loop (overlapping loads, as in wyhash).
constexpr uint64_t load_short(const char* p, size_t n) {
  if (n >= 4) return load_le32(p) | (load_le32(p + n - 4) << 32);
  return static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16 |
         static_cast<uint64_t>(static_cast<uint8_t>(p[n >> 1])) << 8 |
         static_cast<uint64_t>(static_cast<uint8_t>(p[n - 1]));
}

// A multiply-xorshift hash over 8-octet words, for names.
constexpr uint32_t hash_string(std::string_view s) {
  uint64_t h = s.size() * kHashMul;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    h = (h ^ load_le64(s.data() + i)) * kHashMul;
    h ^= h >> 32;
  }
  if (i < s.size()) {
    // The last 8 octets (overlapping what was hashed) when there are that many.
    const uint64_t tail =
        s.size() >= 8 ? load_le64(s.data() + s.size() - 8) : load_short(s.data(), s.size());
    h = (h ^ tail) * kHashMul;
    h ^= h >> 32;
  }
  h *= kHashMul;
  return static_cast<uint32_t>(h >> 32);
}

// Equality of short strings without a call into memcmp: header names and many values are short,
// and overlapping word loads beat the library call for them.
inline bool equal_strings(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n > 32) return std::memcmp(p, q, n) == 0;  // long values: the vectorised library call
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (load_le64(p + i) != load_le64(q + i)) return false;
    }
    return load_le64(p + n - 8) == load_le64(q + n - 8);
  }
  return n == 0 || load_short(p, n) == load_short(q, n);
}

// The key of a (name, value) pair: the name's hash mixed with the value's length and up to three
// 8-octet samples (head, middle, tail), so long values (cookies, user agents) cost O(1). Values
// that differ only outside the samples collide; lookups compare whole strings, so a collision
// costs a probe, never a wrong match.
constexpr uint32_t hash_pair(uint32_t name_hash, std::string_view v) {
  uint64_t h = ((static_cast<uint64_t>(name_hash) << 32) | v.size()) * kHashMul;
  h ^= h >> 29;
  if (v.size() >= 8) {
    h = (h ^ load_le64(v.data())) * kHashMul;
    h ^= h >> 32;
    if (v.size() >= 24) {
      h = (h ^ load_le64(v.data() + v.size() / 2 - 4)) * kHashMul;
      h ^= h >> 32;
    }
    h = (h ^ load_le64(v.data() + v.size() - 8)) * kHashMul;
  } else if (!v.empty()) {
    h = (h ^ load_short(v.data(), v.size())) * kHashMul;
  }
  h ^= h >> 32;
  h *= kHashMul;
  return static_cast<uint32_t>(h >> 32);
}

}  // namespace crossmux::codecs::hpack
