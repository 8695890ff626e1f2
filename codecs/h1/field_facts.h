// Interpretation of the fields that decide HTTP/1.1 framing and routing: CL, TE, Host, Connection.
#pragma once

#include <string_view>

#include "codecs/base/field_table.h"
#include "codecs/base/result.h"
#include "codecs/h1/head_parser.h"

namespace crossmux::codecs::h1 {

// Records what a field line the decoder interprets (`id`, a kFieldH1Interpreted name of
// codecs/base/field_table.h other than Host, which note_field records) says into `facts`. Returns
// an error detail (all 400, or 502 for responses) or nullptr: kErrBadContentLength (not 1*DIGIT,
// empty, or an empty list element), kErrConflictingContentLength (different values),
// kErrContentLengthOverflow (past 2^63-1), kErrBadTransferEncoding (a coding name that is not a
// token, parameters on chunked, or no coding at all; empty list elements are ignored, RFC 9110
// §5.6.1).
const char* note_special_field(FieldId id, std::string_view value, FieldFacts& facts);

// The per-field fast path: only the interpreted names go further.
inline const char* note_field(std::string_view name, std::string_view value, FieldFacts& facts) {
  const FieldId id = find_field_with<kFieldH1Interpreted>(name);
  if (id == FieldId::Unknown) return nullptr;
  if (id == FieldId::Host) {
    // In every request: counted here (its value is validated once the section is whole).
    ++facts.host_count;
    facts.host = value;
    return nullptr;
  }
  return note_special_field(id, value, facts);
}

// Calls fn(element) for each comma-separated element of a list value with OWS trimmed (RFC 9110
// §5.6.1), including empty elements.
template <class Fn>
void for_each_element(std::string_view value, Fn&& fn) {
  size_t start = 0;
  while (true) {
    size_t comma = value.find(',', start);
    std::string_view e =
        value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    fn(e);
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

}  // namespace crossmux::codecs::h1
