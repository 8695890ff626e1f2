// Retry decisions for failed backend exchanges.
#include "mux/proxy/pool/retry_policy.h"

namespace crossmux::mux::proxy {

bool is_idempotent(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" || m == "PUT" || m == "DELETE";
}

std::string_view to_string(RetryDecision d) {
  switch (d) {
    case RetryDecision::Retry:
      return "retry";
    case RetryDecision::AnswerBadGateway:
      return "502";
    case RetryDecision::AnswerGatewayTimeout:
      return "504";
    case RetryDecision::AbortResponse:
      return "abort";
  }
  return "?";
}

RetryDecision decide_retry(const ExchangeState& s) {
  if (s.response_head_forwarded) return RetryDecision::AbortResponse;
  if (s.failure == FailureKind::Timeout) return RetryDecision::AnswerGatewayTimeout;
  const bool attempts_left = s.attempts < s.max_attempts;
  switch (s.failure) {
    case FailureKind::ConnectFailed:
      return attempts_left ? RetryDecision::Retry : RetryDecision::AnswerBadGateway;
    case FailureKind::RefusedStream:
    case FailureKind::GoAwayUnprocessed:
      // RFC 9113 §8.7: the request was not processed, so any method may be retried, provided
      // we still hold all of it.
      return attempts_left && (s.request_replayable || !s.request_bytes_sent)
                 ? RetryDecision::Retry
                 : RetryDecision::AnswerBadGateway;
    case FailureKind::ConnectionLost:
      if (!s.request_bytes_sent) {
        return attempts_left ? RetryDecision::Retry : RetryDecision::AnswerBadGateway;
      }
      // RFC 9112 §9.3.1: a client MUST NOT automatically retry a non-idempotent request. An
      // idempotent one is replayed whether the connection was reused (the keep-alive race) or
      // fresh (a backend killed under load): RFC 9110 §9.2.2 lets either be retried.
      if (attempts_left && !s.response_bytes_received && is_idempotent(s.method) &&
          s.request_replayable) {
        return RetryDecision::Retry;
      }
      return RetryDecision::AnswerBadGateway;
    case FailureKind::Timeout:
      break;
  }
  return RetryDecision::AnswerGatewayTimeout;
}

}  // namespace crossmux::mux::proxy
