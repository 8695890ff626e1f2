// Content-Length values (RFC 9110 §8.6): digits, a bound, and lists of identical values.
#include "codecs/base/content_length.h"

namespace crossmux::codecs {

std::string_view to_string(ContentLengthVerdict v) {
  switch (v) {
    case ContentLengthVerdict::Ok:
      return "ok";
    case ContentLengthVerdict::Invalid:
      return "invalid";
    case ContentLengthVerdict::Overflow:
      return "overflow";
    case ContentLengthVerdict::Conflicting:
      return "conflicting";
  }
  return "invalid";
}

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

// One element: 1*DIGIT within the bound. The overflow test is on the value, not on the number
// of digits, so leading zeros never count against it.
ContentLengthVerdict parse_digits(std::string_view e, uint64_t& out) {
  if (e.empty()) return ContentLengthVerdict::Invalid;
  uint64_t v = 0;
  bool overflow = false;
  for (char c : e) {
    if (c < '0' || c > '9') return ContentLengthVerdict::Invalid;
    const auto d = static_cast<uint64_t>(c - '0');
    // Keep scanning after an overflow: a later non-digit makes the value Invalid instead.
    if (overflow || v > (kMaxContentLength - d) / 10) {
      overflow = true;
      continue;
    }
    v = v * 10 + d;
  }
  if (overflow) return ContentLengthVerdict::Overflow;
  out = v;
  return ContentLengthVerdict::Ok;
}

}  // namespace

ContentLength content_length_detail::parse_general(std::string_view value) {
  ContentLength r;
  // The common case, one plain number, without the list machinery.
  if (value.find(',') == std::string_view::npos) {
    r.verdict = parse_digits(value, r.value);
    return r;
  }
  bool first = true;
  size_t start = 0;
  while (true) {
    const size_t comma = value.find(',', start);
    std::string_view e =
        value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
    while (!e.empty() && is_ows(e.front())) e.remove_prefix(1);
    while (!e.empty() && is_ows(e.back())) e.remove_suffix(1);
    uint64_t v = 0;
    if (ContentLengthVerdict d = parse_digits(e, v); d != ContentLengthVerdict::Ok) {
      return ContentLength{d, 0, false};
    }
    if (!first && v != r.value) return ContentLength{ContentLengthVerdict::Conflicting, 0, false};
    r.value = v;
    first = false;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  r.verdict = ContentLengthVerdict::Ok;
  r.list = true;
  return r;
}

}  // namespace crossmux::codecs
