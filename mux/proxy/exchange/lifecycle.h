// The proxy exchange's lifecycle (one request and its response) as a {phase, event} -> phase
// table, like codecs/h2/stream_state.h does for RFC 9113 streams.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crossmux::mux::proxy {

/*
  A request head arrived whole and valid enough to route:

                              Answer (no route, 4xx, redirect, no backend left, ...)
   +---------+ -----------------------------------------------------------------+
   | Routing | --Queue--> +--------+ --Answer (queue deadline)------------------+
   +---------+            | Queued |                                           |
     |   ^  ^             +--------+                                           |
     |   |  |  Retry          |                                                |
     |   |  +-----------------+ Attach                                         |
     |   |  Retry             v                                                v
     |   +------------- +----------+                                     +----------+
     +-----Attach-----> | Attached | --Answer (request untranslatable)-->| Answered |
                        +----------+                                     +----------+
                      SendHead |  | SendTunnelHead                        ^   |
                               v  v                                       |   |
            +------------+      +---------------+  Answer (backend        |   |
            | Forwarding |      | TunnelPending |  failed, nothing sent)  |   |
            +------------+      +---------------+ ------------------------+   |
  ResponseHead |  (1xx: stay)     |           | TunnelAccept                  |
               v                  |           v                               |
         +------------+ <---------+      +--------+                           |
         | Responding | ResponseHead     | Tunnel |                           |
         +------------+ (refused: an     +--------+                           |
               |         ordinary            |                                |
               | Complete  response)         | Complete (both directions      |
               v                             v  closed)                       |
         +-----------------------------------------+ <-----Complete-----------+
         |                  Done                   |
         +-----------------------------------------+
   Wait (no backend could be reached: every one refused or failed to connect) goes from Routing to
   Backoff, which Retry leaves for Routing again after a delay, within timeouts.backend_connect
   of the first attempt (short backend outages are ridden out rather than answered 502); Answer
   ends the wait when the budget is spent.
   Abort (client reset, backend lost mid-response, stall, connection error) goes from every
   non-terminal phase to Aborted. Retry (the backend failed, retry_policy.h says try again) goes
   from Queued, Attached, Forwarding and TunnelPending back to Routing. Answer is also allowed
   from Forwarding, Responding and Tunnel while no response byte reached the client (a response the
   client's protocol cannot carry: 502; a backend timeout: 504).

  Invariants the phases carry (checked by the table and by who may call what):
  - a backend leg exists only in Attached, Forwarding, TunnelPending, Tunnel, Responding; a
    Responding exchange gives it up early once both messages crossed it whole, or when the
    client stopped sending a request body after the response arrived whole (stream_progress);
    it then waits with its whole response for its turn (HTTP/1.1 answers in request order);
  - request body bytes are written to the backend only in Forwarding and Responding (a tunnel
    request's bytes wait in TunnelPending and are written raw only in Tunnel);
  - Tunnel is entered only by TunnelAccept: a 101 from an HTTP/1.1 backend to the WebSocket
    upgrade asked for, a 2xx from an HTTP/2 backend to extended CONNECT, or a raw TCP connect
    for CONNECT; any other final response to a tunnel request is an ordinary response;
  - Done and Aborted are terminal: the exchange is logged once and destroyed.
*/

enum class Phase : uint8_t {
  Routing = 0,        // head received; choosing a cluster, a backend, a connection
  Queued = 1,         // waiting in the backend pool for a connection (max_connections_per_backend)
  Attached = 2,       // on a backend connection; request head not yet written
  Forwarding = 3,     // request head written; no final response head yet (request may stream)
  TunnelPending = 4,  // tunnel request written; waiting for the backend's consent
  Tunnel = 5,         // both ends agreed: bytes flow raw both ways
  Responding = 6,     // the backend's final response head arrived; response (and request) flow
  Answered = 7,       // the proxy answers itself; no backend leg
  Done = 8,           // response written whole (and the request read whole, or cut off)
  Aborted = 9,        // cut: client reset, backend lost mid-response, stall, connection error
  Backoff = 10,       // no backend reachable now: waiting before trying again
  Invalid = 11,       // the event is not allowed in this phase (a bug)
};
std::string_view to_string(Phase p);

