// Chunk-size lines: hex size with an overflow guard and a bounded, grammar-checked chunk-ext.
#include "codecs/h1/chunked.h"

#include <cstring>

#include "codecs/h1/chars.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

static constexpr size_t kMaxSizeDigits = 16;  // significant hex digits in 64 bits

static int hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static const uint8_t* skip_token(const uint8_t* p, const uint8_t* end) {
  while (p < end && is_token_char(*p)) ++p;
  return p;
}

// RFC 9110 §5.6.4 quoted-string; returns nullptr when malformed.
static const uint8_t* skip_quoted(const uint8_t* p, const uint8_t* end) {
  ++p;  // opening DQUOTE
  while (p < end) {
    uint8_t c = *p;
    if (c == '"') return p + 1;
    if (c == '\\') {
      if (p + 1 >= end) return nullptr;
      uint8_t q = p[1];
      if (q != '\t' && (q < 0x20 || q == 0x7f)) return nullptr;
      p += 2;
      continue;
    }
    if (c != '\t' && (c < 0x20 || c == 0x7f)) return nullptr;
    ++p;
  }
  return nullptr;
}

static const uint8_t* skip_ows(const uint8_t* p, const uint8_t* end) {
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  return p;
}

// RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ).
// BWS is whitespace a recipient MUST accept (RFC 9110 §5.6.3); it is allowed only where the
// grammar has it, so a line still ends right after a name or value ("5;a \r\n" is refused).
// The extensions never reach the IR, so how a peer would split them cannot matter downstream.
static bool valid_extensions(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    p = skip_ows(p, end);
    if (p == end || *p != ';') return false;
    const uint8_t* name = skip_ows(p + 1, end);
    p = skip_token(name, end);
    if (p == name) return false;
    const uint8_t* eq = skip_ows(p, end);
    if (eq < end && *eq == '=') {
      p = skip_ows(eq + 1, end);
      if (p < end && *p == '"') {
        p = skip_quoted(p, end);
        if (p == nullptr) return false;
      } else {
        const uint8_t* v = p;
        p = skip_token(p, end);
        if (p == v) return false;
      }
    }
  }
  return true;
}

// Lines with extensions: find the LF within the bound first, then check the whole line. `digits`
// octets of chunk-size (value `value`) start the line.
static const char* parse_line_with_extensions(const uint8_t* data, size_t size, size_t digits,
                                              uint64_t value, const Limits& limits,
                                              ChunkLine& line) {
  size_t bound = digits + limits.max_chunk_extension + 2;
  size_t window = size < bound ? size : bound;
  const void* hit = std::memchr(data, '\n', window);
  if (hit == nullptr) {
    return size < bound ? nullptr : kErrChunkExtensionTooLong;
  }
  size_t lf = static_cast<size_t>(static_cast<const uint8_t*>(hit) - data);
  if (data[lf - 1] != '\r') return kErrBareLf;
  const uint8_t* end = data + lf - 1;  // the CR
  // The LF lies within `bound`, so the extension (digits to CR) is within the limit.
  if (!valid_extensions(data + digits, end)) return kErrBadChunkExtension;
  line = ChunkLine{lf + 1, value};
  return nullptr;
}

const char* parse_chunk_line(const uint8_t* data, size_t size, const Limits& limits,
                             ChunkLine& line) {
  // The common line is digits then CRLF: decide byte by byte, no search. Every verdict depends
  // only on the bytes up to the deciding one, so it is the same at any split.
  line = ChunkLine{};
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  uint64_t value = 0;
  size_t significant = 0;
  // chunk-size = 1*HEXDIG: leading zeros are valid and do not count against the 16 digits that
  // fit 64 bits; all digits together stay within the bound of a line with extensions.
  const size_t max_digits = kMaxSizeDigits + limits.max_chunk_extension;
  while (p < end && hex_value(*p) >= 0) {
    const auto d = static_cast<uint64_t>(hex_value(*p));
    significant += (value != 0 || d != 0) ? 1 : 0;
    if (significant > kMaxSizeDigits || static_cast<size_t>(p - data) == max_digits) {
      return kErrChunkSizeOverflow;
    }
    value = value << 4 | d;
    ++p;
  }
  if (p == end) return nullptr;
  if (p == data) return *p == '\n' ? kErrBareLf : kErrBadChunkSize;
  switch (*p) {
    case '\r':
      if (p + 1 == end) return nullptr;
      if (p[1] != '\n') return kErrBadChunkSize;
      line = ChunkLine{static_cast<size_t>(p + 2 - data), value};
      return nullptr;
    case '\n':
      return kErrBareLf;
    case ';':
    case ' ':
    case '\t':  // BWS before the first ";"
      return parse_line_with_extensions(data, size, static_cast<size_t>(p - data), value, limits,
                                        line);
    default:
      return kErrBadChunkSize;
  }
}

}  // namespace crossmux::codecs::h1
