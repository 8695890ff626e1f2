// The one token-character set (RFC 9110 §5.6.2 tchar) that every codec and translation use.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "codecs/base/swar.h"

namespace crossmux::codecs {

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//       / DIGIT / ALPHA. Every byte class that contains tokens (h1/chars.h, the HTTP/2 field-name
// check, translation) is built from this table.
inline constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<uint8_t>(c)] = true;
  return t;
}();

constexpr bool is_tchar(uint8_t c) {
  return kTokenChars[c];
}

// True when `s` is a non-empty token (method, field name, transfer coding, ...).
// Words of lower-case letters, digits and '-' (nearly every field name) pass eight octets at a
// time; any other word goes octet by octet through the table.
constexpr bool is_token(std::string_view s) {
  const auto octets_ok = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      if (!kTokenChars[static_cast<uint8_t>(s[k])]) return false;
    }
    return true;
  };
  if (s.empty()) return false;
  if (std::is_constant_evaluated() || s.size() < 8) return octets_ok(0, s.size());
  return swar::each_word(s.size(), [&](size_t i) {
    const uint64_t w = swar::load(s.data() + i);
    const uint64_t common =
        swar::in_range(w, 'a', 'z') | swar::in_range(w, '0', '9') | swar::equal_octets(w, '-');
    return common == swar::kHighBits || octets_ok(i, i + 8);
  });
}

}  // namespace crossmux::codecs
