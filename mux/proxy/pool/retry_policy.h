// Retry policy: what to do with a request when its backend connection fails, per RFC 9110 §9.2.2.
#pragma once

#include <cstdint>
#include <string_view>

#include "mux/proxy/exchange/sides.h"

namespace crossmux::mux::proxy {

// RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT and DELETE are idempotent.
bool is_idempotent(std::string_view method);

// What the proxy knows about the exchange when the failure happens.
struct ExchangeState {
  std::string_view method;
  FailureKind failure = FailureKind::ConnectionLost;
  bool request_bytes_sent = false;       // any request byte written to this backend connection
  bool response_bytes_received = false;  // any response byte read from it
  bool response_head_forwarded = false;  // the client already got (part of) a response
  bool connection_reused = false;        // a pooled keep-alive connection, not a fresh one
  bool request_replayable = false;       // the whole request is still held in the replay buffer
  uint32_t attempts = 0;                 // attempts made so far, including this one
  uint32_t max_attempts = 3;
};

enum class RetryDecision : uint8_t {
  Retry = 0,                 // try again (another backend for connect failures)
  AnswerBadGateway = 1,      // 502 to the client
  AnswerGatewayTimeout = 2,  // 504 to the client
  AbortResponse = 3,         // response already started: reset the client stream / close H1
};

std::string_view to_string(RetryDecision d);

// The decision, strictest rule first:
// - a response already started cannot be replaced: AbortResponse;
// - timeouts are never retried (the backend may still be processing): 504;
// - connect failures, REFUSED_STREAM and streams above a GOAWAY's last-stream-id were provably
//   not processed: Retry while attempts remain;
// - a lost connection is retried only for an idempotent request that produced no response byte
//   (the keep-alive race on a reused connection, or a backend that died under a fresh one), and
//   only if the whole request can be replayed; a non-idempotent request with bytes sent is never
//   replayed: 502.
RetryDecision decide_retry(const ExchangeState& s);

}  // namespace crossmux::mux::proxy
