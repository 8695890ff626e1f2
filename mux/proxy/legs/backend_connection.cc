// Backend connection: connect deadline, request writing, response intake, failure handling.
#include "mux/proxy/legs/backend_connection.h"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "mux/proxy/legs/client_session.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

BackendConnection::BackendConnection(Worker& worker, BackendKey key, const config::Cluster& cluster,
                                     std::unique_ptr<net::ByteStream> stream, bool raw)
    : Peer(worker, std::move(stream)), key_(key), timer_(worker.loop().timers(), [this] {
        if (connecting_) {
          worker_.balancer(key_.cluster).mark_down(key_.backend);
          fail_all(FailureKind::ConnectFailed);
        }
        close();
      }) {
  if (raw) {
    codec_ = make_tcp_tunnel_client(*this);
  } else if (cluster.protocol == config::BackendProtocol::Http1) {
    codec_ = make_h1_client(*this, worker.limits());
  } else {
    codec_ = make_h2_client(*this, worker.limits());
  }
  worker_.balancer(key_.cluster).on_open(key_.backend);
}

BackendConnection::~BackendConnection() {
  for (Exchange* ex : exchanges_) ex->backend = nullptr;
  worker_.pool().remove(this);
  worker_.balancer(key_.cluster).on_close(key_.backend);
}

codecs::Status BackendConnection::start() {
  if (auto s = watch(); !s) return s;
  connect_started_ms_ = worker_.loop().now_ms();
  timer_.arm(static_cast<uint64_t>(worker_.config().timeouts.backend_connect.count()));
  return codecs::ok();
}

bool BackendConnection::accepts() const {
  if (closed_ || !codec_->reusable()) return false;
  if (exchanges_.size() >= codec_->stream_limit()) return false;
  // HTTP/1.1: only an idle connection; HTTP/2: below the stream limit (checked above).
  return codec_->multiplexed() || (exchanges_.empty() && !connecting_ && in_.empty());
}

void BackendConnection::attach(Exchange& ex) {
  ex.backend = this;
  ex.backend_stream = 0;
  ex.backend_address = worker_.backend_name(key_.cluster, key_.backend);
  exchanges_.push_back(&ex);
  if (!connecting_) timer_.cancel();
  // Every attached exchange has a deadline from the start, even while its head cannot be
  // written yet (the connection still connecting, or stuck behind a tunnel): the connect and
  // response timeouts bound the wait, then the usual timeout path answers it (mux_session found
  // an Upgrade request attached and never written, with nothing armed:
  // regressions/mux_session/upgrade-request-never-written).
  const auto& t = worker_.config().timeouts;
  arm_deadline(ex, t.backend_response + (connecting_ ? t.backend_connect : config::Millis(0)));
  wake();
}

// The exchange's one backend timer (created once, re-armed for each phase): on expiry the client
// session answers or retries per retry_policy.h.
void BackendConnection::arm_deadline(Exchange& ex, config::Millis after) {
  if (!ex.timer) {
    ClientSession* client = ex.client;
    Exchange* p = &ex;
    ex.timer = std::make_unique<net::Timer>(worker_.loop().timers(),
                                            [client, p] { client->exchange_timed_out(*p); });
  }
  ex.timer->arm(static_cast<uint64_t>(after.count()));
}

void BackendConnection::detach(Exchange& ex) {
  std::erase(exchanges_, &ex);
  ex.backend = nullptr;
  if (ex.timer) ex.timer->cancel();
}

void BackendConnection::release(Exchange& ex) {
  detach(ex);
  ++served_;
  wake();
}

void BackendConnection::abandon(Exchange& ex) {
  const bool unfinished = !ex.response.end_received || !ex.request.end_sent;
  detach(ex);
  if (unfinished && ex.request.head_sent) codec_->reset(ex.backend_stream, codecs::H2Code::Cancel);
  wake();
}

Exchange* BackendConnection::find(codecs::StreamId s) {
  for (Exchange* ex : exchanges_) {
    if (ex->backend_stream == s && ex->request.head_sent) return ex;
  }
  return nullptr;
}

