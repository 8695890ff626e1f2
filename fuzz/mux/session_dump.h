// mux_session: the proxy's state printed before a hang or a missing deadline is reported (the
// exchanges of every session with their phase and halves, the backend connections, the timers).
#pragma once

#include <cstdio>

#include "mux/net/event_loop.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/backend_connection.h"
#include "mux/proxy/legs/client_session.h"
#include "mux/proxy/pool/backend_pool.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::fuzz::mux_session {

inline void dump_state(mux::proxy::Worker& worker, mux::net::EventLoop& loop) {
  namespace proxy = mux::proxy;
  worker.for_each_session([&](const proxy::ClientSession& s) {
    std::fprintf(stderr, "session: input %zu output %zu\n", s.input_bytes(), s.output_bytes());
    s.for_each_exchange([&](const proxy::Exchange& ex) {
      std::fprintf(stderr,
                   "  exchange %u %.*s %.*s: phase %s attempts %u backend #%zu %p deadline %d "
                   "request head_sent %d end_received %d end_sent %d queued %zu; response "
                   "head_ready %d head_sent %d end_received %d end_sent %d queued %zu\n",
                   ex.client_stream, static_cast<int>(ex.log.method.size()), ex.log.method.data(),
                   static_cast<int>(ex.log.path.size()), ex.log.path.data(),
                   proxy::to_string(ex.phase()).data(), ex.route.attempts, ex.route.backend_index,
                   static_cast<const void*>(ex.backend.side()), ex.deadline_armed(),
                   ex.request.head_sent, ex.request.end_received, ex.request.end_sent,
                   ex.request.queued(), ex.response.head_ready, ex.response.head_sent,
                   ex.response.end_received, ex.response.end_sent, ex.response.queued());
    });
  });
  worker.pool().for_each_connection([&](const proxy::BackendConnection& c) {
    std::fprintf(stderr, "backend connection %p: connecting %d accepts %d input %zu output %zu\n",
                 static_cast<const void*>(&c), c.connecting(), c.accepts(), c.input_bytes(),
                 c.output_bytes());
  });
  std::fprintf(stderr, "timers armed: %zu\n", loop.timers().armed_count());
}

}  // namespace crossmux::fuzz::mux_session
