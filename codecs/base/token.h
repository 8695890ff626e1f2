// The one token-character set (RFC 9110 §5.6.2 tchar) that every codec and translation use.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

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
constexpr bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kTokenChars[static_cast<uint8_t>(c)]) return false;
  }
  return true;
}

}  // namespace crossmux::codecs
