// Exchange: one request and its response as IR, owned by the client leg that read the request and
// tied to the backend leg that carries it; its lifecycle is the phase table of lifecycle.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/result.h"
#include "codecs/message/events.h"
#include "codecs/message/message.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/exchange/backend_set.h"
#include "mux/proxy/exchange/buffer_budget.h"
#include "mux/proxy/exchange/lifecycle.h"
#include "mux/proxy/exchange/sides.h"
#include "mux/proxy/exchange/tunnel.h"

namespace crossmux::mux::proxy {

// Body bytes one direction of one exchange may hold before its reader is paused (H1: stop
// reading the socket; H2: receive credit is withheld, which the window already bounds).
inline constexpr size_t kQueueCap = 256 * 1024;
// What a direction holds while its writer can take nothing (an HTTP/2 window at zero, a client
// that stopped reading): past it the reader pauses too, so a stalled stream costs tens of KiB,
// not kQueueCap (pump() sets Half::limit).
inline constexpr size_t kStalledHold = 16 * 1024;
// Interim (1xx) response heads one exchange holds for a client that has not taken them: an
// in-order backend's reader pauses at this many, and heads past it are dropped (a backend can
// send 1xx heads without end; RFC 9110 §15.2 has them forwarded, not stored without bound).
inline constexpr size_t kMaxHeldInterim = 16;
// Room a head taken by Half::take_head keeps for what the proxy adds to it without another
// allocation: fields (Via, a generated request id, a joined Upgrade) and bytes (the request id,
// names lowercased for HTTP/2, a joined Cookie or Upgrade of a typical request).
inline constexpr size_t kHeadExtraFields = 4;
inline constexpr size_t kHeadExtraBytes = 192;
// Request body bytes kept after they were written so the request can be replayed on another
// connection (retry_policy.h); past this the request is no longer replayable.
inline constexpr size_t kReplayCap = 64 * 1024;

// One direction of an exchange. Its reader (the codec that decodes this message) is the producer:
// it sets the head, appends body bytes, sets trailers and the end. Its writer (pump(), legs/pump.h)
// is the consumer: it takes body bytes through pending()/written() and marks what went out. Each
// flag has one writer. The body bytes are private to those two interfaces, so what a Half holds is
// always what it charges to its BufferShare (the worker's and the client connection's budgets).
struct Half {
  Half() = default;
  Half(Half&&) = default;
  Half& operator=(Half&&) = delete;  // reset() starts over and keeps the budgets

  // Producer side.
  codecs::MessageHead head;
  bool head_ready = false;                   // the final head arrived
  std::vector<codecs::MessageHead> interim;  // 1xx heads to forward before the final head
  codecs::HeaderList trailers;
  bool has_trailers = false;
  bool end_received = false;
  // close_early() ended the message, not its reader: the peer may still be sending it.
  bool closed_early = false;
  uint64_t bytes_received = 0;
  // Consumer side.
  bool head_sent = false;
  bool end_sent = false;
  uint64_t bytes_sent = 0;
  uint64_t bytes_credited = 0;  // most body bytes ever written: what pump() reported as moved
  // Replay buffer (requests): while on, written body bytes stay held (they count against
  // kQueueCap) so rewind() can write the whole message again. Off for good once the first
  // response byte arrives (release_replay) or past kReplayCap written bytes.
  bool replay = false;

