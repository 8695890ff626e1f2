// The one Content-Length parser: the HTTP/1.1 and HTTP/2 decoders, translation and the proxy all
// read a length through it, so no two of them can disagree on a value (a smuggling seam).
#pragma once

#include <cstdint>
#include <string_view>

namespace crossmux::codecs {

// The largest length any part of crossmux accepts: what fits a signed 64-bit offset (as nghttp2
// and llhttp bound it too).
inline constexpr uint64_t kMaxContentLength = (uint64_t{1} << 63) - 1;

enum class ContentLengthVerdict : uint8_t {
  Ok = 0,
  Invalid = 1,      // not 1*DIGIT: empty, a sign, whitespace inside, hex, an empty list element
  Overflow = 2,     // a value past kMaxContentLength
  Conflicting = 3,  // a list of different values ("5, 6")
};
std::string_view to_string(ContentLengthVerdict v);

struct ContentLength {
  ContentLengthVerdict verdict = ContentLengthVerdict::Invalid;
  uint64_t value = 0;  // when Ok
  bool list = false;   // when Ok: the value was a list of identical values ("5, 5")
  bool ok() const { return verdict == ContentLengthVerdict::Ok; }
};

// Parses one Content-Length field value (surrounding OWS already trimmed by the decoder, or none:
// HTTP/2 values carry none). RFC 9110 §8.6: Content-Length = 1*DIGIT, so leading zeros are valid
// ("005" is 5). A comma-separated list of identical values, OWS around the commas, may be collapsed
// to one (RFC 9110 §8.6, RFC 9112 §6.3 rule 5); different values are Conflicting; an empty element
// is Invalid (a length is no list: an empty element only hides a second value). Values past
// kMaxContentLength are Overflow, however many leading zeros come first.
inline ContentLength parse_content_length(std::string_view value);

namespace content_length_detail {
// Everything but a plain number of up to 18 digits (content_length.cc).
ContentLength parse_general(std::string_view value);
}  // namespace content_length_detail

// The common case inline: up to 18 digits cannot pass kMaxContentLength (19 digits can).
inline ContentLength parse_content_length(std::string_view value) {
  if (!value.empty() && value.size() <= 18) {
    uint64_t v = 0;
    bool digits = true;
    for (char c : value) {
      digits &= c >= '0' && c <= '9';
      v = v * 10 + static_cast<uint64_t>(static_cast<uint8_t>(c) - '0');
    }
    if (digits) return ContentLength{ContentLengthVerdict::Ok, v, false};
  }
  return content_length_detail::parse_general(value);
}

}  // namespace crossmux::codecs
