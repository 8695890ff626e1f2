// The protocol-neutral codec seen by the proxy: bytes in -> IR events, IR out -> bytes, so no
// session code above it ever asks which HTTP version a connection speaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/byte_chain.h"
#include "codecs/base/bytes.h"
#include "codecs/base/error.h"
#include "codecs/base/result.h"
#include "codecs/h2/counters.h"
#include "codecs/message/events.h"
#include "codecs/message/message.h"
#include "mux/config/config.h"
#include "mux/proxy/exchange/tunnel.h"

namespace crossmux::mux::proxy {

// A deadline a codec asks its owner to time (it has no clock): when `serial` changes while armed,
// start a timer of `timeout_ms`; when it fires, call Codec::expire(kind, serial).
struct CodecDeadline {
  bool armed = false;
  uint32_t timeout_ms = 0;
  uint64_t serial = 0;
};
// H2: SETTINGS acknowledgement and header-block completion (RFC 9113 §6.5.3, §6.10).
inline constexpr size_t kDeadlineKinds = 2;

// One side of one connection. Four implementations: H1 server (client-facing HTTP/1.1), H1 client
// (HTTP/1.1 backend), H2 server, H2 client; plus the raw TCP backend leg of a CONNECT tunnel. Each
// applies the translation rules of the protocol it writes (codecs/message/translate.h
// prepare_for_h1 / prepare_for_h2) in send_head.
class Codec {
 public:
  virtual ~Codec() = default;

  // Decodes `input`, emitting events into the sink given at construction. Returns the bytes
  // consumed (the caller keeps the rest) or the connection error (H1: error.code is the status to
  // answer with; H2: a GOAWAY is already queued in the output).
  virtual codecs::Result<size_t> feed(codecs::Bytes input) = 0;
  // The peer finished sending. Errors: an H1 message cut short (kErrIncompleteMessage).
  virtual codecs::Status finish() = 0;

  // Sends a head. Client codecs open a stream and return its id (`stream` is ignored); server
  // codecs answer `stream`. The head is translated in place for the written protocol.
  // Errors: translation errors (400 request / 502 response), encoder errors (500), H2 stream
  // errors (no such stream, stream limit, going away).
  virtual codecs::Result<codecs::StreamId> send_head(codecs::StreamId stream,
                                                     codecs::MessageHead& head, bool end) = 0;
  // Errors: the encoder's (length mismatch, body after end) or kNoSuchStream.
  virtual codecs::Status send_data(codecs::StreamId stream, codecs::Bytes data, bool end) = 0;
  // As send_data(), with a buffer whose storage the codec takes rather than copying its bytes:
  // HTTP/1.1 and raw TCP put it in their output as it is (ByteChain::adopt), HTTP/2 swaps it into
  // an empty stream queue whose buffer then becomes a DATA frame's payload. `data` is left empty,
  // possibly holding spare storage the codec gave back.
  virtual codecs::Status send_data_storage(codecs::StreamId stream, codecs::ByteBuffer& data,
                                           bool end) = 0;
  // Ends the message with trailers (dropped where the wire cannot carry them).
  virtual codecs::Status send_trailers(codecs::StreamId stream, codecs::HeaderList& trailers) = 0;
  // Abandons a stream: RST_STREAM on H2; H1 cannot reset one message, so it marks the connection
  // unusable (the owner closes it).
  virtual void reset(codecs::StreamId stream, codecs::H2Code code) = 0;
  // Stops taking new streams: GOAWAY(NO_ERROR) on H2, `Connection: close` on the next H1
  // response; exchanges in flight finish.
  virtual void go_away() = 0;
  // `n` body bytes of `stream` were forwarded on: return receive credit (H2; no-op on H1).
  virtual void consume(codecs::StreamId stream, size_t n) = 0;

  // Deadline `kind` (< kDeadlineKinds); H1 codecs never arm one.
  virtual CodecDeadline deadline(size_t kind) const = 0;
  // A deadline fired. Stale serials are ignored; otherwise a connection error (SETTINGS_TIMEOUT,
  // ENHANCE_YOUR_CALM) goes to the sink and a GOAWAY into the output.
  virtual void expire(size_t kind, uint64_t serial) = 0;

  // Emits the events the codec owes without new input: a raw TCP leg (make_tcp_tunnel_client)
  // reports its tunnel open once the CONNECT head was "written". True when it emitted something
  // (input held back until then may now be fed). Others: nothing, false.
  virtual bool deliver() { return false; }

  // Appends the bytes owed to the peer (body buffers as parts of their own, not copied).
  virtual void take_output(codecs::ByteChain& out) = 0;
  // The same bytes appended to one contiguous buffer (a copy of the body bytes), for writers
  // that want them so: the admin server, health checks, tests.
  void take_output(codecs::ByteBuffer& out) {
    codecs::ByteChain chain;
    take_output(chain);
    chain.move_to(out);
  }
  virtual bool wants_output() const = 0;
  // Server codecs: what waits unconsumed belongs to a request head (or to the frame that carries
  // one). False inside an HTTP/1.1 body (a chunk-size line, a chunk's CRLF or a trailer section
  // not whole yet), whose slowness the exchange's own deadlines cover, and while the decoder
  // consumes nothing: after a tunnel request until its response says whether the bytes are
  // tunnel data, and after a request that ended the connection.
  virtual bool at_head() const { return true; }