  // Body bytes received and not yet written.
  size_t queued() const { return body_.size() - body_off_; }
  // Body bytes held: queued ones and those kept for a replay.
  size_t held() const { return replay ? body_.size() : queued(); }
  // Consumer side: kQueueCap, or kStalledHold while the writer can take nothing (pump()).
  size_t limit = kQueueCap;
  // Whether the reader must pause. An in-order reader (HTTP/1.1, raw TCP: its connection carries
  // only this message now) pauses at `limit`; a multiplexed one only past kQueueCap, because
  // pausing an HTTP/2 connection for one stream would stall its other streams, its
  // WINDOW_UPDATEs and PINGs (each stream is bounded by the window the proxy grants).
  bool full(bool in_order) const {
    return held() >= (in_order ? limit : kQueueCap) ||
           (in_order && interim.size() >= kMaxHeldInterim);
  }
  // Producer: body bytes read (copied in).
  void append(codecs::Bytes data);
  // Consumer: up to `max` of the queued body bytes, oldest first (valid until the next call that
  // changes the body).
  codecs::Bytes pending(size_t max) const;
  // Consumer: every queued byte moves into `spare` (which must be empty) by swapping storage, as
  // written(queued()) would account it; the Half keeps `spare`'s old storage. False, and nothing
  // moves, while a replay keeps written bytes or `spare` holds bytes.
  bool hand_over(codecs::ByteBuffer& spare);
  // Consumer: after hand_over(), the writer's spare storage (empty) comes back for later appends
  // when it is larger than what the Half holds now.
  void adopt_storage(codecs::ByteBuffer& spare);
  // Consumer: the first `n` pending bytes were handed to the writer. Past kReplayCap written
  // bytes the request is no longer replayable (RFC 9110 §9.2.2: only a request held whole may be
  // replayed).
  void written(size_t n);
  // Drops the bytes kept for a replay; the message can no longer be rewound.
  void release_replay();
  // Drops every body byte held (and the replay): nothing of them is forwarded any more.
  void discard();
  // Whether rewind() can write the message again from its first byte.
  bool replayable() const { return replay || bytes_sent == 0; }
  // Prepares to write the message again (head, body from the start, trailers, end). The head was
  // translated in place when first written; translation is idempotent, so it is written as is.
  // False (nothing changed) when !replayable().
  bool rewind();
  // Drops what is queued and ends the message here: nothing more of it is forwarded (a refused
  // tunnel's request, whose bytes were never the backend's to read). Returns the bytes dropped.
  size_t close_early();
  // Starts the message over, empty (a retried exchange's response, an answer in place of one);
  // the budgets stay bound.
  void reset();
  // Takes a copy of a decoded head whose views all point into its own arena; `from` (the
  // decoder's) is left as it was, so the decoder reuses its field storage.
  void take_head(const codecs::MessageHead& from);
  bool done() const { return end_sent; }
  // Where the held bytes are charged (Exchange binds the worker's and the client's budgets).
  BufferShare& share() { return share_; }

 private:
  void charge() { share_.set(held()); }

  codecs::ByteBuffer body_;  // received, not yet written, from body_off_ (before: for a replay)
  size_t body_off_ = 0;
  BufferShare share_;
};

// RFC 9110 §9.3.2: a HEAD response's Content-Length describes the GET body. Decoders frame such
// a response as bodiless; this restores the length as metadata (from content_length or the
// Content-Length field) so the writer repeats it without sending a body.
void keep_head_length(codecs::MessageHead& head);

// Where the request goes: the routed cluster and the backends tried.
struct Route {
  const config::Cluster* cluster = nullptr;
  size_t cluster_index = 0;
  size_t backend_index = 0;
  BackendSet tried;
  uint32_t attempts = 0;  // every attempt (the access log's retries are attempts - 1)
  // Attempts since the last backoff (bounded by the cluster's connect_retries), backoffs taken,
  // and when the first attempt was made (the backoff budget is timeouts.backend_connect from it).
  uint32_t round_attempts = 0;
  uint32_t backoffs = 0;
  uint64_t first_attempt_ms = 0;
  // The backend connection carrying it had served before (a pool hit).
  bool reused_connection = false;
  // A replay after a lost connection: the pool opens a new connection rather than reuse one.
  bool fresh_connection = false;
};

// The clock of every duration an exchange records: monotonic, in microseconds, as the event
// loop read it after its last wait (one clock read per loop turn, not five per request, as
// HAProxy's and nginx's per-loop time): an event is timed from the turn that handled it.
inline int64_t loop_us(const net::EventLoop& loop) {
  return std::chrono::duration_cast<std::chrono::microseconds>(loop.now().time_since_epoch())
      .count();
}

// What the access log and metrics report (copied: the head is translated in place when sent).
struct LogFacts {
  // Views into the request's head as the exchange took it (request.head's arena, which lives as
  // long as the exchange and is never cleared: a request head is taken once), so logging a
  // request copies none of its strings; empty when the proxy answered before a head arrived.
  std::string_view method;
  std::string_view authority;
  std::string_view path;
  std::string_view request_id;  // ops/request_facts.h
  std::string_view user_agent;
  std::string_view referer;
  std::string backend_address;
  // Times on one monotonic microsecond clock (loop_us()), so no duration can exceed one that
  // contains it: started_us <= request_sent_us <= response head.
  int64_t started_us = 0;
  int64_t connect_us = -1;  // the backend connect, when this exchange opened the connection
  int64_t request_sent_us = -1;
  int64_t backend_response_us = -1;  // request head written -> response head received
  // Why the proxy answered itself or cut the exchange ("" when it did neither).
  std::string_view reason;
};

class Exchange {
 public:
  // `timers` runs the exchange's deadlines; their expiry is reported to `client`.
  Exchange(ClientSide& client, net::TimerWheel& timers, codecs::StreamId client_stream,
           const config::Timeouts& timeouts);
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  Phase phase() const { return phase_; }
  // Moves along kPhaseTransitions and arms the deadline of the phase entered (Queued and
  // Attached: backend_connect + backend_response; Forwarding and TunnelPending:
  // backend_response; Responding: stream_progress; Tunnel: tunnel; the others: none). An event
  // the table forbids is a bug: lifecycle_violation() is called, the phase stays and broken()
  // becomes true (the client leg then cuts the exchange).
  void advance(ExchangeEvent e);
  bool broken() const { return broken_; }
  // The proxy answered this exchange itself (it went through Answered).
  bool answered() const { return answered_; }

