// Seeds from the conform catalogues: the bytes each `crossmux conform` case sends, recorded while
// the suite runs against an in-process `crossmux origin` (never against the target).
#pragma once

#include <string>
#include <vector>

#include "fuzz/net/mutator.h"

namespace crossmux::fuzz::net {

// Runs the HTTP/2 catalogue (generic, http2, hpack, rfc9113: the abuse floods are left out, each
// is thousands of frames) or the HTTP/1.1 one against an origin on an ephemeral loopback port and
// returns one seed per distinct connection a case opened (origin "conform:<section id>/<n>").
// In HTTP/1.1 bytes the origin's authority becomes `authority`; HTTP/2 header blocks keep theirs
// (their HPACK lengths would break). `notes` gets one line: how many seeds from how many cases,
// and the time it took, or why there are none.
std::vector<CorpusEntry> conform_seeds(Proto proto, const std::string& authority,
                                       std::vector<std::string>& notes);

}  // namespace crossmux::fuzz::net
