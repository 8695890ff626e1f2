// Replays translation scenarios through a proxy in the four pairings and judges what the client
// and the recording origin behind the proxy saw.
#pragma once

#include <string>
#include <vector>

#include "conformance/catalogue.h"
#include "conformance/translate/scenario.h"

namespace crossmux::conformance::translate {

// The proxy under test routes `h1_authority` to an HTTP/1.1 backend and `h2_authority` to an h2c
// backend, both `crossmux origin -r record_path`.
struct ProxyTarget {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  bool tls = false;
  bool insecure = false;
  std::string record_path;
  std::string h1_authority = "h1.translate.test";
  std::string h2_authority = "h2.translate.test";
  int timeout_ms = 2000;
};

// Sections "h1-h1", "h1-h2", "h2-h1", "h2-h2" (client protocol, backend protocol), one case per
// scenario that applies to that client protocol.
std::vector<Section> build_suite(const ProxyTarget& t, const std::vector<Scenario>& scenarios);

}  // namespace crossmux::conformance::translate