  // Body bytes worth handing to send_data for `stream` now (0: wait).
  virtual size_t capacity(codecs::StreamId stream) const = 0;
  // Whether the peer's flow control lets `stream` send (HTTP/2: the stream's and the
  // connection's windows are above zero); a protocol without flow control always does. With
  // capacity() at 0 and the window open, what waits is the socket: the peer reads slowly.
  virtual bool window_open(codecs::StreamId) const { return true; }
  // With a window of `stream` at zero: whether the DATA that closed each closed window has yet
  // to reach the peer's side (it acknowledged `delivered` octets of take_output(); the rest
  // waits in our buffers or the kernel's), so that the peer cannot have credited it yet.
  virtual bool window_awaits_delivery(codecs::StreamId, uint64_t /*delivered*/) const {
    return false;
  }

  // Client codecs: whether another request may start now (H1: idle; H2: below the peer's
  // MAX_CONCURRENT_STREAMS and not going away).
  virtual bool can_open_stream() const = 0;
  // Same for a tunnel request (tunnel.h): HTTP/2 also waits for the peer's SETTINGS, which say
  // whether extended CONNECT is enabled (RFC 8441 §3).
  virtual bool can_open_tunnel() const { return can_open_stream(); }
  // Whether the connection can carry further exchanges once the current ones end (H1: cleanly
  // framed keep-alive; H2: no GOAWAY, no error).
  virtual bool reusable() const = 0;
  // How many exchanges a client codec may carry at once (H1: 1; H2: the peer's
  // MAX_CONCURRENT_STREAMS, capped by the proxy's own limit).
  virtual size_t stream_limit() const = 0;

  // Policy questions, so no code above the codecs asks which protocol a leg speaks:
  // One message can be cut without the connection (HTTP/2: RST_STREAM). Otherwise cutting one
  // ends the connection (HTTP/1.1, RFC 9112 §9.6; a raw tunnel), and the end of a tunnel
  // direction is the socket's FIN.
  virtual bool can_cut_stream() const = 0;
  // Messages go in request order (HTTP/1.1, RFC 9112 §9.3.2): responses are written, and read,
  // oldest first, so any byte read belongs to the oldest exchange.
  virtual bool ordered() const = 0;
  // A decoding error is answered in band with a status (HTTP/1.1: 400, 413, 431, ...; then the
  // connection closes) rather than by the GOAWAY the codec already queued (HTTP/2).
  virtual bool answers_errors() const = 0;
  // A peer's end of input leaves the connection open in the other direction: HTTP/1.1 answers
  // the requests it read whole (RFC 9112 §9.6 lets a client close its side after them). HTTP/2
  // has no half-closed connection: nothing can arrive any more, not even the WINDOW_UPDATEs
  // pending responses need, so every exchange ends with it.
  virtual bool answers_after_peer_eof() const = 0;
  // Server codecs: the exchange on `stream` is finished from our side while the peer may still be
  // sending its request (an early answer, a refused tunnel): HTTP/2 resets the stream with
  // NO_ERROR once the response is flushed (RFC 9113 §8.1). HTTP/1.1 reads and drops the rest.
  virtual void finish_stream(codecs::StreamId) {}
  // Client codecs: whether the final response `head` to a tunnel request of kind `asked`
  // accepts the tunnel (RFC 9110 §7.8, §9.3.6; RFC 8441 §5): HTTP/1.1 a 101 whose Upgrade is
  // the WebSocket asked for (another protocol: Invalid, never tunnelled); HTTP/2 a 2xx to
  // (extended) CONNECT; a raw TCP leg its own 200. Any other response refuses the tunnel and is
  // an ordinary response.
  enum class TunnelVerdict : uint8_t { Accepted = 0, Refused = 1, Invalid = 2 };
  virtual TunnelVerdict tunnel_verdict(const codecs::MessageHead& head, TunnelKind asked) const {
    return TunnelVerdict::Refused;
  }
  virtual std::string_view protocol() const = 0;  // "HTTP/1.1" or "HTTP/2"
};

// Codec settings derived from the configuration's limits.
struct CodecLimits {
  uint32_t max_header_bytes = 65536;
  uint32_t max_request_line = 8192;
  uint64_t max_request_body = 0;
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_window_size = 65535;
  uint32_t max_frame_size = 16384;
  uint32_t header_table_size = 4096;
  uint32_t max_header_list_size = 65536;
  uint32_t max_header_fields = 128;
  uint32_t max_continuation_frames = 16;
  uint32_t reset_budget = 200;
  uint32_t glitch_budget = 1000;
  uint32_t max_queued_control = 1000;
  uint32_t max_settings_entries = 32;
  uint32_t settings_ack_ms = 10000;
  uint32_t header_timeout_ms = 10000;
  uint32_t connection_window = 16u << 20;
  uint32_t max_header_block_bytes = 256u << 10;
  // Where HTTP/2 connections tally frames, resets, GOAWAYs and fired limits (the worker's
  // metrics): server-role codecs (client-facing) into `h2_client_side`, client-role codecs
  // (backends) into `h2_backend_side`. Null: not counted.
  codecs::h2::Counters* h2_client_side = nullptr;
  codecs::h2::Counters* h2_backend_side = nullptr;
};
CodecLimits codec_limits(const config::Config& config);

std::unique_ptr<Codec> make_h1_server(codecs::EventSink& sink, const CodecLimits& limits);
std::unique_ptr<Codec> make_h1_client(codecs::EventSink& sink, const CodecLimits& limits);
std::unique_ptr<Codec> make_h2_server(codecs::EventSink& sink, const CodecLimits& limits);
std::unique_ptr<Codec> make_h2_client(codecs::EventSink& sink, const CodecLimits& limits);
// The backend leg of a plain CONNECT tunnel: raw TCP, no HTTP; a 200 (framing Tunnel) is emitted
// by deliver() after the CONNECT head was handed to send_head, then bytes flow both ways.
std::unique_ptr<Codec> make_tcp_tunnel_client(codecs::EventSink& sink);

}  // namespace crossmux::mux::proxy