bool BackendConnection::finish_connect() {
  if (!watch_->writable() && !watch_->error() && !watch_->hangup()) return true;
  if (auto s = stream_->finish_connect(); !s) {
    worker_.balancer(key_.cluster).mark_down(key_.backend);
    fail_all(FailureKind::ConnectFailed);
    return false;
  }
  connecting_ = false;
  timer_.cancel();
  worker_.balancer(key_.cluster).mark_up(key_.backend);
  const int64_t us = static_cast<int64_t>(worker_.loop().now_ms() - connect_started_ms_) * 1000;
  for (Exchange* ex : exchanges_) ex->connect_us = us;
  return true;
}

void BackendConnection::on_ready() {
  if (closed_) return;
  if (connecting_) {
    if (!finish_connect()) {
      close();
      return;
    }
    if (connecting_) return;
  }
  bool alive = read_input(reading_paused() ? 0 : kInputCap);
  // HTTP/1.1 carries one exchange at a time: any byte read now starts its answer, even a byte the
  // decoder is about to refuse (a malformed response must not be answered by a retry).
  if (!in_.empty() && !codec_->multiplexed()) {
    for (Exchange* ex : exchanges_)
      ex->response_started = ex->response_started || ex->request.head_sent;
  }
  if (!reading_paused()) {
    if (auto s = feed_codec(); !s) alive = false;
  }
  if (alive && peer_closed_ && in_.empty()) {
    (void)codec_->finish();  // ends a close-delimited response
    alive = false;
  }
  pump_requests();
  // A raw tunnel just opened: bytes the backend sent first (a banner) were held until now.
  if (codec_->deliver() && alive && !reading_paused()) {
    if (auto s = feed_codec(); !s) alive = false;
  }
  if (!flush() || codec_failed_) alive = false;
  if (alive) shut_tunnel_writes();
  if (!alive) {
    fail_all(FailureKind::ConnectionLost);
    close();
    return;
  }
  if (exchanges_.empty()) {
    if (!codec_->reusable() && !output_pending()) {
      close();
      return;
    }
    if (!timer_.armed()) {
      timer_.arm(static_cast<uint64_t>(worker_.config().timeouts.client_idle.count()));
    }
    trim();
  }
  sync_deadlines();
  if (accepts()) worker_.pool().on_capacity(this);
  if (!reading_paused() && more_to_read(kInputCap)) wake();
}

bool BackendConnection::reading_paused() const {
  for (const Exchange* ex : exchanges_) {
    if (ex->response.full()) return true;
  }
  return false;
}

void BackendConnection::pump_requests() {
  // A snapshot: a failing exchange detaches itself. This runs on every wake-up, so the usual few
  // exchanges are copied to the stack (copying the vector allocated each time).
  std::array<Exchange*, 16> inline_list;
  std::vector<Exchange*> heap_list;
  std::span<Exchange* const> list;
  if (exchanges_.size() <= inline_list.size()) {
    std::copy(exchanges_.begin(), exchanges_.end(), inline_list.begin());
    list = std::span<Exchange* const>(inline_list.data(), exchanges_.size());
  } else {
    heap_list = exchanges_;
    list = heap_list;
  }
  for (Exchange* ex : list) {
    if (ex->backend != this) continue;
    if (!ex->request.head_sent &&
        !(ex->tunnel ? codec_->can_open_tunnel() : codec_->can_open_stream())) {
      continue;
    }
    if (out_.size() >= kOutputHighWater) break;
    const bool head_was_sent = ex->request.head_sent;
    auto r = pump(ex->request, *codec_, ex->backend_stream);
    if (!r) {
      // The request cannot be written in the backend's protocol (RFC 9113 §8.2.2 rules).
      detach(*ex);
      const auto& e = r.error();
      const uint16_t status = e.answer_status(502);
      ex->client->answer(*ex, status, e.detail);
      continue;
    }
    if (!head_was_sent && ex->request.head_sent) {
      ex->request_sent_ms = worker_.loop().now_ms();
      arm_deadline(*ex, worker_.config().timeouts.backend_response);
    }
    if (*r > 0) {
      ex->client->codec().consume(ex->client_stream, *r);
      ex->client->wake();
      ex->client->progressed(*ex);
    }
    release_if_done(*ex);
  }
}

void BackendConnection::shut_tunnel_writes() {
  if (shut_write_ || codec_->multiplexed() || output_pending()) return;
  for (const Exchange* ex : exchanges_) {
    if (ex->tunnel && ex->request.end_sent &&
        ex->response.head.framing == codecs::Framing::Tunnel) {
      (void)stream_->shutdown_write();
      shut_write_ = true;
      return;
    }
  }
}

