// Names of the exchange phases and events, and what an illegal transition does.
#include "mux/proxy/exchange/lifecycle.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace crossmux::mux::proxy {

std::string_view to_string(Phase p) {
  switch (p) {
    case Phase::Routing:
      return "Routing";
    case Phase::Queued:
      return "Queued";
    case Phase::Attached:
      return "Attached";
    case Phase::Forwarding:
      return "Forwarding";
    case Phase::TunnelPending:
      return "TunnelPending";
    case Phase::Tunnel:
      return "Tunnel";
    case Phase::Responding:
      return "Responding";
    case Phase::Answered:
      return "Answered";
    case Phase::Done:
      return "Done";
    case Phase::Aborted:
      return "Aborted";
    case Phase::Backoff:
      return "Backoff";
    case Phase::Invalid:
      return "Invalid";
  }
  return "?";
}

std::string_view to_string(ExchangeEvent e) {
  switch (e) {
    case ExchangeEvent::Queue:
      return "Queue";
    case ExchangeEvent::Attach:
      return "Attach";
    case ExchangeEvent::SendHead:
      return "SendHead";
    case ExchangeEvent::SendTunnelHead:
      return "SendTunnelHead";
    case ExchangeEvent::ResponseHead:
      return "ResponseHead";
    case ExchangeEvent::TunnelAccept:
      return "TunnelAccept";
    case ExchangeEvent::Retry:
      return "Retry";
    case ExchangeEvent::Answer:
      return "Answer";
    case ExchangeEvent::Complete:
      return "Complete";
    case ExchangeEvent::Abort:
      return "Abort";
    case ExchangeEvent::Wait:
      return "Wait";
  }
  return "?";
}

namespace {

std::atomic<uint64_t> violations{0};

void default_handler(Phase from, ExchangeEvent event) {
#ifdef CROSSMUX_STRICT_LIFECYCLE
  std::fprintf(stderr, "exchange lifecycle violation: %s in phase %s\n", to_string(event).data(),
               to_string(from).data());
  std::abort();
#else
  (void)from;
  (void)event;
#endif
}

std::atomic<LifecycleViolationHandler> handler{default_handler};

}  // namespace

void set_lifecycle_violation_handler(LifecycleViolationHandler h) {
  handler.store(h ? h : default_handler);
}

void lifecycle_violation(Phase from, ExchangeEvent event) {
  violations.fetch_add(1, std::memory_order_relaxed);
  handler.load()(from, event);
}

uint64_t lifecycle_violations() {
  return violations.load(std::memory_order_relaxed);
}

}  // namespace crossmux::mux::proxy
