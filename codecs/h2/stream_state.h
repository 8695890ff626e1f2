// The RFC 9113 §5.1 stream lifecycle as a {state, event} -> state table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crossmux::codecs::h2 {

/*
                              +--------+
                      send PP |        | recv PP
                     ,--------+  idle  +--------.
                    /         |        |         \
                   v          +--------+          v
            +----------+          |           +----------+
            |          |          | send H /  |          |
     ,------+ reserved |          | recv H    | reserved +------.
     |      | (local)  |          |           | (remote) |      |
     |      +---+------+          v           +------+---+      |
     |          |             +--------+             |          |
     |          |     recv ES |        | send ES     |          |
     |   send H |     ,-------+  open  +-------.     | recv H   |
     |          |    /        |        |        \    |          |
     |          v   v         +---+----+         v   v          |
     |      +----------+          |           +----------+      |
     |      |   half-  |          |           |   half-  |      |
     |      |  closed  |          | send R /  |  closed  |      |
     |      | (remote) |          | recv R    | (local)  |      |
     |      +----+-----+          |           +-----+----+      |
     |           |                |                 |           |
     |           | send ES /      |       recv ES / |           |
     |           |  send R /      v        send R / |           |
     |           |  recv R    +--------+   recv R   |           |
     | send R /  `----------->|        |<-----------'  send R / |
     | recv R                 | closed |               recv R   |
     `----------------------->|        |<-----------------------'
                              +--------+
   send: endpoint sends this frame; recv: endpoint receives this frame
   H: HEADERS frame (with implied CONTINUATION frames); ES: END_STREAM flag; R: RST_STREAM;
   PP: PUSH_PROMISE frame (with implied CONTINUATION frames)
*/

enum class StreamState : uint8_t {
  Idle = 0,
  ReservedLocal = 1,
  ReservedRemote = 2,
  Open = 3,
  HalfClosedLocal = 4,
  HalfClosedRemote = 5,
  Closed = 6,
  Invalid = 7,  // the event is not allowed in this state
};
std::string_view to_string(StreamState s);

enum class StreamEvent : uint8_t {
  SendHeaders = 0,
  RecvHeaders = 1,
  SendEndStream = 2,
  RecvEndStream = 3,
  SendRst = 4,
  RecvRst = 5,
  SendPushPromise = 6,
  RecvPushPromise = 7,
};
std::string_view to_string(StreamEvent e);

inline constexpr size_t kStreamStateCount = 7;
inline constexpr size_t kStreamEventCount = 8;

// The diagram above, one row per state, one column per event. HEADERS that do not change the
// state (trailers, 1xx, the response on an open stream) map to the same state.
using TransitionTable = std::array<std::array<StreamState, kStreamEventCount>, kStreamStateCount>;
inline constexpr TransitionTable kTransitions = [] {
  constexpr StreamState Op = StreamState::Open, HL = StreamState::HalfClosedLocal,
                        HR = StreamState::HalfClosedRemote, RL = StreamState::ReservedLocal,
                        RR = StreamState::ReservedRemote, Cl = StreamState::Closed,
                        No = StreamState::Invalid;
  // clang-format off
  return TransitionTable{{
      //                  SendH RecvH SendES RecvES SendR RecvR SendPP RecvPP
      /* idle */         {{Op,   Op,   No,    No,    No,   No,   RL,    RR}},
      /* reserved (l) */ {{HR,   No,   No,    No,    Cl,   Cl,   No,    No}},
      /* reserved (r) */ {{No,   HL,   No,    No,    Cl,   Cl,   No,    No}},
      /* open */         {{Op,   Op,   HL,    HR,    Cl,   Cl,   No,    No}},
      /* half-cl (l) */  {{No,   HL,   No,    Cl,    Cl,   Cl,   No,    No}},
      /* half-cl (r) */  {{HR,   No,   Cl,    No,    Cl,   Cl,   No,    No}},
      /* closed */       {{No,   No,   No,    No,    Cl,   Cl,   No,    No}},
  }};
  // clang-format on
}();

constexpr StreamState transition(StreamState s, StreamEvent e) {
  if (s == StreamState::Invalid) return StreamState::Invalid;
  return kTransitions[static_cast<size_t>(s)][static_cast<size_t>(e)];
}

// Whether the peer may send DATA / HEADERS in this state (§5.1: open or half-closed (local)).
constexpr bool can_receive(StreamState s) {
  return s == StreamState::Open || s == StreamState::HalfClosedLocal;
}
// Whether we may send DATA in this state (open or half-closed (remote)).
constexpr bool can_send(StreamState s) {
  return s == StreamState::Open || s == StreamState::HalfClosedRemote;
}

}  // namespace crossmux::codecs::h2