void BackendConnection::on_head(codecs::StreamId s, codecs::MessageHead& head) {
  Exchange* ex = find(s);
  if (!ex) return;
  // The backend started answering: the request can no longer be replayed elsewhere.
  ex->request.release_replay();
  if (head.is_informational() && !(head.status == 101 && ex->tunnel)) {
    // RFC 9110 §15.2: interim responses are forwarded; a 101 only opens a tunnel we asked for.
    if (head.status != 101) {
      ex->response.interim.emplace_back();
      ex->response.interim.back() = std::move(head);
      ex->response.interim.back().own_all();
      worker_.add_via(ex->response.interim.back());
    }
  } else {
    ex->response.take_head(head);
    // On our copy only: the HTTP/1.1 decoder frames the rest of this response from its own head
    // once on_head returns, and a response to HEAD has no body whatever its Content-Length says.
    if (ex->method == "HEAD") keep_head_length(ex->response.head);
    worker_.add_via(ex->response.head);
    ex->response.head_ready = true;
    ex->backend_response_us =
        static_cast<int64_t>(worker_.loop().now_ms() - ex->request_sent_ms) * 1000;
    if (ex->timer) {
      ex->timer->arm(ex->progress_timeout_ms(worker_.config().timeouts));
    }
  }
  ex->client->wake();
}

void BackendConnection::on_data(codecs::StreamId s, codecs::Bytes data) {
  Exchange* ex = find(s);
  if (!ex) {
    codec_->consume(s, data.size());
    return;
  }
  ex->response.append(data);
  ex->client->wake();
}

void BackendConnection::on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) {
  if (Exchange* ex = find(s)) {
    ex->response.trailers = trailers.clone();
    ex->response.has_trailers = true;
  }
}

void BackendConnection::on_end_of_message(codecs::StreamId s) {
  if (Exchange* ex = find(s)) {
    ex->response.end_received = true;
    if (ex->timer) ex->timer->cancel();
    ex->client->wake();
    release_if_done(*ex);
  }
}

void BackendConnection::release_if_done(Exchange& ex) {
  // The whole response is held by the exchange and the whole request went out: this connection
  // has nothing left to do for it, so it is given back now, not once the client has written the
  // response. An HTTP/1.1 client writes responses in request order; a later request holding the
  // only connection while an earlier one waits for it would otherwise never finish (found by
  // mux_session: pipelined requests, a refused connect, the retry queued behind the later one).
  if (ex.request.end_sent && ex.response.end_received) release(ex);
}

void BackendConnection::on_reset(codecs::StreamId s, uint32_t code) {
  Exchange* ex = find(s);
  if (!ex) return;
  detach(*ex);
  const bool refused = code == static_cast<uint32_t>(codecs::H2Code::RefusedStream);
  ex->client->backend_failed(*ex,
                             refused ? FailureKind::RefusedStream : FailureKind::ConnectionLost);
}

void BackendConnection::on_goaway(codecs::StreamId last, uint32_t, std::string_view) {
  // RFC 9113 §6.8: streams above last-stream-id were not processed and may be retried.
  auto list = exchanges_;
  for (Exchange* ex : list) {
    if (ex->request.head_sent && ex->backend_stream <= last) continue;
    detach(*ex);
    ex->client->backend_failed(*ex, FailureKind::GoAwayUnprocessed);
  }
  worker_.pool().remove(this);
}

void BackendConnection::fail_all(FailureKind kind) {
  auto list = std::move(exchanges_);
  exchanges_.clear();
  for (Exchange* ex : list) {
    ex->backend = nullptr;
    if (ex->timer) ex->timer->cancel();
    // A response already complete (the backend answered, then closed) is delivered, not failed;
    // what is left of its request is discarded.
    if (ex->response.end_received) {
      ex->request.release_replay();
      ex->request.body.clear();
      ex->request.body_off = 0;
      ex->client->wake();
      continue;
    }
    ex->client->backend_failed(*ex, kind);
  }
}

void BackendConnection::close() {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  worker_.pool().remove(this);
  worker_.loop().retire(std::unique_ptr<Handler>(this));
}

}  // namespace crossmux::mux::proxy
