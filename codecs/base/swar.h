// Eight octets at a time: the word-at-a-time tests behind the field checks and case-insensitive
// comparisons that run on every header of every message (Bit Twiddling Hacks, "Determine if a
// word has a zero byte" / "has a byte less than n"). Each test answers exactly whether some octet
// qualifies, not which one: callers re-check a flagged word octet by octet.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace crossmux::codecs::swar {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighBits = 0x8080808080808080ULL;

inline uint64_t load(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// Non-zero when some octet of `w` is below `n` (n <= 128).
constexpr uint64_t any_below(uint64_t w, uint8_t n) {
  return (w - kOnes * n) & ~w & kHighBits;
}

// Non-zero when some octet of `w` equals `b`.
constexpr uint64_t any_equal(uint64_t w, uint8_t b) {
  const uint64_t x = w ^ (kOnes * b);
  return (x - kOnes) & ~x & kHighBits;
}

// `w` with its ASCII capitals ('A'-'Z') made lower case; every other octet unchanged.
constexpr uint64_t ascii_lower(uint64_t w) {
  const uint64_t low7 = w & ~kHighBits;  // sums below cannot carry into the next octet
  const uint64_t above_z = low7 + kOnes * (0x7f - 'Z');
  const uint64_t from_a = low7 + kOnes * (0x80 - 'A');
  const uint64_t upper = from_a & ~above_z & ~w & kHighBits;
  return w | (upper >> 2);  // 0x80 >> 2 == 0x20, the case bit
}

// Per octet of `w`, its high bit set when the octet lies in [lo, hi] (hi < 0x80); exact for
// each octet (no borrow or carry crosses octets).
constexpr uint64_t in_range(uint64_t w, uint8_t lo, uint8_t hi) {
  const uint64_t low7 = w & ~kHighBits;
  const uint64_t from_lo = low7 + kOnes * (0x80 - lo);
  const uint64_t above_hi = low7 + kOnes * (0x7f - hi);
  return from_lo & ~above_hi & ~w & kHighBits;
}

// Per octet of `w`, its high bit set when the octet equals `b`; exact for each octet.
constexpr uint64_t equal_octets(uint64_t w, uint8_t b) {
  const uint64_t x = w ^ (kOnes * b);
  return ~(((x & ~kHighBits) + ~kHighBits) | x) & kHighBits;
}

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// ASCII case-insensitive equality (field names, tokens).
inline bool iequals(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const uint64_t x = load(a.data() + i), y = load(b.data() + i);
    if (x != y && ascii_lower(x) != ascii_lower(y)) return false;
  }
  for (; i < n; ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// True when `s` holds an ASCII capital.
inline bool has_ascii_upper(std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    if (in_range(load(s.data() + i), 'A', 'Z') != 0) return true;
  }
  bool upper = false;
  for (; i < s.size(); ++i) upper |= s[i] >= 'A' && s[i] <= 'Z';
  return upper;
}

// Octets `bad(c)` refuses, looked for a word at a time: `flag(w)` must be non-zero for every word
// holding such an octet (it may flag more: those words are checked octet by octet).
template <class Flag, class Bad>
bool none_of(std::string_view s, Flag&& flag, Bad&& bad) {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (flag(load(p + i)) == 0) continue;
    for (size_t k = i; k < i + 8; ++k) {
      if (bad(static_cast<uint8_t>(p[k]))) return false;
    }
  }
  for (; i < n; ++i) {
    if (bad(static_cast<uint8_t>(p[i]))) return false;
  }
  return true;
}

}  // namespace crossmux::codecs::swar