  // Re-arms the deadline for `ms` from now (a connection that connected, bytes that moved).
  void arm_deadline(uint64_t ms) { deadline_.arm(ms); }
  void cancel_deadline() { deadline_.cancel(); }
  bool deadline_armed() const { return deadline_.armed(); }
  // The flow-control stall: response bytes wait for a client that takes none. begin_stall()
  // records when it began and arms its deadline `ms` from now; arm_stall() moves the deadline
  // (the stall goes on); hasten_stall() brings it forward to `grace_ms` after the stall began,
  // when that is sooner (a queue waits for the backend connection the stall holds).
  void begin_stall(uint64_t ms);
  void arm_stall(uint64_t ms) { stall_.arm(ms); }
  void hasten_stall(uint64_t grace_ms);
  void cancel_stall() {
    stall_.cancel();
    stall_since_ = kNoStall;
  }
  bool stall_armed() const { return stall_.armed(); }
  bool stalling() const { return stall_since_ != kNoStall; }
  // Milliseconds since the stall began (0 when none is under way).
  uint64_t stalled_ms() const;
  // A stall at a zero HTTP/2 window: the octets of the connection's output the client's side had
  // acknowledged when it began (ClientSession::stall_expired: has the client read on since?).
  uint64_t stall_delivered = 0;
  // How long the exchange may go without a byte moving in its phase (0: no progress deadline).
  uint64_t progress_timeout_ms() const;

  ClientSide& client;
  const codecs::StreamId client_stream;
  // What the request asks for (tunnel.h), fixed when the head arrives.
  TunnelKind tunnel = TunnelKind::None;
  Half request;
  Half response;
  BackendLink backend{*this};
  Route route;
  LogFacts log;
  // An HTTP/1.1 backend sent bytes for this exchange (even ones that did not decode as a response):
  // it processed the request, so a lost connection is no longer grounds for a retry.
  bool response_started = false;

 private:
  const config::Timeouts& timeouts_;
  net::TimerWheel& timers_;
  static constexpr uint64_t kNoStall = ~uint64_t{0};
  uint64_t stall_since_ = kNoStall;  // timers_.now() when the stall began
  Phase phase_ = Phase::Routing;
  bool broken_ = false;
  bool answered_ = false;
  net::Timer deadline_;
  net::Timer stall_;
};

}  // namespace crossmux::mux::proxy
