// The frame checks h2spec's reader (Go's x/net/http2 Framer) applies to every frame a server
// sends: a frame that fails one ends h2spec's wait as an error, never as a verdict.
#pragma once

#include <string>

#include "conformance/h2/probe.h"

namespace crossmux::conformance::h2 {

// Why h2spec's reader would refuse `f` ("PING frame length 6, want 8"), or "" when it reads it.
// The checks are the per-type length, stream-id and padding rules of RFC 9113 §6 that the Go
// reader enforces (DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY,
// WINDOW_UPDATE, CONTINUATION); unknown types always pass. Frame order (CONTINUATION sequences)
// is not checked: h2spec reads with illegal orders allowed.
std::string framer_error(const Frame& f);

}  // namespace crossmux::conformance::h2
