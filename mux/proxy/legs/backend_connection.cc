// Backend connection: connect deadline, request writing, response intake, tunnel consent,
// failure handling and the connection's own lifecycle.
#include "mux/proxy/legs/backend_connection.h"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

#include "mux/proxy/legs/pump.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

std::string_view to_string(BackendState s) {
  switch (s) {
    case BackendState::Connecting:
      return "Connecting";
    case BackendState::Open:
      return "Open";
    case BackendState::Retiring:
      return "Retiring";
    case BackendState::Closed:
      return "Closed";
  }
  return "?";
}

BackendConnection::BackendConnection(Worker& worker, BackendKey key, const config::Cluster& cluster,
                                     std::unique_ptr<net::ByteStream> stream, bool raw)
    : Peer(worker, std::move(stream)), key_(key), timer_(worker.loop().timers(), [this] {
        if (state_ == BackendState::Connecting) {
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
  for (Exchange* ex : exchanges_) ex->backend.sever();
  worker_.pool().remove(this);
  worker_.balancer(key_.cluster).on_close(key_.backend);
}

codecs::Status BackendConnection::start() {
  if (auto s = watch(); !s) return s;
  connect_started_us_ = loop_us(worker_.loop());
  timer_.arm(static_cast<uint64_t>(worker_.config().timeouts.backend_connect.count()));
  return codecs::ok();
}

bool BackendConnection::accepts() const {
  if (state_ != BackendState::Connecting && state_ != BackendState::Open) return false;
  return codec_->reusable() && exchanges_.size() < codec_->stream_limit();
}

void BackendConnection::attach(Exchange& ex) {
  ex.backend.bind(*this);
  ex.log.backend_address = worker_.backend_name(key_.cluster, key_.backend);
  exchanges_.push_back(&ex);
  if (state_ != BackendState::Connecting) timer_.cancel();
  // Every attached exchange has a deadline from the start (Exchange::advance(Attach): connect
  // plus response), even while its head cannot be written yet (the connection still connecting,
  // or stuck behind a tunnel): mux_session found an Upgrade request attached and never written,
  // with nothing armed (regressions/mux_session/upgrade-request-never-written).
  wake();
}

void BackendConnection::unlink(Exchange& ex, LegEnd end) {
  std::erase(exchanges_, &ex);
  if (end == LegEnd::Framed) {
    ++served_;
  } else if (ex.request.head_sent) {
    // Bytes of this exchange are on the wire and it did not end framed: HTTP/2 cuts its stream;
    // on a connection that is the stream (HTTP/1.1, raw TCP) where the next response would begin
    // is unknown (RFC 9112 §9.3), so the connection is never reused.
    if (codec_->can_cut_stream()) {
      codec_->reset(ex.backend.stream(), codecs::H2Code::Cancel);
    } else {
      retire();
    }
  }
  if (exchanges_.empty()) worker_.pool().list_idle(this);
  wake();
}

void BackendConnection::sever(Exchange& ex) {
  std::erase(exchanges_, &ex);
  ex.backend.sever();
}

Exchange* BackendConnection::find(codecs::StreamId s) {
  for (Exchange* ex : exchanges_) {
    if (ex->backend.stream() == s && ex->request.head_sent) return ex;
  }
  return nullptr;
}

void BackendConnection::retire() {
  if (state_ == BackendState::Open || state_ == BackendState::Connecting) {
    state_ = BackendState::Retiring;
  }
  wake();
}

bool BackendConnection::finish_connect() {
  if (!watch_->writable() && !watch_->error() && !watch_->hangup()) return true;
  if (auto s = stream_->finish_connect(); !s) {
    worker_.balancer(key_.cluster).mark_down(key_.backend);
    fail_all(FailureKind::ConnectFailed);
    return false;
  }
  state_ = BackendState::Open;
  timer_.cancel();
  worker_.balancer(key_.cluster).mark_up(key_.backend);
  const int64_t us = loop_us(worker_.loop()) - connect_started_us_;
  for (Exchange* ex : exchanges_) ex->log.connect_us = us;
  return true;
}

void BackendConnection::on_ready() {
  if (state_ == BackendState::Closed) return;
  if (state_ == BackendState::Connecting) {
    if (!finish_connect()) {
      close();
      return;
    }
    if (state_ == BackendState::Connecting) return;
  }
  bool alive = read_input(reading_paused() ? 0 : input_room());
  // Messages in order: any byte read now starts the oldest exchange's answer, even a byte the
  // decoder is about to refuse (a malformed response must not be answered by a retry).
  if (!in_.empty() && codec_->ordered()) {
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
  if (state_ == BackendState::Open && !codec_->reusable()) retire();
  if (state_ == BackendState::Retiring) worker_.pool().remove(this);
  if (exchanges_.empty()) {
    if (state_ == BackendState::Retiring && !output_pending()) {
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
  if (!reading_paused() && more_to_read(input_room())) wake();
}

size_t BackendConnection::input_room() const {
  // In order (HTTP/1.1, raw TCP) every byte read is the oldest exchange's: read no more than its
  // response may still hold, so a stalled client's response stops at about kStalledHold instead
  // of a whole kInputCap read ahead. HTTP/2 streams are bounded by the receive windows.
  if (!codec_->ordered() || exchanges_.empty()) return kInputCap;
  const Half& h = exchanges_.front()->response;
  return h.held() < h.limit ? std::min(kInputCap, h.limit - h.held()) : 0;
}

bool BackendConnection::reading_paused() const {
  const bool in_order = codec_->ordered();
  // A multiplexed response is full only once it holds kQueueCap itself; every exchange of this
  // worker charges the worker's budget, so below that in total none is (no walk over them).
  if (!in_order && worker_.held_buffers().held() < kQueueCap) return false;
  for (const Exchange* ex : exchanges_) {
    if (ex->response.full(in_order)) return true;
  }
  return false;
}

void BackendConnection::pump_requests() {
  // A snapshot: a failing exchange leaves the list. This runs on every wake-up, so the usual few
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
    if (ex->backend.side() != this) continue;
    const bool tunnel = ex->tunnel != TunnelKind::None;
    if (!ex->request.head_sent &&
        !(tunnel ? codec_->can_open_tunnel() : codec_->can_open_stream())) {
      continue;
    }
    if (out_.size() >= kOutputHighWater) break;
    const bool head_was_sent = ex->request.head_sent;
    // A tunnel request's bytes wait for the backend's consent (lifecycle.h).
    const bool body = !tunnel || request_body_flows(ex->phase());
    codecs::StreamId sid = ex->backend.stream();
    auto r = pump(ex->request, *codec_, sid, body, &worker_.buffers());
    if (!r) {
      // The request cannot be written in the backend's protocol (RFC 9113 §8.2.2 rules, no
      // extended CONNECT): answered while the client got nothing yet, else cut.
      const auto& e = r.error();
      if (!ex->response.head_sent) {
        ex->client.answer(*ex, e.answer_status(502), e.detail);
      } else {
        ex->backend.end(LegEnd::Abandoned);
        ex->client.backend_failed(*ex, FailureKind::ConnectionLost);
      }
      continue;
    }
    if (!head_was_sent && ex->request.head_sent) {
      ex->backend.set_stream(sid);
      ex->log.request_sent_us = loop_us(worker_.loop());
      ex->advance(tunnel ? ExchangeEvent::SendTunnelHead : ExchangeEvent::SendHead);
    }
    if (*r > 0) {
      ex->client.credit(ex->client_stream, *r);
      ex->client.wake();
      ex->client.progressed(*ex);
    }
    release_if_done(*ex);
  }
}

void BackendConnection::shut_tunnel_writes() {
  if (shut_write_ || codec_->can_cut_stream() || output_pending()) return;
  for (const Exchange* ex : exchanges_) {
    if (ex->phase() == Phase::Tunnel && ex->request.end_sent) {
      (void)stream_->shutdown_write();
      shut_write_ = true;
      return;
    }
  }
}

bool BackendConnection::decide_tunnel(Exchange& ex, codecs::MessageHead& head) {
  switch (codec_->tunnel_verdict(head, ex.tunnel)) {
    case Codec::TunnelVerdict::Accepted:
      head.framing = codecs::Framing::Tunnel;
      ex.advance(ExchangeEvent::TunnelAccept);
      // A connection that is the stream now carries the tunnel's bytes: never reused.
      if (!codec_->can_cut_stream()) retire();
      return true;
    case Codec::TunnelVerdict::Invalid:
      // RFC 9110 §7.8: switching to a protocol the client did not ask for (h2c above all) would
      // hand the client a raw pipe to the backend that no check of ours understands.
      retire();
      sever(ex);
      ex.client.answer(ex, 502, kErrTunnelProtocol);
      return false;
    case Codec::TunnelVerdict::Refused:
      break;
  }
  // An ordinary response: the tunnel never opens, the request's held bytes were never the
  // backend's to read (they are dropped and their credit returned), and a connection that is the
  // stream, having seen an upgrade refused, is not trusted again.
  if (head.framing == codecs::Framing::Tunnel) head.framing = codecs::Framing::CloseDelimited;
  ex.advance(ExchangeEvent::ResponseHead);
  if (const size_t dropped = ex.request.close_early()) ex.client.credit(ex.client_stream, dropped);
  if (!codec_->can_cut_stream()) retire();
  return true;
}

void BackendConnection::on_head(codecs::StreamId s, codecs::MessageHead& head) {
  Exchange* ex = find(s);
  if (!ex) return;
  // The backend started answering: the request can no longer be replayed elsewhere.
  ex->request.release_replay();
  if (head.is_informational() && head.status != 101) {
    // RFC 9110 §15.2: interim responses are forwarded, but not stored without bound for a client
    // that has not taken them yet (found by mux_session: a backend's endless 1xx heads piled up).
    if (ex->response.interim.size() >= kMaxHeldInterim) return;
    ex->response.interim.emplace_back().copy_owned(head, 1, 0);
    worker_.add_via(ex->response.interim.back());
    ex->client.wake();
    return;
  }
  if (ex->phase() == Phase::TunnelPending) {
    if (!decide_tunnel(*ex, head)) return;
  } else {
    ex->advance(ExchangeEvent::ResponseHead);
  }
  ex->response.take_head(head);
  // On our copy only: the HTTP/1.1 decoder frames the rest of this response from its own head
  // once on_head returns, and a response to HEAD has no body whatever its Content-Length says.
  if (ex->log.method == "HEAD") keep_head_length(ex->response.head);
  worker_.add_via(ex->response.head);
  ex->response.head_ready = true;
  if (ex->log.request_sent_us >= 0)
    ex->log.backend_response_us = loop_us(worker_.loop()) - ex->log.request_sent_us;
  ex->client.wake();
}

void BackendConnection::on_data(codecs::StreamId s, codecs::Bytes data) {
  Exchange* ex = find(s);
  if (!ex) {
    codec_->consume(s, data.size());
    return;
  }
  ex->response.append(data);
  ex->client.wake();
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
    // The whole response is held: what is left is the client's pace (the stall deadline). A
    // tunnel keeps its idle deadline (timeouts.tunnel): its other direction may still be open,
    // and a tunnel waiting behind a pipelined response would otherwise have none (found by
    // mux_session: no deadline armed). A request still streaming to this connection keeps its
    // progress deadline: the client's upload alone now holds the connection, and a response
    // held behind an earlier pipelined one has no other timer (found by mux_session: a client
    // that stopped sending its body held a backend connection with no deadline armed).
    if (ex->phase() != Phase::Tunnel) {
      if (ex->request.end_sent) {
        ex->cancel_deadline();
      } else {
        ex->arm_deadline(ex->progress_timeout_ms());
      }
    }
    ex->client.wake();
    release_if_done(*ex);
  }
}

void BackendConnection::release_if_done(Exchange& ex) {
  // The whole response is held by the exchange and the whole request went out: this connection
  // has nothing left to do for it, so it is given back now, not once the client has written the
  // response. An HTTP/1.1 client writes responses in request order; a later request holding the
  // only connection while an earlier one waits for it would otherwise never finish (found by
  // mux_session: pipelined requests, a refused connect, the retry queued behind the later one).
  if (ex.request.end_sent && ex.response.end_received) ex.backend.end(LegEnd::Framed);
}

void BackendConnection::on_reset(codecs::StreamId s, uint32_t code) {
  Exchange* ex = find(s);
  if (!ex) return;
  sever(*ex);
  if (ex->response.end_received) {
    // RFC 9113 §8.1: a server that answered whole may reset the rest of the request
    // (NO_ERROR): the response is delivered, what is left of the request is dropped.
    ex->request.release_replay();
    ex->client.wake();
    return;
  }
  const bool refused = code == static_cast<uint32_t>(codecs::H2Code::RefusedStream);
  ex->client.backend_failed(*ex,
                            refused ? FailureKind::RefusedStream : FailureKind::ConnectionLost);
}

void BackendConnection::on_goaway(codecs::StreamId last, uint32_t, std::string_view) {
  // RFC 9113 §6.8: streams above last-stream-id were not processed and may be retried.
  auto list = exchanges_;
  for (Exchange* ex : list) {
    if (ex->request.head_sent && ex->backend.stream() <= last) continue;
    sever(*ex);
    ex->client.backend_failed(*ex, FailureKind::GoAwayUnprocessed);
  }
  retire();
}

void BackendConnection::fail_all(FailureKind kind) {
  auto list = std::move(exchanges_);
  exchanges_.clear();
  for (Exchange* ex : list) {
    ex->backend.sever();
    // A response already complete (the backend answered, then closed) is delivered, not failed;
    // what is left of its request is discarded.
    if (ex->response.end_received) {
      ex->request.discard();
      ex->client.wake();
      continue;
    }
    ex->client.backend_failed(*ex, kind);
  }
}

void BackendConnection::close() {
  if (state_ == BackendState::Closed) return;
  state_ = BackendState::Closed;
  timer_.cancel();
  worker_.pool().remove(this);
  worker_.loop().retire(std::unique_ptr<Handler>(this));
}

}  // namespace crossmux::mux::proxy
