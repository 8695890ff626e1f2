// Incremental, zero-copy HTTP/1.1 decoder (RFC 9112) for requests or responses into IR events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "codecs/base/bytes.h"
#include "codecs/base/result.h"
#include "codecs/h1/framing.h"
#include "codecs/h1/head_parser.h"
#include "codecs/message/events.h"
#include "codecs/message/message.h"

namespace crossmux::codecs::h1 {

struct DecoderOptions {
  Limits limits;
  ObsFoldPolicy response_obs_fold = ObsFoldPolicy::ReplaceWithSpace;
};

// Decodes one direction of an HTTP/1.1 connection.
//
// Contract (consumed / need-more / error, as picohttpparser):
//   feed(input, sink) decodes as much of `input` as it can, emits events into `sink`, and returns
//   how many bytes it consumed. The caller keeps the unconsumed tail and presents it again, with
//   more data appended, on the next call. A head is only parsed once it is complete, so the
//   caller's buffer must be able to hold max_header_bytes. Nothing is copied: head fields are
//   views into `input` (valid during on_head only), data events are views into `input`.
//   On error, the error is also reported to sink.on_connection_error and every later call returns
//   the same error; the caller answers (requests: error.code is the status to send) and closes.
//
// Events: messages get stream ids 1, 2, 3... in pipeline order. A message is on_head, zero or more
// on_data, optional on_trailers (chunked only, when the trailer section is not empty), then
// on_end_of_message. Interim responses (1xx other than 101) are an on_head with no end, followed
// by the final response on the same stream id.
//
// Stopping points: the decoder consumes nothing more (feed returns what it consumed so far) when
//   - a message ends the connection (keep_alive false): closed() is true; bytes after it are
//     never consumed;
//   - a request head has Framing::Tunnel (CONNECT, or Upgrade): awaiting_tunnel() is true until
//     the caller calls resolve_tunnel() with the outcome of the response.
//
// Responses: the decoder must be told, in order, about each request sent (expect_response), so it
// can frame responses to HEAD and CONNECT and validate 101. A response with no outstanding request
// is an error (kErrUnsolicitedResponse).
class Decoder {
 public:
  explicit Decoder(MessageKind kind, DecoderOptions options = {});

  // Errors: any listed in head_parser.h, field_facts.h, framing.h and chunked.h, plus
  // kErrBodyTooLarge (413) for a chunked body past limits.max_body, kErrForbiddenTrailer (400) for
  // a kFieldNotInTrailers field in trailers (codecs/base/field_table.h: Content-Length,
  // Transfer-Encoding, Host, TE, Connection and the other connection fields),
  // kErrBadChunkTerminator (400) when chunk data is not followed by exactly CRLF,
  // kErrUnsolicitedResponse (502).
  Result<size_t> feed(Bytes input, EventSink& sink);

  // The peer closed its side. Ends a close-delimited response or a tunnel with on_end_of_message.
  // Error kErrIncompleteMessage (400 / 502) when a head, body or trailer section was cut short.
  Status finish(EventSink& sink);

  // Response decoders: the next outstanding request (in the order requests were sent).
  void expect_response(const RequestInfo& request) {
    if (pending_.capacity() == 0) pending_.reserve(4);  // a few outstanding: one allocation
    pending_.push_back(request);
  }
  void expect_response(const MessageHead& request);

  // Request decoders, after a Tunnel head: `accepted` (a 2xx to CONNECT or a 101 was sent) makes
  // every later byte an on_data of that stream until finish(). Otherwise the request ends
  // (on_end_of_message); an Upgrade request is then an ordinary request and decoding continues,
  // while a refused CONNECT closes the connection (closed() becomes true).
  void resolve_tunnel(bool accepted, EventSink& sink);

  bool awaiting_tunnel() const { return state_ == State::TunnelPending; }
  bool closed() const { return state_ == State::Closed; }
  bool failed() const { return state_ == State::Failed; }
  // True between messages (nothing partially decoded).
  bool idle() const { return state_ == State::Head && !partial_; }
  // A head (or nothing yet) is what the next bytes start or continue: not inside a body, nor
  // held after a tunnel request or a message that closed the connection.
  bool at_head() const { return state_ == State::Head; }
  StreamId last_stream() const { return stream_; }

 private:
  enum class State : uint8_t {
    Head,
    KnownBody,
    ChunkSize,
    ChunkData,
    ChunkDataEnd,
    Trailers,
    CloseBody,
    TunnelPending,
    Tunnel,
    Closed,
    Failed,
  };

  // Steps return the bytes they consumed, or kStepFailed with the error in step_error_ (no
  // Result on the per-chunk path).
  static constexpr size_t kStepFailed = SIZE_MAX;
  size_t step_failed(const Error& e) {
    step_error_ = e;
    return kStepFailed;
  }
  size_t step(const uint8_t* p, size_t n, EventSink& sink);
  size_t step_head(const uint8_t* p, size_t n, EventSink& sink);
  // Parses a head starting at p, reading nothing at or past end; returns its length (through the
  // blank line) and sets first_line to the start line's (with its CRLF).
  Result<size_t> parse_head(const uint8_t* p, const uint8_t* end, size_t& first_line);
  size_t step_chunk_size(const uint8_t* p, size_t n);
  size_t step_chunk_end(const uint8_t* p, size_t n);
  size_t step_trailers(const uint8_t* p, size_t n, EventSink& sink);
  size_t emit_body(const uint8_t* p, size_t n, uint64_t& remaining, EventSink& sink);
  void start_body(EventSink& sink);
  void end_message(EventSink& sink);
  Error fail(Error e, EventSink& sink);
  void reset_head();

  MessageKind kind_;
  DecoderOptions options_;
  State state_ = State::Head;
  bool partial_ = false;  // the last feed left bytes unconsumed
  bool interim_ = false;  // the last head was a 1xx: the final response keeps its stream id
  bool keep_alive_ = true;
  bool connect_ = false;  // current request is CONNECT
  StreamId stream_ = 0;
  uint64_t remaining_ = 0;   // KnownBody / ChunkData bytes left
  uint64_t body_total_ = 0;  // chunked body bytes so far, for limits.max_body
  HeadScanner scanner_;
  MessageHead head_;
  HeaderList trailers_;
  // Outstanding requests, oldest first (response decoders): a vector read from `pending_head_`
  // (std::deque would allocate its map and a 512-byte node with every decoder, pipelined or not).
  std::vector<RequestInfo> pending_;
  size_t pending_head_ = 0;
  bool no_pending() const { return pending_head_ == pending_.size(); }
  void pop_pending();
  Error error_{};
  Error step_error_{};
};

}  // namespace crossmux::codecs::h1
