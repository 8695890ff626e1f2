// What the access log records about a request beyond its request line: the request id (taken
// from the request or generated, and then forwarded), its User-Agent and Referer.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "codecs/message/header_list.h"

namespace crossmux::mux::proxy {

// Longest request id taken from a request; a longer (or otherwise unfit) one is replaced.
inline constexpr size_t kMaxRequestIdLength = 200;

// Reads the facts of a request from `headers` (its head as received): the request id (the field
// `id_header`, global.request_id_header, lowercase), User-Agent and Referer. A request id of 1 to
// kMaxRequestIdLength visible ASCII characters, in one field, is kept; anything else, or none, is
// replaced by a generated id (32 hex digits, unique across the process's workers and restarts)
// written into `headers`, so the backend logs the same id. Empty `id_header`: an id is generated
// for the log alone, kept in `headers`' arena, and no field is added. The three views point into
// what `headers` points to or owns: they stay valid while its fields' bytes and its arena do.
void record_request_facts(codecs::HeaderList& headers, std::string_view id_header,
                          std::string_view& request_id, std::string_view& user_agent,
                          std::string_view& referer);

// A generated request id (32 hex digits, no terminator).
using RequestId = std::array<char, 32>;
inline std::string_view view(const RequestId& id) {
  return {id.data(), id.size()};
}
// A fresh request id: 16 hex digits drawn at random once per thread, then a 16-digit counter.
RequestId generate_request_id();

// Whether `v` may serve as a request id as received.
bool valid_request_id(std::string_view v);

}  // namespace crossmux::mux::proxy
