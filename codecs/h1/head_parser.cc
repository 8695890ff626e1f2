// Start-line and field-line tokenizing for HTTP/1.1 heads and trailer sections.
#include "codecs/h1/head_parser.h"

#include <array>
#include <bit>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string>

#include "codecs/h1/chars.h"
#include "codecs/h1/field_facts.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

std::string_view to_string(ObsFoldPolicy p) {
  return p == ObsFoldPolicy::Reject ? "reject" : "replace-with-space";
}

Error decode_error(MessageKind kind, uint32_t status, const char* detail) {
  if (kind == MessageKind::Response) return Error::http(502, detail, Side::Backend);
  return Error::http(status, detail, Side::Client);
}

// Bitmasks of the LF and CR bytes in p[0, n), n <= 64: SSE2 compares 16 bytes at a time, bytes
// past the last full 16 are tested one by one (the buffer may end there).
static inline void line_masks(const uint8_t* p, size_t n, uint64_t& lf, uint64_t& cr) {
  lf = cr = 0;
  size_t k = 0;
#if defined(__SSE2__)
  const __m128i kLf = _mm_set1_epi8('\n');
  const __m128i kCr = _mm_set1_epi8('\r');
  for (; k + 16 <= n; k += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    lf |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, kLf))))
          << k;
    cr |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, kCr))))
          << k;
  }
#endif
  for (; k < n; ++k) {
    lf |= static_cast<uint64_t>(p[k] == '\n') << k;
    cr |= static_cast<uint64_t>(p[k] == '\r') << k;
  }
}

// Branch-light scan, 64 bytes per step, using bit masks: a bare LF is an LF whose previous byte is
// not CR; the section ends at the first LF preceded by CR and, before that, by LF ("\n\r\n"; a
// trailer section may also be just "\r\n"). A partial last block is rescanned on the next call.
// Blocks of 64 keep the mask logic (a dozen operations) per 64 bytes instead of per 16.
Result<size_t> HeadScanner::scan(const uint8_t* data, size_t size, MessageKind kind,
                                 bool has_start_line, const Limits& limits) {
  constexpr size_t kBlock = 64;
  size_t i = pos_;
  uint64_t prev_cr = i > 0 && data[i - 1] == '\r' ? 1u : 0u;
  uint64_t prev_lf =
      (i > 1 && data[i - 2] == '\n' ? 1u : 0u) | (i > 0 && data[i - 1] == '\n' ? 2u : 0u);
  if (i == 0 && !has_start_line) prev_lf |= 2u;  // a trailer section may be empty: "\r\n"
  for (; i < size; i += kBlock) {
    const size_t n = size - i < kBlock ? size - i : kBlock;
    uint64_t lf, cr;
    line_masks(data + i, n, lf, cr);
    const uint64_t cr_before = cr << 1 | prev_cr;
    const uint64_t ends = lf & cr_before & (lf << 2 | prev_lf);
    // Bits up to and including the end (all of them when the end is bit 63 or absent).
    const uint64_t in_section = ends ? (ends & (0 - ends)) * 2 - 1 : ~uint64_t{0};
    // RFC 9112 §2.2: we do not accept bare LF as a line terminator (smuggling vector).
    if ((lf & ~cr_before & in_section) != 0) return unexpected(decode_error(kind, 400, kErrBareLf));
    if (has_start_line && !first_line_done_ && (lf & in_section) != 0) {
      first_line_done_ = true;
      const size_t first_lf = i + static_cast<size_t>(__builtin_ctzll(lf));
      if (kind == MessageKind::Request && first_lf + 1 > limits.max_request_line) {
        return unexpected(decode_error(kind, 414, kErrRequestLineTooLong));
      }
    }
    if (ends != 0) {
      const size_t len = i + static_cast<size_t>(__builtin_ctzll(ends)) + 1;
      if (len > limits.max_header_bytes)
        return unexpected(decode_error(kind, 431, kErrHeadersTooLarge));
      return len;
    }
    if (n < kBlock) break;
    prev_cr = cr >> 63;
    prev_lf = lf >> 62;
  }
  pos_ = i;
  if (has_start_line && !first_line_done_ && kind == MessageKind::Request &&
      size > limits.max_request_line) {
    return unexpected(decode_error(kind, 414, kErrRequestLineTooLong));
  }
  if (size > limits.max_header_bytes)
    return unexpected(decode_error(kind, 431, kErrHeadersTooLarge));
  return size_t{0};
}

static std::string_view view(const uint8_t* b, const uint8_t* e) {
  return {reinterpret_cast<const char*>(b), static_cast<size_t>(e - b)};
}

// RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive. Major version 1 only;
// other well-formed versions get 505 (RFC 9110 §15.6.6). A higher minor version (HTTP/1.2) is
// processed as HTTP/1.1, the highest we implement (RFC 9110 §2.5: a recipient SHOULD). `stop` is
// the byte that must follow the version.
static Status parse_version(const uint8_t*& p, const uint8_t* end, MessageKind kind, uint8_t stop,
                            MessageHead& head) {
  // "HTTP" as one 4-octet compare: GCC at -O2 calls memcmp for memcmp(p, "HTTP/", 5), once per
  // message on the hottest path.
  if (end - p < 9 || std::memcmp(p, "HTTP", 4) != 0 || p[4] != '/' || p[6] != '.' || p[8] != stop) {
    return unexpected(decode_error(kind, 400, kErrBadVersion));
  }
  uint8_t major = p[5], minor = p[7];
  if (major < '0' || major > '9' || minor < '0' || minor > '9') {
    return unexpected(decode_error(kind, 400, kErrBadVersion));
  }
  if (major != '1') return unexpected(decode_error(kind, 505, kErrUnsupportedVersion));
  head.version = minor == '0' ? Version::Http10 : Version::Http11;
  p += 8;
  return ok();
}

// Expects CRLF at p and steps over it.
static Status expect_crlf(const uint8_t*& p, const uint8_t* end, MessageKind kind,
                          const char* detail) {
  if (byte_at(p, end) != '\r') return unexpected(decode_error(kind, 400, detail));
  if (byte_at(p + 1, end) != '\n') return unexpected(decode_error(kind, 400, kErrBareCr));
  p += 2;
  return ok();
}

// "HTTP/1.1" as an 8-octet load of it reads, in host byte order.
static constexpr uint64_t kHttp11 =
    std::bit_cast<uint64_t>(std::array<char, 8>{'H', 'T', 'T', 'P', '/', '1', '.', '1'});

Result<std::string_view> parse_request_line(const uint8_t*& p, const uint8_t* end,
                                            MessageHead& head) {
  constexpr MessageKind kReq = MessageKind::Request;
  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single SPs only.
  const uint8_t* m = p;
  p = skip_class(p, end, kCharToken);
  if (p == m) return unexpected(decode_error(kReq, 400, kErrBadRequestLine));
  if (const uint8_t c = byte_at(p, end); c != ' ') {
    bool separator = c == '\t' || c == '\r' || c == '\v' || c == '\f';
    return unexpected(decode_error(kReq, 400, separator ? kErrBadRequestLine : kErrBadMethod));
  }
  head.method = view(m, p);
  const uint8_t* t = ++p;
  while (true) {
    p = skip_class(p, end, kCharTarget);
    if (byte_at(p, end) != '%') break;
    // RFC 3986 §2.1 pct-encoded.
    if (end - p < 3 || !is_class(p[1], kCharHex) || !is_class(p[2], kCharHex)) {
      return unexpected(decode_error(kReq, 400, kErrBadTarget));
    }
    p += 3;
  }
  if (p == t) return unexpected(decode_error(kReq, 400, kErrBadRequestLine));
  if (const uint8_t c = byte_at(p, end); c != ' ') {
    // "GET /\r\n" is HTTP/0.9, which we do not speak (RFC 9112 §2.3 / Appendix C.1).
    bool separator = c == '\r' || c == '\t' || c == '\v' || c == '\f';
    return unexpected(decode_error(kReq, 400, separator ? kErrBadRequestLine : kErrBadTarget));
  }
  std::string_view target = view(t, p);
  ++p;
  // "HTTP/1.1" CRLF, nearly every request, as one 8-octet compare; other versions and every
  // error take parse_version.
  uint64_t version = 0;
  if (end - p >= 10) std::memcpy(&version, p, 8);
  if (version == kHttp11 && p[8] == '\r' && p[9] == '\n') {
    head.version = Version::Http11;
    p += 10;
  } else {
    if (auto st = parse_version(p, end, kReq, '\r', head); !st) return unexpected(st.error());
    if (auto st = expect_crlf(p, end, kReq, kErrBadVersion); !st) return unexpected(st.error());
  }
  // RFC 9113 §3.4, §11.6: PRI exists only to start the HTTP/2 preface ("PRI * HTTP/2.0", refused
  // above as a version we do not speak); no client uses it as a method. A server or proxy that
  // sniffs "PRI " to switch to HTTP/2 must never receive one from us (llhttp refuses it too,
  // found by h1_diff: "PRI / HTTP/1.0").
  // Compared octet by octet: `head.method == "PRI"` calls memcmp for every 3-letter method.
  const std::string_view m3 = head.method;
  if (m3.size() == 3 && m3[0] == 'P' && m3[1] == 'R' && m3[2] == 'I') {
    return unexpected(decode_error(kReq, 400, kErrPriMethod));
  }
  return target;
}

