// ClientSession: one client-facing connection (HTTP/1.1 or HTTP/2, told apart by the preface)
// owning its exchanges and writing their responses through its codec.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "mux/net/timer_wheel.h"
#include "mux/net/tls_stream.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/peer.h"
#include "mux/proxy/pool/retry_policy.h"

namespace crossmux::mux::proxy {

// Input bytes a client connection buffers before it stops reading: a request head is decoded only
// once whole, so the input must hold one of max_header_bytes plus its request line (a smaller cap
// would leave the decoder waiting for bytes never read), and at least kInputCap.
size_t client_input_cap(const CodecLimits& limits);

class ClientSession final : public Peer, public ClientSide {
 public:
  // `ip` was counted by the worker's ConnectionLimiter. `tls` is the stream itself when the
  // listener is a TLS one (ALPN picks the codec).
  ClientSession(Worker& worker, const config::Listener& listener,
                std::unique_ptr<net::ByteStream> stream, net::TlsStream* tls, std::string peer,
                std::string ip);
  ~ClientSession() override;

  // Registers with the loop. Errors: kEpoll.
  codecs::Status start();
  void on_ready() override;

  // ClientSide (what a backend leg tells this session about an exchange).
  void wake() override { Peer::wake(); }
  void credit(codecs::StreamId stream, size_t n) override;
  void progressed(Exchange& ex) override;
  // The proxy answers `ex` itself (a default answer as IR); any backend leg is abandoned.
  void answer(Exchange& ex, uint16_t status, std::string_view reason) override;
  void backend_failed(Exchange& ex, FailureKind kind) override;
  void deadline_expired(Exchange& ex) override;
  void stall_expired(Exchange& ex) override;

  // Answers with a prepared response head and body (redirects, overrides).
  void answer_with(Exchange& ex, codecs::MessageHead head, std::string body,
                   std::string_view reason);
  // The proxy is shutting down: no new requests (H2: the two-step GOAWAY; H1: `Connection: close`
  // on the next response); exchanges in flight finish, then the connection closes. A connection
  // that has not chosen its protocol yet closes at once.
  void drain();

  const config::Listener& listener() const { return listener_; }
  // Every exchange in flight (bounds checks in tests and fuzzing).
  template <class F>
  void for_each_exchange(F&& f) const {
    for (const auto& [id, ex] : exchanges_) f(*ex);
  }
  const std::string& peer_address() const { return peer_; }
  // The TLS stream of a TLS listener's connection, null on a plain one.
  const net::TlsStream* tls() const { return tls_; }
  // Requests in flight (metrics).
  size_t active_exchanges() const { return exchanges_.size(); }
  // Brings every stalled exchange's deadline forward to kStallGraceUnderPressureMs after its
  // stall began (the worker's or this connection's buffer budget is exceeded).
  void hasten_stalls();

 private:
  // How an exchange leaves the session (end_exchange).
  enum class End : uint8_t {
    Complete,  // its response was written whole
    Abort,     // cut: the client stream is reset (HTTP/2) with the given code
    Lost,      // the connection itself is gone: nothing more is written
  };

  // EventSink: requests decoded from the client.
  void on_head(codecs::StreamId s, codecs::MessageHead& head) override;
  void on_data(codecs::StreamId s, codecs::Bytes data) override;
  // Whether `more` body octets would take the request past limits.max_request_body; if so the
  // request is refused (413) or, its response started, cut, and true.
  bool body_over_limit(Exchange& ex, uint64_t more);
  void on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) override;
  void on_end_of_message(codecs::StreamId s) override;
  void on_reset(codecs::StreamId s, uint32_t code) override;
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  // Decoding failed for good: HTTP/2 (the GOAWAY is queued) ends every exchange; HTTP/1.1
  // answers the error in band once feed() returns.
  void on_connection_error(const codecs::Error&) override;

  Exchange* find(codecs::StreamId s);
  bool detect_protocol();
  // TLS: drives the handshake, then picks the codec from ALPN. False on a failed handshake.
  bool handshake();
  void feed();
  // The client's bytes ended: a request still open can never finish.
  void client_finished();
  bool reading_paused() const;
  void pump_responses();
  // Whether the request side of `ex` is over as far as the client connection is concerned.
  bool request_over(const Exchange& ex) const;
  // The one teardown: ends the backend leg (framed or abandoned), leaves the pool's queue,
  // applies the lifecycle event, resets the client stream for End::Abort, logs once, destroys.
  void end_exchange(Exchange& ex, End how, codecs::H2Code code = codecs::H2Code::Cancel);
  void answer_decode_error(const codecs::Error& e);
  void abort_all(End how);
  bool should_close() const;
  void update_timer();
  void on_timeout();
  // Starts or stops `ex`'s flow-control stall deadline after a pump that wrote `wrote` bytes.
  void track_stall(Exchange& ex, size_t wrote);
  // After the socket took bytes: restarts the stall of exchanges that wait on it alone.
  void socket_progressed();
  void close();

  const config::Listener& listener_;
  net::TlsStream* tls_;
  std::string peer_;
  std::string ip_;  // released to the worker's ConnectionLimiter on destruction
  std::map<codecs::StreamId, std::unique_ptr<Exchange>> exchanges_;
  codecs::StreamId last_stream_ = 0;
  bool codec_failed_ = false;  // decoding stopped for good (error answered or GOAWAY queued)
  bool closing_ = false;       // an idle timeout, an HTTP/1.1 response cut: close once flushed
  bool drop_output_ = false;   // a client that reads nothing: close without flushing
  bool closed_ = false;
  bool head_timer_ = false;  // timer_ runs the request-headers deadline of a started head
  net::Timer timer_;
};

}  // namespace crossmux::mux::proxy
