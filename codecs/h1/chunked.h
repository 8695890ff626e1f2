// Chunk-size line parsing for the chunked transfer coding (RFC 9112 §7.1).
#pragma once

#include <cstddef>
#include <cstdint>

#include "codecs/h1/head_parser.h"

namespace crossmux::codecs::h1 {

struct ChunkLine {
  size_t length = 0;  // bytes of the line including CRLF; 0 means more bytes are needed
  uint64_t size = 0;  // chunk-size
};

// Parses `chunk-size [ chunk-ext ] CRLF` at the start of data[0, size) into `line` (length 0:
// more bytes are needed). Strict grammar: 1 to 16 HEXDIG, then
// `*( ";" token [ "=" ( token / quoted-string ) ] )` with no whitespace, then CRLF. Extensions
// are validated and discarded (they never reach the IR). Returns nullptr or the error detail
// (the caller reports 400, or 502 for responses): kErrBadChunkSize (empty, non-hex, "0x", signs,
// spaces, CR not followed by LF), kErrChunkSizeOverflow (more than 16 digits),
// kErrBadChunkExtension (grammar, including a bare CR inside), kErrChunkExtensionTooLong (past
// limits.max_chunk_extension), kErrBareLf.
const char* parse_chunk_line(const uint8_t* data, size_t size, const Limits& limits,
                             ChunkLine& line);

}  // namespace crossmux::codecs::h1
