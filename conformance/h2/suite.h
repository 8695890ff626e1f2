// The h2spec-compatible HTTP/2 suite (generic, http2, hpack) plus crossmux's additions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "conformance/catalogue.h"
#include "conformance/h2/probe.h"

namespace crossmux::conformance::h2 {

// Roots in h2spec's order: generic, http2, hpack, then rfc9113 (field validity, connection-
// specific fields, pseudo-header values, content-length, extended CONNECT, PRIORITY_UPDATE)
// and abuse (flood and limit probes with a "still serving afterwards" verdict).
std::vector<Section> build_suite(const Target& target);
// RunOptions::parts for the suite: h2spec's groups are kH2specPart, ours kAdditionsPart.
std::map<std::string, std::string> suite_parts();

// h2spec's groups: what `crossmux conform h2` runs by default and what the spec id "h2spec"
// selects (146 cases, 147 with --strict, with h2spec's ids).
inline const std::vector<std::string> kH2specGroups{"generic", "http2", "hpack"};
inline const std::string kH2specPart = "h2spec set (generic, http2, hpack)";
inline const std::string kAdditionsPart = "crossmux additions (rfc9113, abuse)";

// Pieces, one per file.
Section build_generic(const Target& t);
Section build_http2(const Target& t);
Section build_hpack(const Target& t);
Section build_rfc9113(const Target& t);
Section build_abuse(const Target& t);

// Helpers shared by the case files.
std::string padded(std::string_view data, uint8_t pad_length);
std::string with_priority(uint32_t depends_on, uint8_t weight_minus_one, bool exclusive,
                          std::string_view block);

}  // namespace crossmux::conformance::h2
