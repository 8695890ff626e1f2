// The HTTP/1.1 suite: RFC 9112/9110 message syntax and framing, and the request-smuggling
// classes (CL.TE, TE.TE, obs-fold, bare CR/LF, malformed chunk sizes), each with its accepted
// verdicts, against any HTTP/1.1 server or proxy.
#pragma once

#include <string>
#include <vector>

#include "conformance/catalogue.h"

namespace crossmux::conformance::h1 {

struct Target {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: 80, or 443 with tls
  bool tls = false;
  bool insecure = false;
  std::string path = "/";
  int timeout_ms = 2000;
  uint16_t effective_port() const { return port ? port : (tls ? 443 : 80); }
  std::string authority() const;
};

// What came back for one case: the statuses of the final responses in order, and whether the
// server closed the connection (or reset it) before the read timeout after the last of them.
struct Observed {
  std::vector<uint16_t> statuses;
  bool closed = false;
  bool garbage = false;          // bytes that do not parse as HTTP/1.1 responses
  std::string error;             // connect failure
  std::string describe() const;  // "200, 400, then closed" / "no response, still open"
};

// Sends `bytes` on a fresh connection, then reads responses (one per request the server answers;
// 1xx interim responses are skipped) until the connection closes or a read times out. Once
// `methods.size()` responses arrived, it waits only a short grace period (300 ms at most) for a
// close or an unexpected extra response.
Observed exchange(const Target& t, const std::string& bytes,
                  const std::vector<std::string>& methods);

std::vector<Section> build_suite(const Target& t);

}  // namespace crossmux::conformance::h1
