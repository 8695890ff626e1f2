// Names of the RFC 9113 §5.1 stream states and events, for traces and test failures.
#include "codecs/h2/stream_state.h"

namespace crossmux::codecs::h2 {

std::string_view to_string(StreamState s) {
  switch (s) {
    case StreamState::Idle:
      return "idle";
    case StreamState::ReservedLocal:
      return "reserved (local)";
    case StreamState::ReservedRemote:
      return "reserved (remote)";
    case StreamState::Open:
      return "open";
    case StreamState::HalfClosedLocal:
      return "half-closed (local)";
    case StreamState::HalfClosedRemote:
      return "half-closed (remote)";
    case StreamState::Closed:
      return "closed";
    case StreamState::Invalid:
      return "invalid";
  }
  return "invalid";
}

std::string_view to_string(StreamEvent e) {
  switch (e) {
    case StreamEvent::SendHeaders:
      return "send HEADERS";
    case StreamEvent::RecvHeaders:
      return "recv HEADERS";
    case StreamEvent::SendEndStream:
      return "send END_STREAM";
    case StreamEvent::RecvEndStream:
      return "recv END_STREAM";
    case StreamEvent::SendRst:
      return "send RST_STREAM";
    case StreamEvent::RecvRst:
      return "recv RST_STREAM";
    case StreamEvent::SendPushPromise:
      return "send PUSH_PROMISE";
    case StreamEvent::RecvPushPromise:
      return "recv PUSH_PROMISE";
  }
  return "invalid";
}

}  // namespace crossmux::codecs::h2
