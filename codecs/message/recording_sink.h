// RecordingSink: an EventSink for tests that keeps a stable, diffable text trace of every event.
#pragma once

#include <string>
#include <vector>

#include "codecs/message/events.h"

namespace crossmux::codecs {

// One line per event, e.g.
//   head 1 request HTTP/1.1 GET - example.com /a framing=known(5) keep-alive
//     field "Host" "example.com"
//   data 1 "hello"
//   trailers 1
//     field "grpc-status" "0"
//   end 1
//   reset 3 PROTOCOL_ERROR
// Consecutive data events on the same stream are merged, so a decoder fed whole, byte by byte or
// at random splits produces the same trace.
class RecordingSink : public EventSink {
 public:
  void on_head(StreamId stream, MessageHead& head) override;
  void on_data(StreamId stream, Bytes data) override;
  void on_trailers(StreamId stream, HeaderList& trailers) override;
  void on_end_of_message(StreamId stream) override;
  void on_reset(StreamId stream, uint32_t code) override;
  void on_goaway(StreamId last_stream_id, uint32_t code, std::string_view debug) override;
  void on_connection_error(const Error& error) override;

  // The whole trace, one event line (plus indented field lines) per entry, '\n'-joined.
  std::string trace() const;
  const std::vector<std::string>& lines() const { return lines_; }
  size_t count(EventKind k) const;
  // Body bytes received per stream (raw, not escaped), for checksums in tests.
  std::string body(StreamId stream) const;
  void clear();

 private:
  void push(EventKind kind, StreamId stream, std::string line);

  std::vector<std::string> lines_;
  std::vector<EventKind> kinds_;
  std::vector<std::pair<StreamId, std::string>> bodies_;
  StreamId last_data_stream_ = 0;
  bool last_was_data_ = false;
};

}  // namespace crossmux::codecs
