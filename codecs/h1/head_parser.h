// HTTP/1.1 head tokenizer: finds where a head ends, parses start lines and field lines (RFC 9112).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codecs/base/error.h"
#include "codecs/base/result.h"
#include "codecs/message/message.h"

namespace crossmux::codecs::h1 {

// Size limits, all enforced before anything is buffered beyond them. Defaults are safe for a proxy.
struct Limits {
  size_t max_request_line = 8 * 1024;   // request line incl. CRLF; over it: 414
  size_t max_header_bytes = 64 * 1024;  // start line + field lines + blank line; over it: 431
  size_t max_header_count = 128;        // field lines per head or trailer section; over it: 431
  size_t max_chunk_extension = 1024;    // chunk-ext bytes on one chunk line; over it: 400
  uint64_t max_body = 0;                // decoded body bytes per message, 0 = unlimited; 413
};

// What to do with obs-fold (RFC 9112 §5.2) in responses; requests always get 400.
enum class ObsFoldPolicy : uint8_t { Reject = 0, ReplaceWithSpace = 1 };
std::string_view to_string(ObsFoldPolicy p);

// An HTTP/1.1 decoding error. Requests: `status` with Side::Client. Responses: always 502 with
// Side::Backend (the detail says what was wrong). Every H1 error is connection-scoped: after it,
// message framing is in doubt and the connection must be closed.
Error decode_error(MessageKind kind, uint32_t status, const char* detail);

// Finds the end of a head or trailer section (the blank line), resumably: bytes already scanned are
// not scanned again when the caller re-presents them with more data appended.
class HeadScanner {
 public:
  // `data` starts at the head. Returns the head length including the final CRLF, or 0 when more
  // bytes are needed. Errors: kErrBareLf (400); kErrRequestLineTooLong (414) when the first line
  // of a request exceeds limits.max_request_line; kErrHeadersTooLarge (431) past max_header_bytes.
  Result<size_t> scan(const uint8_t* data, size_t size, MessageKind kind, bool has_start_line,
                      const Limits& limits);
  void reset() { *this = HeadScanner(); }
  bool fresh() const { return pos_ == 0 && !first_line_done_; }

 private:
  size_t pos_ = 0;  // where the next call resumes (a 64-byte block boundary)
  bool first_line_done_ = false;
};

// Facts gathered from framing- and routing-relevant fields while parsing a field section.
struct FieldFacts {
  uint32_t content_length_lines = 0;
  bool content_length_duplicate = false;
  uint64_t content_length = 0;
  uint32_t transfer_encoding_lines = 0;
  uint32_t chunked_count = 0;
  bool chunked_last = false;
  bool unknown_coding = false;
  uint32_t host_count = 0;
  std::string_view host;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool has_upgrade = false;
  bool expect_continue = false;
  bool obs_fold = false;
};

struct FieldRules {
  MessageKind kind;
  ObsFoldPolicy obs_fold;
  const Limits* limits;
};

// The parsers below read nothing at or past `end`, so [p, end) may be a complete head (as found by
// HeadScanner) or whatever bytes have arrived: a head cut short by `end` fails like a malformed one
// (the decoder then falls back to scanning for the end of the head before parsing it again).

// Parses the request line into head.method / head.version and returns the raw request-target.
// `p` is advanced past the CRLF. Errors (400 unless noted): kErrBadRequestLine, kErrBadMethod,
// kErrBadTarget, kErrBadVersion, kErrUnsupportedVersion (505), kErrBareCr, kErrPriMethod.
Result<std::string_view> parse_request_line(const uint8_t*& p, const uint8_t* end,
                                            MessageHead& head);

// Parses the status line into head.version / head.status; `p` is advanced past the CRLF. Errors
// (reported as 502): kErrBadStatusLine, kErrBadStatus, kErrBadVersion, kErrUnsupportedVersion,
// kErrBareCr, kErrBadFieldValue (control character in the reason phrase).
Status parse_status_line(const uint8_t*& p, const uint8_t* end, MessageHead& head);

// Parses field lines from `p` up to and including the blank line that ends the section, appending
// views into `out` and recording facts; `p` is advanced past the blank line. `after_start_line`
// makes a leading whitespace line an error (RFC 9112 §2.2) instead of a fold. Errors: kErrBareCr,
// kErrBadFieldName, kErrSpaceBeforeColon, kErrBadFieldValue, kErrLeadingWhitespace, kErrObsFold
// (requests, or responses under ObsFoldPolicy::Reject), kErrTooManyFields (431),
// kErrBadContentLength, kErrConflictingContentLength, kErrContentLengthOverflow,
// kErrBadTransferEncoding.
Status parse_fields(const uint8_t*& p, const uint8_t* end, const FieldRules& rules,
                    bool after_start_line, HeaderList& out, FieldFacts& facts);

}  // namespace crossmux::codecs::h1
