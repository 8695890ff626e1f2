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
// more bytes are needed). Grammar (RFC 9112 §7.1, §7.1.1): HEXDIGs with at most 16 significant
// ones (leading zeros are free, within the line bound), then
// `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )`, then CRLF; BWS is SP / HTAB
// where the grammar has it and nowhere else. Extensions are validated and discarded (they never
// reach the IR). Returns nullptr or the error detail (the caller reports 400, or 502 for
// responses): kErrBadChunkSize (empty, non-hex, "0x", signs, a leading space, CR not followed by
// LF), kErrChunkSizeOverflow (more than 16 significant digits, or more than 16 +
// limits.max_chunk_extension digits), kErrBadChunkExtension (grammar, including a bare CR inside
// or whitespace not followed by ";" or "="), kErrChunkExtensionTooLong (past
// limits.max_chunk_extension), kErrBareLf.
const char* parse_chunk_line(const uint8_t* data, size_t size, const Limits& limits,
                             ChunkLine& line);

}  // namespace crossmux::codecs::h1
