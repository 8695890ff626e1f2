// Default answers: responses the proxy gives itself, built as IR so either encoder sends them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/message/message.h"
#include "mux/config/config.h"

namespace crossmux::mux::proxy {

// A complete response: head (framing KnownLength, content-type, content-length as framing
// metadata — the encoder writes the framing header) and body. `reason` says why we answered, for
// the access log; the body never echoes request bytes.
struct DefaultAnswer {
  codecs::MessageHead head;
  std::string body;
  std::string_view reason;
};

// The standard reason phrase for a status (RFC 9110 §15), "" when unknown.
std::string_view reason_phrase(uint16_t status);

// Builds the answer for `status`. The body comes from the first of cluster, listener and global
// overrides that has one (any may be null), else the built-in text "<status> <phrase>: <reason>".
// A HEAD request gets the same head with no body bytes sent (the caller skips the body).
DefaultAnswer make_answer(uint16_t status, std::string_view reason, const config::Answers* cluster,
                          const config::Answers* listener, const config::Answers* global);

// 301 (GET/HEAD) or 308 (other methods, RFC 9110 §15.4.9 keeps the method) to https://host/path.
DefaultAnswer make_https_redirect(std::string_view method, std::string_view host,
                                  std::string_view path);

}  // namespace crossmux::mux::proxy
