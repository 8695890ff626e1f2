// HTTP/1.1 request streams from structured fuzz input (fuzz/common's FuzzInput): the request-line,
// field and framing grammar of RFC 9112 with its known ambiguities (CL/TE variants, obs-fold,
// bare LF/CR, chunk extensions and sizes, pipelining), mostly valid so servers get past parsing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fuzz/common/fuzz_input.h"

namespace crossmux::fuzz::net {

// One to three pipelined requests; `authority` is the Host the target expects.
void build_h1_wire(FuzzInput& in, std::string_view authority, std::string& out);

// Tokens a line mutation inserts (methods, field names and values, framing words, separators,
// control bytes), after fuzz/http.dict.
const std::vector<std::string_view>& h1_tokens();

}  // namespace crossmux::fuzz::net
