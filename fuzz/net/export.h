// Turning a finding into regression tests: a `crossmux conform` case to paste into the HTTP/2 or
// HTTP/1.1 catalogue, and (for findings through proxies) a translation scenario for
// corpus/translate/.
#pragma once

#include <string>

#include "fuzz/net/net_case.h"
#include "fuzz/net/verdict.h"

namespace crossmux::fuzz::net {

// A C++ literal holding `bytes` exactly: std::string("...", N), octal escapes.
std::string cpp_bytes(std::string_view bytes);

// A case for conformance/h2/cases_*.cc (inside a build_*() with `Section& s` and `const Target&
// t` in scope) or conformance/h1/cases.cc (`add(section, t, {...})`). It sends the minimised
// bytes and passes when the server answers every complete request (a response, a reset, GOAWAY
// or a close) and a fresh connection is still served; for the rules it can express
// (frame-on-idle-stream, rst-on-idle-stream, frame-after-stream-end, data-before-response on
// HTTP/2; extra-response on HTTP/1.1) it also fails when the server breaks that rule again.
// `authority` in HTTP/1.1 bytes becomes {host}.
std::string conform_case(const std::string& id, const Finding& f, const NetCase& c,
                         const Observation& o, const std::string& authority);

// A corpus/translate scenario when the case is one request a scenario can express (HTTP/1.1:
// raw-h1; HTTP/2: one HEADERS block that decoded, plus DATA), else "". `expect: not-smuggled`
// for origin findings, `rejected-or-forwarded` otherwise.
std::string translate_scenario(const std::string& id, const Finding& f, const NetCase& c,
                               const Observation& o, const std::string& authority);

}  // namespace crossmux::fuzz::net
