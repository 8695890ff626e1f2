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

// Calls `f(offset)` for the words covering `n` >= 8 octets: every 8 octets, then, when `n` is
// not a multiple of 8, the last 8 (overlapping the word before: checks that may see an octet
// twice). Stops at the first false.
template <class F>
bool each_word(size_t n, F&& f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (!f(i)) return false;
  }
  return i == n || f(n - 8);
}

// ASCII case-insensitive equality (field names, tokens).
inline bool iequals(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8) {
    return each_word(n, [&](size_t i) {
      const uint64_t x = load(a.data() + i), y = load(b.data() + i);
      return x == y || ascii_lower(x) == ascii_lower(y);
    });
  }
  for (size_t i = 0; i < n; ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// True when `s` holds an ASCII capital.
inline bool has_ascii_upper(std::string_view s) {
  if (s.size() >= 8) {
    return !each_word(s.size(),
                      [&](size_t i) { return in_range(load(s.data() + i), 'A', 'Z') == 0; });
  }
  bool upper = false;
  for (char c : s) upper |= c >= 'A' && c <= 'Z';
  return upper;
}

// Octets `bad(c)` refuses, looked for a word at a time: `flag(w)` must be non-zero for every word
// holding such an octet (it may flag more: those words are checked octet by octet).
template <class Flag, class Bad>
bool none_of(std::string_view s, Flag&& flag, Bad&& bad) {
  const char* p = s.data();
  const auto octets_ok = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (bad(static_cast<uint8_t>(p[k]))) return false;
    }
    return true;
  };
  if (s.size() < 8) return octets_ok(0, s.size());
  return each_word(s.size(),
                   [&](size_t i) { return flag(load(p + i)) == 0 || octets_ok(i, i + 8); });
}

}  // namespace crossmux::codecs::swar
