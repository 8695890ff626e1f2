// One fuzz case sent to one target on a fresh connection, and everything observed until the
// server settled, closed, or the deadline passed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/net/h2_observer.h"
#include "fuzz/net/net_case.h"
#include "fuzz/net/target.h"

namespace crossmux::fuzz::net {

struct ExchangeOptions {
  // The server must settle within this after the last byte was sent: HTTP/2, answer every owed
  // stream and the marker PING (or fail the connection); HTTP/1.1, answer every complete
  // request (or close).
  int timeout_ms = 1000;
  // HTTP/1.1: once every complete request was answered (at once when the case holds none) we
  // end our side of the connection (FIN) and wait this long for the server's close, reading any
  // extra (smuggled) response it still sends.
  int h1_grace_ms = 250;
};

struct Exchange {
  bool connected = false;
  std::string connect_error;  // lowercase strerror ("connection refused") or a TLS reason
  bool closed = false;        // the server closed (EOF or reset)
  bool timed_out = false;     // requests still owed an answer at the deadline
  std::string hang_detail;    // which ones
  std::vector<Violation> violations;
  uint64_t bytes_received = 0;
  double elapsed_ms = 0;

  // HTTP/2.
  std::vector<StreamOutcome> streams;
  ConnectionOutcome connection;
  bool marker_acked = false;

  // HTTP/1.1, from our strict decoder over what we sent and over what came back.
  size_t requests = 0;               // complete requests we sent
  std::vector<std::string> methods;  // their methods, in order
  bool request_error = false;        // our bytes stop being a valid request stream here
  std::string request_error_detail;  // ... for this reason (the decoder's named error)
  bool request_tail = false;  // bytes after the last complete request (incomplete or invalid)
  // Lines of that tail shaped like a request-line (METHOD SP TARGET SP HTTP/..., ending in LF or
  // CRLF): what a lenient server may still read as requests there (RFC 9112 §2.2 lets it take a
  // bare LF), so at most requests + tail_request_lines can legitimately reach an origin.
  size_t tail_request_lines = 0;
  std::vector<int> statuses;  // final statuses in order
  size_t responses_complete = 0;
  bool garbage = false;  // bytes that do not parse as HTTP/1.1 responses
};

// Sends `c` to `t` (units in order, pauses honoured; HTTP/2 adds a marker PING with `serial`
// after the case and answers what a well-behaved client answers, see H2Observer::take_service)
// and reads until the exchange settles.
Exchange run_exchange(const Target& t, const NetCase& c, const ExchangeOptions& o, uint64_t serial);

// The marker PING payload for `serial`.
std::array<uint8_t, 8> marker_opaque(uint64_t serial);

}  // namespace crossmux::fuzz::net
