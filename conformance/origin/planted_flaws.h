// Deliberately broken origin behaviour, the proof that `crossmux fuzz` finds real bugs: compiled
// only into the test build's planted_origin (fuzz/net/test), which defines
// CROSSMUX_ORIGIN_PLANTED_FLAWS; `crossmux origin` never has it. Each flaw is the kind of bug the
// fuzzer's oracles exist for, reachable only by a particular combination of traffic.
#pragma once

#ifndef CROSSMUX_ORIGIN_PLANTED_FLAWS
#error "the planted flaws exist only in the test build (CROSSMUX_ORIGIN_PLANTED_FLAWS)"
#endif

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "codecs/message/message.h"

namespace crossmux::conformance::planted {

using Key = std::pair<const void*, uint32_t>;  // connection, stream

// Which flaws are armed (planted_origin's arguments; all by default).
enum Flaw : unsigned { kCrash = 1, kLateData = 2, kSwallow = 4, kFreeze = 8, kLeak = 16 };
inline unsigned& armed() {
  static unsigned a = kCrash | kLateData | kSwallow | kFreeze | kLeak;
  return a;
}

struct State {
  std::set<Key> body_started;     // a request body is arriving
  std::set<Key> wants_trailers;   // te: trailers on HTTP/2
  std::set<Key> swallowed;        // never answered
  std::vector<Key> closed_extra;  // owed one DATA frame after their END_STREAM
  std::vector<std::string> leaked;
};
inline State& state() {
  static State s;
  return s;
}

// Flaw 4 (liveness, HTTP/1.1): a GET or HEAD whose target holds %00 freezes the event loop:
// nothing is served any more, on any connection. Flaw 5 (memory, HTTP/2): each request carrying a
// cookie leaks 1 MiB. Flaw 2 and 3 are armed here (below).
inline void on_head(const void* c, uint32_t s, const codecs::MessageHead& h, bool http2) {
  if ((armed() & kFreeze) && !http2 && (h.method == "GET" || h.method == "HEAD") &&
      h.path.find("%00") != std::string_view::npos) {
    while (true) pause();
  }
  if ((armed() & kLeak) && http2 && h.headers.find("cookie")) {
    state().leaked.emplace_back(1 << 20, 'L');  // written, so it is resident
  }
  if (http2) {
    const auto* te = h.headers.find("te");
    if ((armed() & kLateData) && te && te->value == "trailers") {
      state().wants_trailers.insert({c, s});
    }
  } else if ((armed() & kSwallow) && h.expect_continue && h.framing == codecs::Framing::Streaming) {
    state().swallowed.insert({c, s});
  }
}

inline void on_data(const void* c, uint32_t s) {
  state().body_started.insert({c, s});
}

// Flaw 1 (crash, HTTP/2): a RST_STREAM for a stream whose request body is still arriving frees
// the exchange twice (here: aborts, as a hardened allocator would).
inline void on_reset(const void* c, uint32_t s, bool exchange_open) {
  if ((armed() & kCrash) && exchange_open && state().body_started.count({c, s})) std::abort();
}

// Flaw 3 (hang, HTTP/1.1): a request with Expect: 100-continue and a chunked body is never
// answered; the connection stays open.
inline bool swallowed(const void* c, uint32_t s) {
  return state().swallowed.count({c, s}) != 0;
}

// Flaw 2 (protocol, HTTP/2): after the response to a request with te: trailers ends, one more
// DATA frame goes out on the closed stream (RFC 9113 §5.1).
inline void response_done(const void* c, uint32_t s) {
  if (state().wants_trailers.erase({c, s})) state().closed_extra.push_back({c, s});
}
inline void flush(const void* c, codecs::ByteBuffer& out) {
  auto& extra = state().closed_extra;
  for (auto it = extra.begin(); it != extra.end();) {
    if (it->first != c) {
      ++it;
      continue;
    }
    codecs::h2::write_data(out, it->second, codecs::as_bytes("late"), false);
    it = extra.erase(it);
  }
}

inline void forget(const void* c) {
  auto& st = state();
  for (auto* set : {&st.body_started, &st.wants_trailers, &st.swallowed}) {
    std::erase_if(*set, [c](const Key& k) { return k.first == c; });
  }
  std::erase_if(st.closed_extra, [c](const Key& k) { return k.first == c; });
}

}  // namespace crossmux::conformance::planted