Status parse_status_line(const uint8_t*& p, const uint8_t* end, MessageHead& head) {
  constexpr MessageKind kResp = MessageKind::Response;
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]. A missing SP
  // before an empty reason is tolerated (common in the wild, unambiguous).
  if (auto st = parse_version(p, end, kResp, ' ', head); !st) return st;
  ++p;
  if (end - p < 4) return unexpected(decode_error(kResp, 400, kErrBadStatusLine));
  uint16_t status = 0;
  for (int i = 0; i < 3; ++i) {
    if (p[i] < '0' || p[i] > '9') return unexpected(decode_error(kResp, 400, kErrBadStatusLine));
    status = static_cast<uint16_t>(status * 10 + (p[i] - '0'));
  }
  p += 3;
  if (status < 100 || status > 599) return unexpected(decode_error(kResp, 400, kErrBadStatus));
  head.status = status;
  if (*p == ' ') {
    ++p;
    p += find_value_stop(p, end);
  }
  return expect_crlf(p, end, kResp, kErrBadStatusLine);
}

static bool is_ows(uint8_t c) {
  return c == ' ' || c == '\t';
}

// Scans one field value from p (after the colon); sets `out` to it without surrounding OWS and
// leaves p after the CRLF. Returns the error detail, or nullptr. Hot: no Result on this path.
static inline const char* scan_value(const uint8_t*& p, const uint8_t* end, std::string_view& out) {
  while (is_ows(byte_at(p, end))) ++p;
  const uint8_t* v = p;
  p += find_value_stop(p, end);
  if (byte_at(p, end) != '\r') return kErrBadFieldValue;
  if (byte_at(p + 1, end) != '\n') return kErrBareCr;
  const uint8_t* ve = p;
  while (ve > v && is_ows(ve[-1])) --ve;
  p += 2;
  out = view(v, ve);
  return nullptr;
}

// RFC 9112 §5.2: a proxy forwarding a response may replace each obs-fold with SP. The joined value
// cannot be a view into the input, so it is copied into the list's arena.
static const char* unfold(const uint8_t*& p, const uint8_t* end, std::string_view& value,
                          HeaderList& out) {
  std::string joined(value);
  while (is_ows(byte_at(p, end))) {
    std::string_view more;
    if (const char* err = scan_value(p, end, more)) return err;
    if (!more.empty()) {
      if (!joined.empty()) joined += ' ';
      joined += more;
    }
  }
  value = out.own(joined);
  return nullptr;
}

Status parse_fields(const uint8_t*& p, const uint8_t* end, const FieldRules& rules,
                    bool after_start_line, HeaderList& out, FieldFacts& facts) {
  const MessageKind kind = rules.kind;
  const size_t max_fields = rules.limits->max_header_count;
  size_t fields = out.size();
  bool first = true;
  uint8_t c = byte_at(p, end);  // the first octet of each line
  while (true) {
    if (c == '\r') {
      if (byte_at(p + 1, end) != '\n') return unexpected(decode_error(kind, 400, kErrBareCr));
      p += 2;
      return ok();
    }
    if (is_ows(c)) {
      // RFC 9112 §2.2: whitespace before the first field line is rejected; later, it is obs-fold,
      // which reaches here only when folding is rejected (folds are consumed below otherwise).
      const char* detail = first && after_start_line ? kErrLeadingWhitespace : kErrObsFold;
      return unexpected(decode_error(kind, 400, detail));
    }
    first = false;
    const uint8_t* n = p;
    p = skip_class(p, end, kCharToken);
    if (const uint8_t stop = byte_at(p, end); stop != ':' || p == n) {
      // RFC 9112 §5.1: no whitespace is allowed between the field name and colon.
      const char* detail = p != n && is_ows(stop) ? kErrSpaceBeforeColon : kErrBadFieldName;
      return unexpected(decode_error(kind, 400, detail));
    }
    std::string_view name = view(n, p);
    ++p;
    std::string_view value;
    if (const char* err = scan_value(p, end, value))
      return unexpected(decode_error(kind, 400, err));
    c = byte_at(p, end);
    if (is_ows(c)) {
      if (kind == MessageKind::Request || rules.obs_fold == ObsFoldPolicy::Reject) {
        return unexpected(decode_error(kind, 400, kErrObsFold));
      }
      if (const char* err = unfold(p, end, value, out))
        return unexpected(decode_error(kind, 400, err));
      facts.obs_fold = true;
      c = byte_at(p, end);
    }
    if (fields++ >= max_fields) return unexpected(decode_error(kind, 431, kErrTooManyFields));
    out.add_view(name, value);
    if (const char* err = note_field(name, value, facts))
      return unexpected(decode_error(kind, 400, err));
  }
}

}  // namespace crossmux::codecs::h1
