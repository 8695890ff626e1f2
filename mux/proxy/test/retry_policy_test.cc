// Retry decisions: never replay a non-idempotent request with bytes sent, retry what provably did
// not run, never replace a response already started; plus connection caps.
#include "mux/proxy/pool/retry_policy.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "mux/proxy/worker/connection_limiter.h"

namespace crossmux::mux::proxy {
namespace {

ExchangeState state(std::string_view method, FailureKind f) {
  ExchangeState s;
  s.method = method;
  s.failure = f;
  s.attempts = 1;
  return s;
}

TEST(RetryPolicy, ConnectFailuresRetryUntilAttemptsRunOut) {
  auto s = state("POST", FailureKind::ConnectFailed);
  EXPECT_EQ(decide_retry(s), RetryDecision::Retry);
  s.attempts = 3;
  EXPECT_EQ(decide_retry(s), RetryDecision::AnswerBadGateway);
}

TEST(RetryPolicy, StaleKeepAliveRaceReplaysOnlyIdempotentRequests) {
  auto get = state("GET", FailureKind::ConnectionLost);
  get.request_bytes_sent = true;
  get.connection_reused = true;
  get.request_replayable = true;
  EXPECT_EQ(decide_retry(get), RetryDecision::Retry);

  auto post = get;
  post.method = "POST";
  EXPECT_EQ(decide_retry(post), RetryDecision::AnswerBadGateway)
      << "a non-idempotent request with bytes already sent is never replayed";

  auto fresh = get;
  fresh.connection_reused = false;
  EXPECT_EQ(decide_retry(fresh), RetryDecision::Retry)
      << "an idempotent request on a fresh connection to a backend that died is replayed too";
  auto fresh_post = post;
  fresh_post.connection_reused = false;
  EXPECT_EQ(decide_retry(fresh_post), RetryDecision::AnswerBadGateway);

  auto answered = get;
  answered.response_bytes_received = true;
  EXPECT_EQ(decide_retry(answered), RetryDecision::AnswerBadGateway);

  auto too_big = get;
  too_big.request_replayable = false;
  EXPECT_EQ(decide_retry(too_big), RetryDecision::AnswerBadGateway)
      << "a body that outgrew the replay buffer cannot be replayed";
}

TEST(RetryPolicy, UnprocessedH2StreamsRetryAnyMethod) {
  auto s = state("POST", FailureKind::RefusedStream);
  s.request_bytes_sent = true;
  s.request_replayable = true;
  EXPECT_EQ(decide_retry(s), RetryDecision::Retry);
  s.failure = FailureKind::GoAwayUnprocessed;
  EXPECT_EQ(decide_retry(s), RetryDecision::Retry);
  s.request_replayable = false;
  EXPECT_EQ(decide_retry(s), RetryDecision::AnswerBadGateway);
  // Turned away before any of it was sent (the backend's GOAWAY came first): nothing needs a
  // replay buffer, the request is all still to come.
  s.request_bytes_sent = false;
  EXPECT_EQ(decide_retry(s), RetryDecision::Retry);
  s.failure = FailureKind::RefusedStream;
  EXPECT_EQ(decide_retry(s), RetryDecision::Retry);
}

TEST(RetryPolicy, StartedResponsesAbortAndTimeoutsAre504) {
  auto s = state("GET", FailureKind::ConnectionLost);
  s.response_head_forwarded = true;
  EXPECT_EQ(decide_retry(s), RetryDecision::AbortResponse);
  auto t = state("GET", FailureKind::Timeout);
  EXPECT_EQ(decide_retry(t), RetryDecision::AnswerGatewayTimeout);
}

TEST(RetryPolicy, Idempotency) {
  for (auto m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
    EXPECT_TRUE(is_idempotent(m)) << m;
  for (auto m : {"POST", "PATCH", "CONNECT", "get"}) EXPECT_FALSE(is_idempotent(m)) << m;
}

TEST(ConnectionLimiter, GlobalAndPerIpCaps) {
  ConnectionLimiter l(3, 2);
  EXPECT_EQ(l.try_acquire("a"), ConnectionLimiter::Verdict::Accept);
  EXPECT_EQ(l.try_acquire("a"), ConnectionLimiter::Verdict::Accept);
  EXPECT_EQ(l.try_acquire("a"), ConnectionLimiter::Verdict::TooManyFromIp);
  EXPECT_EQ(l.try_acquire("b"), ConnectionLimiter::Verdict::Accept);
  EXPECT_EQ(l.try_acquire("c"), ConnectionLimiter::Verdict::TooManyTotal);
  EXPECT_EQ(l.from("c"), 0u);
  l.release("a");
  EXPECT_EQ(l.try_acquire("c"), ConnectionLimiter::Verdict::Accept);
  EXPECT_EQ(l.total(), 3u);
  EXPECT_EQ(l.refused(), 2u);
}

// Shared by every worker thread: concurrent accepts and closes never lose or invent a count, and
// the caps hold across threads.
TEST(ConnectionLimiter, SharedByWorkerThreads) {
  ConnectionLimiter l(1000000, 1000000);
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&l, t] {
      const std::string ip = "10.0.0." + std::to_string(t % 2);
      for (int i = 0; i < kRounds; ++i) {
        ASSERT_EQ(l.try_acquire(ip), ConnectionLimiter::Verdict::Accept);
        if (i % 2 == 1) l.release(ip);  // every other connection stays open
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(l.total(), uint32_t{kThreads} * kRounds / 2);
  EXPECT_EQ(l.from("10.0.0.0"), uint32_t{kThreads} * kRounds / 4);

  // A reload lowers the caps: open connections stay, new ones are refused until below.
  l.set_limits(10, 1000000);
  EXPECT_EQ(l.try_acquire("10.0.0.9"), ConnectionLimiter::Verdict::TooManyTotal);
  EXPECT_EQ(l.total(), uint32_t{kThreads} * kRounds / 2);
}

}  // namespace
}  // namespace crossmux::mux::proxy