enum class ExchangeEvent : uint8_t {
  Queue = 0,           // the pool has no connection to give: wait in its queue
  Attach = 1,          // a backend connection carries the exchange from now on
  SendHead = 2,        // the request head was written to the backend
  SendTunnelHead = 3,  // a tunnel request's head was written to the backend
  ResponseHead = 4,    // the backend's final (non-tunnel) response head arrived
  TunnelAccept = 5,    // the backend consented to the tunnel
  Retry = 6,           // the backend leg failed and the request goes out again
  Answer = 7,          // the proxy answers itself
  Complete = 8,        // the response was written whole
  Abort = 9,           // the exchange is cut
  Wait = 10,           // no backend could be reached: try again after a backoff
};
std::string_view to_string(ExchangeEvent e);

inline constexpr size_t kPhaseCount = 11;
inline constexpr size_t kExchangeEventCount = 11;

using PhaseTable = std::array<std::array<Phase, kExchangeEventCount>, kPhaseCount>;
inline constexpr PhaseTable kPhaseTransitions = [] {
  constexpr Phase Ro = Phase::Routing, Qu = Phase::Queued, At = Phase::Attached,
                  Fw = Phase::Forwarding, TP = Phase::TunnelPending, Tu = Phase::Tunnel,
                  Rs = Phase::Responding, An = Phase::Answered, Dn = Phase::Done,
                  Ab = Phase::Aborted, Bo = Phase::Backoff, No = Phase::Invalid;
  // clang-format off
  return PhaseTable{{
      //            Queue Attach SendHead SendTunnel RespHead TunAccept Retry Answer Complete Abort Wait
      /* Routing */ {{Qu,  At,    No,      No,        No,      No,       No,   An,    No,      Ab,   Bo}},
      /* Queued  */ {{No,  At,    No,      No,        No,      No,       Ro,   An,    No,      Ab,   No}},
      /* Attach. */ {{No,  No,    Fw,      TP,        No,      No,       Ro,   An,    No,      Ab,   No}},
      /* Forw.   */ {{No,  No,    No,      No,        Rs,      No,       Ro,   An,    No,      Ab,   No}},
      /* TunPend */ {{No,  No,    No,      No,        Rs,      Tu,       Ro,   An,    No,      Ab,   No}},
      /* Tunnel  */ {{No,  No,    No,      No,        No,      No,       No,   An,    Dn,      Ab,   No}},
      /* Respond.*/ {{No,  No,    No,      No,        No,      No,       No,   An,    Dn,      Ab,   No}},
      /* Answer. */ {{No,  No,    No,      No,        No,      No,       No,   No,    Dn,      Ab,   No}},
      /* Done    */ {{No,  No,    No,      No,        No,      No,       No,   No,    No,      No,   No}},
      /* Aborted */ {{No,  No,    No,      No,        No,      No,       No,   No,    No,      No,   No}},
      /* Backoff */ {{No,  No,    No,      No,        No,      No,       Ro,   An,    No,      Ab,   No}},
  }};
  // clang-format on
}();

inline constexpr Phase next_phase(Phase p, ExchangeEvent e) {
  if (static_cast<size_t>(p) >= kPhaseCount) return Phase::Invalid;
  return kPhaseTransitions[static_cast<size_t>(p)][static_cast<size_t>(e)];
}

// A backend leg exists (the exchange is on a backend connection).
inline constexpr bool on_backend(Phase p) {
  return p == Phase::Attached || p == Phase::Forwarding || p == Phase::TunnelPending ||
         p == Phase::Tunnel || p == Phase::Responding;
}
inline constexpr bool terminal(Phase p) {
  return p == Phase::Done || p == Phase::Aborted;
}
// Request body bytes may be written to the backend (Tunnel: as tunnel bytes).
inline constexpr bool request_body_flows(Phase p) {
  return p == Phase::Forwarding || p == Phase::Responding || p == Phase::Tunnel;
}

// Called on an illegal transition. The default aborts the process in builds with
// CROSSMUX_STRICT_LIFECYCLE (sanitizer and fuzz builds: a bug must be loud) and otherwise returns,
// letting the caller cut the exchange (a production proxy fails closed instead of crashing).
using LifecycleViolationHandler = void (*)(Phase from, ExchangeEvent event);
void set_lifecycle_violation_handler(LifecycleViolationHandler h);
void lifecycle_violation(Phase from, ExchangeEvent event);
// Illegal transitions seen by this process (metrics).
uint64_t lifecycle_violations();

}  // namespace crossmux::mux::proxy
