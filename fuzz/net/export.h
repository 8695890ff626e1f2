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
// t` in scope; needs <set>) or conformance/h1/cases.cc (build_suite(), `s9` and `t`). It sends
// the minimised bytes and passes when the server answers every complete request (a response with
// any status, a reset, GOAWAY or a close) and a fresh connection is still served. It also fails
// when the server breaks again a rule it can express: on HTTP/2 frame-on-idle-stream,
// rst-on-idle-stream, frame-after-stream-end, data-before-response (judged up to the ACK of a
// second PING sent once everything is answered, so frames written behind the last answer count);
// on HTTP/1.1 a response more than the requests, or one that does not parse, where our strict
// decoder read every byte as requests. `authority` in HTTP/1.1 bytes becomes the target's.
std::string conform_case(const std::string& id, const Finding& f, const NetCase& c,
                         const Observation& o, const std::string& authority);

// A corpus/translate scenario when the case is one request a scenario can express (HTTP/1.1:
// raw-h1 with the request's method, path and body, our strict decoder's reading; HTTP/2: one
// HEADERS block that decoded, plus DATA), else "". `expect: not-smuggled` for origin findings,
// `rejected-or-forwarded` otherwise. `origin_status`: the status a target that forwarded the
// request got back from the origin (the scenario's status when forwarded; 0: none did, 200).
std::string translate_scenario(const std::string& id, const Finding& f, const NetCase& c,
                               const Observation& o, const std::string& authority,
                               int origin_status = 0);

}  // namespace crossmux::fuzz::net
