// The IR event stream every codec emits and every consumer (proxy, tests, fuzzers) receives.
#pragma once

#include <cstdint>
#include <string_view>

#include "codecs/base/bytes.h"
#include "codecs/base/error.h"
#include "codecs/message/message.h"

namespace crossmux::codecs {

// HTTP/2 stream id, or 1.. for HTTP/1.1 exchanges in pipeline order. 0 is the connection.
using StreamId = uint32_t;

enum class EventKind : uint8_t {
  Head = 0,
  Data = 1,
  Trailers = 2,
  EndOfMessage = 3,
  Reset = 4,
  GoAway = 5,
  ConnectionError = 6,
};
std::string_view to_string(EventKind k);

// Receives decoded events. Views passed in (head fields, data, trailers) are valid only during
// the call unless the codec documents otherwise; a consumer that keeps them copies them.
// A message is Head, zero or more Data, optional Trailers, then EndOfMessage. Interim (1xx)
// responses are a Head with no EndOfMessage, followed by the final Head.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_head(StreamId stream, MessageHead& head) = 0;
  virtual void on_data(StreamId stream, Bytes data) = 0;
  virtual void on_trailers(StreamId stream, HeaderList& trailers) = 0;
  virtual void on_end_of_message(StreamId stream) = 0;
  // The stream ended abnormally: `code` is an H2Code (from RST_STREAM, or what we sent).
  virtual void on_reset(StreamId stream, uint32_t code) = 0;
  virtual void on_goaway(StreamId last_stream_id, uint32_t code, std::string_view debug) = 0;
  virtual void on_connection_error(const Error& error) = 0;
};

}  // namespace crossmux::codecs
