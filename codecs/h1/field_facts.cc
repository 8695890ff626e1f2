// Content-Length, Transfer-Encoding, Host, Connection, Upgrade and Expect interpretation.
#include "codecs/h1/field_facts.h"

#include <cstdint>

#include "codecs/base/content_length.h"
#include "codecs/h1/chars.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

// RFC 9110 §8.6 through the one parser (codecs/base/content_length.h). Identical values, on one
// line as a list or on several lines, collapse (RFC 9112 §6.3 rule 5); the H1 encoder writes its
// own Content-Length.
static const char* note_content_length(std::string_view value, FieldFacts& facts) {
  const ContentLength cl = parse_content_length(value);
  switch (cl.verdict) {
    case ContentLengthVerdict::Ok:
      break;
    case ContentLengthVerdict::Overflow:
      return kErrContentLengthOverflow;
    case ContentLengthVerdict::Conflicting:
      return kErrConflictingContentLength;
    case ContentLengthVerdict::Invalid:
      return kErrBadContentLength;
  }
  if (facts.content_length_lines > 0) {
    if (cl.value != facts.content_length) return kErrConflictingContentLength;
    facts.content_length_duplicate = true;
  }
  if (cl.list) facts.content_length_duplicate = true;
  facts.content_length = cl.value;
  ++facts.content_length_lines;
  return nullptr;
}

// RFC 9112 §6.1 / §7: Transfer-Encoding is a list of codings, case-insensitive; chunked takes no
// parameters. Empty list elements (", chunked", "chunked,") are ignored as RFC 9110 §5.6.1 says a
// recipient MUST, but a field with no coding at all is malformed: it would frame nothing. Whether
// the list is acceptable (chunked once and last, no unknown codings) is decided once the whole
// section is seen, since the list may span several field lines.
static const char* note_transfer_encoding(std::string_view value, FieldFacts& facts) {
  bool malformed = false;
  bool any = false;
  for_each_element(value, [&](std::string_view e) {
    if (e.empty()) return;
    any = true;
    size_t n = 0;
    while (n < e.size() && is_token_char(static_cast<uint8_t>(e[n]))) ++n;
    std::string_view coding = e.substr(0, n);
    std::string_view rest = e.substr(n);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    if (coding.empty() || (!rest.empty() && rest.front() != ';')) {
      malformed = true;
      return;
    }
    if (iequals(coding, "chunked")) {
      if (!rest.empty()) malformed = true;
      ++facts.chunked_count;
      facts.chunked_last = true;
    } else {
      facts.unknown_coding = true;
      facts.chunked_last = false;
    }
  });
  if (malformed || !any) return kErrBadTransferEncoding;
  ++facts.transfer_encoding_lines;
  return nullptr;
}

// RFC 9110 §7.6.1: Connection is a list of option names.
static void note_connection(std::string_view value, FieldFacts& facts) {
  for_each_element(value, [&](std::string_view e) {
    if (iequals(e, "close")) {
      facts.connection_close = true;
    } else if (iequals(e, "keep-alive")) {
      facts.connection_keep_alive = true;
    } else if (iequals(e, "upgrade")) {
      facts.connection_upgrade = true;
    }
  });
}

const char* note_special_field(FieldId id, std::string_view value, FieldFacts& facts) {
  switch (id) {
    case FieldId::Expect:
      // RFC 9110 §10.1.1: only the exact 100-continue expectation is meaningful.
      if (iequals(value, "100-continue")) facts.expect_continue = true;
      return nullptr;
    case FieldId::Upgrade:
      // RFC 9110 §7.8: Upgrade = #protocol. A value without a protocol (empty, or only empty
      // list elements, which §5.6.1 says to ignore) asks for no upgrade: the message is an
      // ordinary one and what follows it is parsed as requests, not held as tunnel bytes.
      for_each_element(value, [&](std::string_view e) { facts.has_upgrade |= !e.empty(); });
      return nullptr;
    case FieldId::Connection:
      note_connection(value, facts);
      return nullptr;
    case FieldId::ContentLength:
      return note_content_length(value, facts);
    case FieldId::TransferEncoding:
      return note_transfer_encoding(value, facts);
    default:
      return nullptr;
  }
}

}  // namespace crossmux::codecs::h1
