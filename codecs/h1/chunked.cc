// Chunk-size lines: hex size with an overflow guard and a bounded, grammar-checked chunk-ext.
#include "codecs/h1/chunked.h"

#include <cstring>

#include "codecs/h1/chars.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

static constexpr size_t kMaxSizeDigits = 16;  // 64 bits of hex; more is an overflow attempt

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

// RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ).
// We accept it without BWS: whitespace there is where parsers disagree ("funky chunks").
static bool valid_extensions(const uint8_t* p, const uint8_t* end) {
  while (p < end) {
    if (*p != ';') return false;
    const uint8_t* name = p + 1;
    p = skip_token(name, end);
    if (p == name) return false;
    if (p < end && *p == '=') {
      ++p;
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

// Lines with extensions: find the LF within the bound first, then check the whole line.
static const char* parse_line_with_extensions(const uint8_t* data, size_t size,
                                              const Limits& limits, ChunkLine& line) {
  size_t bound = kMaxSizeDigits + limits.max_chunk_extension + 2;
  size_t window = size < bound ? size : bound;
  const void* hit = std::memchr(data, '\n', window);
  if (hit == nullptr) {
    return size < bound ? nullptr : kErrChunkExtensionTooLong;
  }
  size_t lf = static_cast<size_t>(static_cast<const uint8_t*>(hit) - data);
  if (data[lf - 1] != '\r') return kErrBareLf;
  const uint8_t* end = data + lf - 1;  // the CR
  const uint8_t* p = data;
  uint64_t value = 0;
  while (*p != ';') value = value << 4 | static_cast<uint64_t>(hex_value(*p++));
  if (static_cast<size_t>(end - p) > limits.max_chunk_extension) return kErrChunkExtensionTooLong;
  if (!valid_extensions(p, end)) return kErrBadChunkExtension;
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
  while (p < end && hex_value(*p) >= 0) {
    if (p - data == kMaxSizeDigits) return kErrChunkSizeOverflow;
    value = value << 4 | static_cast<uint64_t>(hex_value(*p));
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
      return parse_line_with_extensions(data, size, limits, line);
    default:
      return kErrBadChunkSize;
  }
}

}  // namespace crossmux::codecs::h1
