// The exchange lifecycle table (exchange/lifecycle.h): every transition of the diagram, nothing
// after a terminal phase, illegal events caught, and the deadline each phase arms.
#include "mux/proxy/exchange/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "mux/net/timer_wheel.h"
#include "mux/proxy/exchange/exchange.h"

namespace crossmux::mux::proxy {
namespace {

using E = ExchangeEvent;
using P = Phase;

// The diagram's edges and where each leads, written out once more by hand: the table must hold
// exactly these.
const std::map<std::pair<P, E>, P>& legal() {
  static const std::map<std::pair<P, E>, P> edges = {
      {{P::Routing, E::Queue}, P::Queued},
      {{P::Routing, E::Attach}, P::Attached},
      {{P::Routing, E::Answer}, P::Answered},
      {{P::Routing, E::Abort}, P::Aborted},
      {{P::Queued, E::Attach}, P::Attached},
      {{P::Queued, E::Retry}, P::Routing},
      {{P::Queued, E::Answer}, P::Answered},
      {{P::Queued, E::Abort}, P::Aborted},
      {{P::Attached, E::SendHead}, P::Forwarding},
      {{P::Attached, E::SendTunnelHead}, P::TunnelPending},
      {{P::Attached, E::Retry}, P::Routing},
      {{P::Attached, E::Answer}, P::Answered},
      {{P::Attached, E::Abort}, P::Aborted},
      {{P::Forwarding, E::ResponseHead}, P::Responding},
      {{P::Forwarding, E::Retry}, P::Routing},
      {{P::Forwarding, E::Answer}, P::Answered},
      {{P::Forwarding, E::Abort}, P::Aborted},
      {{P::TunnelPending, E::ResponseHead}, P::Responding},
      {{P::TunnelPending, E::TunnelAccept}, P::Tunnel},
      {{P::TunnelPending, E::Retry}, P::Routing},
      {{P::TunnelPending, E::Answer}, P::Answered},
      {{P::TunnelPending, E::Abort}, P::Aborted},
      {{P::Tunnel, E::Answer}, P::Answered},
      {{P::Tunnel, E::Complete}, P::Done},
      {{P::Tunnel, E::Abort}, P::Aborted},
      {{P::Responding, E::Answer}, P::Answered},
      {{P::Responding, E::Complete}, P::Done},
      {{P::Responding, E::Abort}, P::Aborted},
      {{P::Answered, E::Complete}, P::Done},
      {{P::Routing, E::Wait}, P::Backoff},
      {{P::Backoff, E::Retry}, P::Routing},
      {{P::Backoff, E::Answer}, P::Answered},
      {{P::Backoff, E::Abort}, P::Aborted},
      {{P::Answered, E::Abort}, P::Aborted},
  };
  return edges;
}

TEST(ExchangeLifecycle, TableHoldsExactlyTheDiagram) {
  for (size_t p = 0; p < kPhaseCount; ++p) {
    for (size_t e = 0; e < kExchangeEventCount; ++e) {
      const auto phase = static_cast<P>(p);
      const auto event = static_cast<E>(e);
      const auto edge = legal().find({phase, event});
      const P want = edge == legal().end() ? P::Invalid : edge->second;
      EXPECT_EQ(next_phase(phase, event), want) << to_string(event) << " in " << to_string(phase);
    }
  }
}

TEST(ExchangeLifecycle, TunnelOnlyThroughConsent) {
  // Tunnel is entered by TunnelAccept alone, and only from TunnelPending (a request whose head was
  // written as a tunnel request): no other event, from no other phase, opens one.
  for (size_t p = 0; p < kPhaseCount; ++p) {
    for (size_t e = 0; e < kExchangeEventCount; ++e) {
      const auto phase = static_cast<P>(p);
      const auto event = static_cast<E>(e);
      if (next_phase(phase, event) != P::Tunnel) continue;
      EXPECT_EQ(phase, P::TunnelPending);
      EXPECT_EQ(event, E::TunnelAccept);
    }
  }
  // A refusal is an ordinary response, and request bytes wait until consent.
  EXPECT_EQ(next_phase(P::TunnelPending, E::ResponseHead), P::Responding);
  EXPECT_FALSE(request_body_flows(P::TunnelPending));
  EXPECT_FALSE(request_body_flows(P::Attached));
  EXPECT_TRUE(request_body_flows(P::Tunnel));
}

TEST(ExchangeLifecycle, TerminalPhasesTakeNothing) {
  for (P p : {P::Done, P::Aborted}) {
    EXPECT_TRUE(terminal(p));
    for (size_t e = 0; e < kExchangeEventCount; ++e) {
      EXPECT_EQ(next_phase(p, static_cast<E>(e)), P::Invalid);
    }
  }
  // Every non-terminal phase can be aborted.
  for (size_t p = 0; p < kPhaseCount; ++p) {
    if (!terminal(static_cast<P>(p))) {
      EXPECT_EQ(next_phase(static_cast<P>(p), E::Abort), P::Aborted);
    }
  }
}

struct NullClient : ClientSide {
  void wake() override {}
  void credit(codecs::StreamId, size_t) override {}
  void progressed(Exchange&) override {}
  void answer(Exchange&, uint16_t, std::string_view) override {}
  void backend_failed(Exchange&, FailureKind) override {}
  void deadline_expired(Exchange&) override { ++deadlines; }
  void stall_expired(Exchange&) override { ++stalls; }
  int deadlines = 0;
  int stalls = 0;
};

std::vector<std::pair<P, E>> seen_violations;
void record(P p, E e) {
  seen_violations.push_back({p, e});
}

TEST(ExchangeLifecycle, IllegalEventIsCaughtAndLeavesThePhase) {
  set_lifecycle_violation_handler(record);
  seen_violations.clear();
  net::TimerWheel wheel;
  NullClient client;
  config::Timeouts t;
  Exchange ex(client, wheel, 1, t);
  const uint64_t before = lifecycle_violations();
  ex.advance(E::TunnelAccept);  // no tunnel request was ever written
  EXPECT_EQ(ex.phase(), P::Routing);
  EXPECT_TRUE(ex.broken());
  EXPECT_EQ(lifecycle_violations(), before + 1);
  ASSERT_EQ(seen_violations.size(), 1u);
  EXPECT_EQ(seen_violations[0], std::make_pair(P::Routing, E::TunnelAccept));
  set_lifecycle_violation_handler(nullptr);
}

TEST(ExchangeLifecycle, EachWaitingPhaseHasADeadline) {
  net::TimerWheel wheel;
  NullClient client;
  config::Timeouts t;
  t.backend_connect = config::Millis(100);
  t.backend_response = config::Millis(1000);
  t.stream_progress = config::Millis(500);
  t.tunnel = config::Millis(7000);
  Exchange ex(client, wheel, 1, t);
  EXPECT_FALSE(ex.deadline_armed());
  ex.advance(E::Queue);  // a queued exchange waits for a connection, but not forever
  ASSERT_TRUE(ex.deadline_armed());
  wheel.advance(1099);
  EXPECT_EQ(client.deadlines, 0);
  wheel.advance(1100);
  EXPECT_EQ(client.deadlines, 1);
  ex.advance(E::Attach);
  ASSERT_TRUE(ex.deadline_armed());
  ex.advance(E::SendTunnelHead);
  ASSERT_TRUE(ex.deadline_armed());
  EXPECT_EQ(ex.progress_timeout_ms(), 1000u);
  ex.advance(E::TunnelAccept);
  EXPECT_EQ(ex.phase(), P::Tunnel);
  EXPECT_EQ(ex.progress_timeout_ms(), 7000u);
  ex.advance(E::Complete);
  EXPECT_EQ(ex.phase(), P::Done);
  EXPECT_FALSE(ex.deadline_armed());
  EXPECT_FALSE(ex.broken());
}

// Once the response head is in, the deadline is stream_progress (no byte moved for that long),
// no longer the backend's time to answer.
TEST(ExchangeLifecycle, ResponseHeadArmsTheStreamProgressDeadline) {
  net::TimerWheel wheel;
  NullClient client;
  config::Timeouts t;
  t.backend_response = config::Millis(1000);
  t.stream_progress = config::Millis(500);
  Exchange ex(client, wheel, 1, t);
  ex.advance(E::Attach);
  ex.advance(E::SendHead);
  EXPECT_EQ(ex.progress_timeout_ms(), 1000u);
  ex.advance(E::ResponseHead);
  EXPECT_EQ(ex.phase(), P::Responding);
  EXPECT_EQ(ex.progress_timeout_ms(), 500u);
  ASSERT_TRUE(ex.deadline_armed());
  wheel.advance(499);
  EXPECT_EQ(client.deadlines, 0);
  wheel.advance(500);
  EXPECT_EQ(client.deadlines, 1);
}

// hasten_stall() brings a stall's deadline forward to the grace after its start, never back.
TEST(ExchangeLifecycle, HastenStallNeverPostponesTheStall) {
  net::TimerWheel wheel;
  NullClient client;
  config::Timeouts t;
  Exchange late(client, wheel, 1, t);
  Exchange soon(client, wheel, 3, t);
  late.begin_stall(1000);
  soon.begin_stall(1000);
  late.hasten_stall(2000);  // later than the stall's own deadline: no change
  soon.hasten_stall(300);
  wheel.advance(299);
  EXPECT_EQ(client.stalls, 0);
  wheel.advance(300);
  EXPECT_EQ(client.stalls, 1);
  wheel.advance(1000);
  EXPECT_EQ(client.stalls, 2);
}

TEST(ExchangeLifecycle, AnsweredHasNoBackendDeadline) {
  net::TimerWheel wheel;
  NullClient client;
  config::Timeouts t;
  Exchange ex(client, wheel, 1, t);
  ex.advance(E::Attach);
  ex.advance(E::SendHead);
  ASSERT_TRUE(ex.deadline_armed());
  ex.advance(E::Answer);
  EXPECT_TRUE(ex.answered());
  EXPECT_FALSE(ex.deadline_armed());
  EXPECT_FALSE(on_backend(ex.phase()));
}

}  // namespace
}  // namespace crossmux::mux::proxy
