// Content-Length, Transfer-Encoding, Host, Connection, Upgrade and Expect interpretation.
#include "codecs/h1/field_facts.h"

#include <cstdint>

#include "codecs/h1/chars.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

static constexpr uint64_t kMaxContentLength = (uint64_t{1} << 63) - 1;

// RFC 9110 §8.6: Content-Length = 1*DIGIT; a list of identical values may be collapsed (RFC 9112
// §6.3 rule 5). We also refuse leading zeros ("06"): they are legal but only ever seen in
// obfuscation attempts, and we re-emit our own Content-Length anyway.
static const char* note_content_length(std::string_view value, FieldFacts& facts) {
  bool any = false;
  const char* failure = nullptr;
  for_each_element(value, [&](std::string_view e) {
    if (failure) return;
    if (e.empty() || (e.size() > 1 && e[0] == '0')) {
      failure = kErrBadContentLength;
      return;
    }
    uint64_t v = 0;
    for (char c : e) {
      if (c < '0' || c > '9') {
        failure = kErrBadContentLength;
        return;
      }
      uint64_t d = static_cast<uint64_t>(c - '0');
      if (v > (kMaxContentLength - d) / 10) {
        failure = kErrContentLengthOverflow;
        return;
      }
      v = v * 10 + d;
    }
    if (any || facts.content_length_lines > 0) {
      if (v != facts.content_length) {
        failure = kErrConflictingContentLength;
        return;
      }
      facts.content_length_duplicate = true;
    }
    facts.content_length = v;
    any = true;
  });
  if (failure) return failure;
  ++facts.content_length_lines;
  return nullptr;
}

// RFC 9112 §6.1 / §7: Transfer-Encoding is a list of codings, case-insensitive; chunked takes no
// parameters. Whether the list is acceptable (chunked once and last, no unknown codings) is
// decided once the whole section is seen, since the list may span several field lines.
static const char* note_transfer_encoding(std::string_view value, FieldFacts& facts) {
  bool malformed = false;
  for_each_element(value, [&](std::string_view e) {
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
  if (malformed) return kErrBadTransferEncoding;
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

// Case-insensitive match of a token against a lowercase constant of letters and '-': OR-ing 0x20
// folds ASCII uppercase, and no other token byte folds onto a letter or '-'.
template <size_t N>
static inline bool is_name(std::string_view name, const char (&lower)[N]) {
  for (size_t i = 0; i + 1 < N; ++i) {
    if ((static_cast<uint8_t>(name[i]) | 0x20) != static_cast<uint8_t>(lower[i])) return false;
  }
  return true;
}

const char* note_special_field(std::string_view name, std::string_view value, FieldFacts& facts) {
  switch (name.size()) {
    case 4:
      if (is_name(name, "host")) {
        ++facts.host_count;
        facts.host = value;
      }
      return nullptr;
    case 6:
      // RFC 9110 §10.1.1: only the exact 100-continue expectation is meaningful.
      if (is_name(name, "expect") && iequals(value, "100-continue")) facts.expect_continue = true;
      return nullptr;
    case 7:
      if (is_name(name, "upgrade")) facts.has_upgrade = true;
      return nullptr;
    case 10:
      if (is_name(name, "connection")) note_connection(value, facts);
      return nullptr;
    case 14:
      return is_name(name, "content-length") ? note_content_length(value, facts) : nullptr;
    case 17:
      return is_name(name, "transfer-encoding") ? note_transfer_encoding(value, facts) : nullptr;
    default:
      return nullptr;
  }
}

}  // namespace crossmux::codecs::h1
