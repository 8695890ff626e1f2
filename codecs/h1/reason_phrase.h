// Standard reason phrases for HTTP status codes (RFC 9110 §15), for the HTTP/1.1 status line.
#pragma once

#include <cstdint>
#include <string_view>

namespace crossmux::codecs::h1 {

// The RFC 9110 (or registered) reason phrase for `status`, or "" when there is none; the status
// line then ends right after the SP that follows the code (RFC 9112 §4 allows an empty phrase).
std::string_view reason_phrase(uint16_t status);

}  // namespace crossmux::codecs::h1
