// Byte-class tables and scanners for HTTP/1.1 syntax (RFC 9110 §5.6.2 token, §5.5 field values).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codecs/base/token.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace crossmux::codecs::h1 {

enum CharClass : uint8_t {
  kCharToken = 1u << 0,       // tchar (RFC 9110 §5.6.2), from codecs/base/token.h
  kCharTarget = 1u << 1,      // RFC 3986 pchar / query characters plus '/', '?', '[' ']' (not '%')
  kCharHost = 1u << 2,        // reg-name, IP-literal and port characters (no '@', no '/')
  kCharHex = 1u << 3,         // HEXDIG
  kCharFieldValue = 1u << 4,  // field-vchar / SP / HTAB / obs-text (RFC 9110 §5.5)
  kCharRegName = 1u << 5,     // reg-name / IPv4 characters without '%' (the fast Host path)
};

namespace detail {
constexpr std::array<uint8_t, 256> make_char_table() {
  std::array<uint8_t, 256> t{};
  auto add = [&t](std::string_view chars, uint8_t cls) {
    for (char c : chars) t[static_cast<uint8_t>(c)] |= cls;
  };
  for (int c = 0; c < 256; ++c) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool digit = c >= '0' && c <= '9';
    if (alpha || digit) t[c] |= kCharTarget | kCharHost | kCharRegName;
    if (is_tchar(static_cast<uint8_t>(c))) t[c] |= kCharToken;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) t[c] |= kCharHex;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) t[c] |= kCharFieldValue;
  }
  add("-._~!$&'()*+,;=:@/?[]", kCharTarget);  // '%' is checked as pct-encoded by the scanners
  add("-._~!$&'()*+,;=:%[]", kCharHost);
  add("-._~!$&'()*+,;=", kCharRegName);
  return t;
}
}  // namespace detail

inline constexpr std::array<uint8_t, 256> kCharTable = detail::make_char_table();

inline bool is_token_char(uint8_t c) {
  return kCharTable[c] & kCharToken;
}
inline bool is_class(uint8_t c, uint8_t cls) {
  return kCharTable[c] & cls;
}

// First byte at or after p outside class `cls`. Reads up to 3 bytes past that byte, so the caller
// guarantees at least 4 readable bytes from any stop position (inside a complete head, every line
// is followed by CRLF and the section by another CRLF, which suffices).
inline const uint8_t* skip_class(const uint8_t* p, uint8_t cls) {
  while (kCharTable[p[0]] & kCharTable[p[1]] & kCharTable[p[2]] & kCharTable[p[3]] & cls) p += 4;
  while (kCharTable[*p] & cls) ++p;
  return p;
}

// The same within [p, end): the first byte outside `cls`, or end. Reads nothing at or past end.
inline const uint8_t* skip_class(const uint8_t* p, const uint8_t* end, uint8_t cls) {
  while (end - p >= 4 &&
         (kCharTable[p[0]] & kCharTable[p[1]] & kCharTable[p[2]] & kCharTable[p[3]] & cls)) {
    p += 4;
  }
  while (p < end && (kCharTable[*p] & cls)) ++p;
  return p;
}

// The byte at p, or 0 at or past end: NUL is refused by every rule of a head, so a parse that runs
// off the end of the bytes it was given fails as it would on a control character.
inline uint8_t byte_at(const uint8_t* p, const uint8_t* end) {
  return p < end ? *p : 0;
}

// Index of the first byte in [p, end) that is a control character (0x00-0x1f except HTAB, or
// 0x7f), or end - p when there is none. Field values end at CR, so this finds both the end of a
// value and any forbidden byte in one scan, 16 bytes at a time.
inline size_t find_value_stop(const uint8_t* p, const uint8_t* end) {
  const uint8_t* start = p;
#if defined(__SSE2__)
  const __m128i k20 = _mm_set1_epi8(0x20);
  const __m128i kNeg1 = _mm_set1_epi8(-1);
  const __m128i k7f = _mm_set1_epi8(0x7f);
  const __m128i kTab = _mm_set1_epi8('\t');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compare: bytes >= 0x80 are negative and excluded by the > -1 test (obs-text).
    __m128i ctl = _mm_and_si128(_mm_cmplt_epi8(v, k20), _mm_cmpgt_epi8(v, kNeg1));
    ctl = _mm_andnot_si128(_mm_cmpeq_epi8(v, kTab), ctl);
    ctl = _mm_or_si128(ctl, _mm_cmpeq_epi8(v, k7f));
    int mask = _mm_movemask_epi8(ctl);
    if (mask != 0) return static_cast<size_t>(p - start) + static_cast<size_t>(__builtin_ctz(mask));
    p += 16;
  }
#endif
  while (p < end && (kCharTable[*p] & kCharFieldValue)) ++p;
  return static_cast<size_t>(p - start);
}

}  // namespace crossmux::codecs::h1
