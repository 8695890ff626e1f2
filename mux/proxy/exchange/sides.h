// The two sides an exchange is tied to, as seen from the exchange: the client leg that read the
// request and owns the exchange, and the backend leg that carries it (with the link between them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "codecs/message/events.h"
#include "mux/proxy/exchange/buffer_budget.h"

namespace crossmux::mux::proxy {

class Exchange;

// Why a backend leg failed (retry_policy.h decides what follows).
enum class FailureKind : uint8_t {
  ConnectFailed = 0,      // never connected: nothing was sent
  ConnectionLost = 1,     // the backend connection closed or reset
  RefusedStream = 2,      // H2 RST_STREAM REFUSED_STREAM: RFC 9113 §8.7, not processed
  GoAwayUnprocessed = 3,  // H2 GOAWAY with last-stream-id below this stream: not processed
  Timeout = 4,            // backend response timeout
};

// How a backend leg ended, which decides whether its connection may carry another exchange.
enum class LegEnd : uint8_t {
  Framed = 0,     // the request was written whole and the response read whole
  Abandoned = 1,  // cut before that: an HTTP/2 stream is reset, an HTTP/1.1 connection retired
};

// The client leg (ClientSession): what a backend leg may tell it about an exchange.
class ClientSide {
 public:
  // Response bytes or events arrived for the client: run the client leg.
  virtual void wake() = 0;
  // `n` request body bytes of `stream` were written to the backend: return receive credit.
  virtual void credit(codecs::StreamId stream, size_t n) = 0;
  // Body bytes moved for `ex` (either direction): restart its progress deadline.
  virtual void progressed(Exchange& ex) = 0;
  // The proxy answers `ex` itself (the backend leg is already ended).
  virtual void answer(Exchange& ex, uint16_t status, std::string_view reason) = 0;
  // The backend leg of `ex` failed and is already ended: retry, answer or abort.
  virtual void backend_failed(Exchange& ex, FailureKind kind) = 0;
  // `ex`'s deadline (queue, connect, response, progress, tunnel) passed.
  virtual void deadline_expired(Exchange& ex) = 0;
  // `ex`'s response waited timeouts.flow_control_stall for a client that took nothing.
  virtual void stall_expired(Exchange& ex) = 0;

  // How many of this client's exchanges are on backend connections now (kept by BackendLink):
  // the pool serves its queue fewest-first, so one client's many streams cannot keep others
  // waiting behind them.
  size_t backend_legs() const { return backend_legs_; }

  // The body bytes this connection's exchanges hold (limits.max_buffers_per_connection) and
  // those of the whole worker (limits.max_buffers; null outside a worker): Exchange charges both.
  BufferBudget& connection_buffers() { return connection_buffers_; }
  const BufferBudget& connection_buffers() const { return connection_buffers_; }
  BufferBudget* worker_buffers() const { return worker_buffers_; }

 protected:
  ~ClientSide() = default;
  void bind_buffers(BufferBudget* worker, size_t connection_limit) {
    worker_buffers_ = worker;
    connection_buffers_.set_limit(connection_limit);
  }

 private:
  friend class BackendLink;
  size_t backend_legs_ = 0;
  BufferBudget connection_buffers_;  // destroyed after the derived leg's exchanges
  BufferBudget* worker_buffers_ = nullptr;
};

// The backend leg (BackendConnection): what the client leg may tell it.
class BackendSide {
 public:
  // The leg of `ex` ends (called only through BackendLink::end).
  virtual void unlink(Exchange& ex, LegEnd end) = 0;
  // Request bytes or events arrived for the backend: run the backend leg.
  virtual void wake() = 0;
  // `n` response body bytes of backend stream `stream` were written to the client.
  virtual void credit(codecs::StreamId stream, size_t n) = 0;

 protected:
  ~BackendSide() = default;
};

// The tie between an exchange and the backend connection carrying it. Bound by the pool when a
// connection takes the exchange; ended exactly once: end() from the exchange's side (the
// connection learns whether the leg ended framed), or sever() from the connection's side (it is
// failing or done with the exchange and tells the client leg itself). A BackendLink destroyed
// while bound abandons the leg, so no connection ever keeps a pointer to a dead exchange.
class BackendLink {
 public:
  explicit BackendLink(Exchange& ex) : ex_(ex) {}
  ~BackendLink() { end(LegEnd::Abandoned); }
  BackendLink(const BackendLink&) = delete;
  BackendLink& operator=(const BackendLink&) = delete;

  bool bound() const { return side_ != nullptr; }
  BackendSide* side() const { return side_; }
  // The backend codec's stream id (0 until the request head is written).
  codecs::StreamId stream() const { return stream_; }
  void set_stream(codecs::StreamId s) { stream_ = s; }

  void bind(BackendSide& side);
  void end(LegEnd how);
  void sever();

 private:
  Exchange& ex_;
  BackendSide* side_ = nullptr;
  codecs::StreamId stream_ = 0;
};

}  // namespace crossmux::mux::proxy
