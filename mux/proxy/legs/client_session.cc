// Client session: protocol detection, request intake, response writing, answers and timeouts.
#include "mux/proxy/legs/client_session.h"

#include <algorithm>
#include <string_view>

#include "codecs/h2/frame.h"
#include "codecs/message/translate.h"
#include "mux/proxy/exchange/answers.h"
#include "mux/proxy/exchange/tunnel.h"
#include "mux/proxy/legs/pump.h"
#include "mux/proxy/ops/request_facts.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

namespace {
// RFC 9113 §3.4: a prior-knowledge client starts with this preface.
constexpr std::string_view kPreface = codecs::h2::kConnectionPreface;
// HTTP/1.1 requests decoded ahead of their responses (pipelining depth).
constexpr size_t kMaxPipeline = 16;
}  // namespace

size_t client_input_cap(const CodecLimits& limits) {
  return std::max<size_t>(kInputCap,
                          size_t{limits.max_header_bytes} + limits.max_request_line + 1024);
}

ClientSession::ClientSession(Worker& worker, const config::Listener& listener,
                             std::unique_ptr<net::ByteStream> stream, net::TlsStream* tls,
                             std::string peer, std::string ip)
    : Peer(worker, std::move(stream)),
      listener_(listener),
      tls_(tls),
      peer_(std::move(peer)),
      ip_(std::move(ip)),
      timer_(worker.loop().timers(), [this] { on_timeout(); }) {
  bind_buffers(&worker.held_buffers(),
               size_t{worker.config().limits.max_buffers_per_connection} * kBufferBytes);
  connection_buffers().on_pressure([this] {
    worker_.metrics().limit(ProxyLimit::MaxBuffersPerConnection);
    hasten_stalls();
  });
  worker_.session_opened(this);
}

void ClientSession::hasten_stalls() {
  for (auto& [id, ex] : exchanges_) ex->hasten_stall(kStallGraceUnderPressureMs);
}

ClientSession::~ClientSession() {
  // The connection broke with exchanges in flight: each still gets its log line and count.
  abort_all(End::Lost);
  worker_.session_closed(this);
  worker_.limiter().release(ip_);
}

codecs::Status ClientSession::start() {
  if (auto s = watch(); !s) return s;
  update_timer();
  wake();
  return codecs::ok();
}

Exchange* ClientSession::find(codecs::StreamId s) {
  auto it = exchanges_.find(s);
  return it == exchanges_.end() ? nullptr : it->second.get();
}

void ClientSession::on_ready() {
  if (closed_) return;
  if (!codec_ && tls_ && !handshake()) {
    close();
    return;
  }
  if (tls_ && !codec_) return;  // handshake in progress: the watch wakes us
  const size_t cap = client_input_cap(worker_.limits());
  bool alive = read_input(reading_paused() ? 0 : cap);
  if (codec_ || detect_protocol()) {
    feed();
    if (peer_closed_ && in_.empty() && !codec_failed_) client_finished();
    pump_responses();
  } else if (peer_closed_) {
    alive = false;
  }
  const uint64_t writes = socket_writes();
  if (!flush()) alive = false;
  if (socket_writes() != writes) socket_progressed();
  if (!alive || drop_output_ || should_close()) {
    close();
    return;
  }
  sync_deadlines();
  update_timer();
  if (exchanges_.empty()) trim();
  if (!reading_paused() && more_to_read(cap)) wake();
}

void ClientSession::client_finished() {
  // An HTTP/1.1 FIN ends a tunnel's client direction (the decoder's finish emits its end); a
  // request cut short fails to decode and can never finish: its exchange ends here and its
  // backend leg is released. On HTTP/2 every exchange ends (Codec::answers_after_peer_eof): a
  // response waiting for window would otherwise hold its backend connection until the stall
  // deadline, after its client left.
  (void)codec_->finish();
  codec_failed_ = true;
  const bool answers = codec_->answers_after_peer_eof();
  for (auto it = exchanges_.begin(); it != exchanges_.end();) {
    Exchange& ex = *it->second;
    ++it;  // `ex` may be erased below
    if (!answers || !ex.request.end_received) end_exchange(ex, End::Abort);
  }
}

bool ClientSession::handshake() {
  net::IoResult r = tls_->handshake();
  watch_->note(r);
  if (r.would_block()) return true;
  if (!r.ok()) return false;
  // The client's first request usually comes in the same flight as its Finished, and OpenSSL
  // has read it from the socket with the handshake: no edge will announce it (epoll reports an
  // edge only for data still in the socket when it is asked), so read as if one had.
  watch_->raise(net::Ready::Readable);
  // RFC 9113 §3.2: "h2" selects HTTP/2; no ALPN agreement means HTTP/1.1.
  if (tls_->alpn() == "h2") {
    codec_ = make_h2_server(*this, worker_.limits());
  } else {
    codec_ = make_h1_server(*this, worker_.limits());
  }
  return true;
}

bool ClientSession::detect_protocol() {
  const auto seen = in_.view();
  const size_t n = std::min(seen.size(), kPreface.size());
  const bool h2 = n > 0 && seen.substr(0, n) == kPreface.substr(0, n);
  if (n == 0 || (h2 && n < kPreface.size())) return false;  // not enough bytes to tell yet
  // The listener's protocol list decides: an h2c-only listener gives a connection that does not
  // start with the preface to the HTTP/2 codec, which answers GOAWAY(PROTOCOL_ERROR) (RFC 9113
  // §3.4); an HTTP/1.1-only one gives the preface to the HTTP/1.1 codec, which refuses method PRI.
  if ((h2 || !listener_.http1) && listener_.http2) {
    codec_ = make_h2_server(*this, worker_.limits());
  } else {
    codec_ = make_h1_server(*this, worker_.limits());
  }
  return true;
}

bool ClientSession::reading_paused() const {
  if (codec_failed_ || closing_) return true;
  const bool in_order = codec_ && codec_->ordered();
  if (in_order && exchanges_.size() >= kMaxPipeline) return true;
  // A multiplexed request is full only once it holds kQueueCap itself, and every Half of this
  // connection's exchanges charges connection_buffers(): below that in total, none is. Saves a
  // walk over up to max_concurrent_streams exchanges, three times per wake-up.
  if (!in_order && connection_buffers().held() < kQueueCap) return false;
  for (const auto& [id, ex] : exchanges_) {
    if (ex->request.full(in_order)) return true;
  }
  return false;
}

void ClientSession::feed() {
  if (codec_failed_ || reading_paused()) return;
  auto s = feed_codec();
  if (s) return;
  codec_failed_ = true;
  in_.clear();
  if (codec_->answers_errors()) answer_decode_error(s.error());
}

void ClientSession::on_connection_error(const codecs::Error&) {
  if (!codec_ || codec_->answers_errors()) return;  // HTTP/1.1: feed() answers the error
  codec_failed_ = true;
  // RFC 9113 §5.4.1: after a connection error no stream carries on.
  abort_all(End::Abort);
  wake();
}

void ClientSession::abort_all(End how) {
  while (!exchanges_.empty()) end_exchange(*exchanges_.begin()->second, how);
}

void ClientSession::answer_decode_error(const codecs::Error& e) {
  // RFC 9112 §9.3: after a framing error the connection cannot continue; answer, then close.
  const codecs::StreamId id = last_stream_ + 1;
  if (Exchange* last = find(last_stream_); last && !last->request.end_received) {
    end_exchange(*last, End::Abort, codecs::H2Code::ProtocolError);
  }
  auto ex =
      std::make_unique<Exchange>(*this, worker_.loop().timers(), id, worker_.config().timeouts);
  ex->log.started_us = loop_us(worker_.loop());
  ex->request.end_received = true;
  Exchange& ref = *ex;
  exchanges_[id] = std::move(ex);
  const uint16_t status = e.answer_status(400);
  answer(ref, status, e.detail);
}

void ClientSession::on_head(codecs::StreamId s, codecs::MessageHead& head) {
  if (!head.is_request()) return;
  last_stream_ = s;
  // RFC 9113 §8.1.1: a malformed HTTP/2 request is a stream error of type PROTOCOL_ERROR; an
  // HTTP/1.1 one gets its 400 below, through the normal answer path.
  const auto valid = codecs::validate_for_forwarding(head);
  const auto* host = head.headers.find("host");
  const bool host_mismatch =
      host && !head.authority.empty() && !codecs::iequals(host->value, head.authority);
  if ((!valid || host_mismatch) && !codec_->answers_errors()) {
    codec_->reset(s, codecs::H2Code::ProtocolError);
    return;
  }
  auto ex =
      std::make_unique<Exchange>(*this, worker_.loop().timers(), s, worker_.config().timeouts);
  LogFacts& log = ex->log;
  log.started_us = loop_us(worker_.loop());
  const bool no_authority = head.authority.empty() && (!host || host->value.empty());
  if (no_authority && head.method != "CONNECT") {
    // RFC 9112 §3.3: an origin-form request without Host (HTTP/1.0) names the inbound
    // connection's own authority: the listener's address. The backend then gets a Host.
    head.authority = head.headers.own(listener_.address.to_string());
  }
  ex->tunnel = tunnel_kind(head);
  // An HTTP/1.1 WebSocket upgrade asks the backend for websocket alone (never h2c).
  if (ex->tunnel == TunnelKind::WebSocket && head.method != "CONNECT") {
    websocket_upgrade_only(head);
  }
  ex->request.take_head(head);
  // The log's views point into the exchange's own copy of the head (LogFacts).
  const codecs::MessageHead& taken = ex->request.head;
  log.method = taken.method;
  log.path = taken.path;
  log.authority = taken.authority;
  if (const auto* h = log.authority.empty() ? taken.headers.find("host") : nullptr) {
    log.authority = h->value;
  }
  worker_.add_via(ex->request.head);
  record_request_facts(ex->request.head.headers, worker_.config().global.request_id_header,
                       log.request_id, log.user_agent, log.referer);
  ex->request.head_ready = true;
  // Kept until the first response byte so the request can be replayed (retry_policy.h); tunnel
  // bytes never are.
  ex->request.replay = ex->tunnel == TunnelKind::None;
  Exchange& ref = *ex;
  exchanges_[s] = std::move(ex);
  if (!valid) {
    answer(ref, 400, valid.error().detail);
    return;
  }
  // A declared length past the limit is refused before anything is forwarded.
  if (ref.request.head.framing == codecs::Framing::KnownLength &&
      body_over_limit(ref, ref.request.head.content_length)) {
    return;
  }
  // RFC 9110 §9.3.6: a reverse proxy is no open relay; CONNECT is refused unless the listener
  // allows it.
  if (ref.tunnel == TunnelKind::Connect && !listener_.allow_connect) {
    answer(ref, 405, kErrConnectNotAllowed);
    return;
  }
  worker_.dispatch(*this, ref);
}

void ClientSession::on_data(codecs::StreamId s, codecs::Bytes data) {
  Exchange* ex = find(s);
  // Nobody will forward these bytes when the proxy answered, the request was closed early (a
  // refused tunnel), or the backend sent its whole response and went away: credit them back.
  if (!ex || ex->phase() == Phase::Answered || ex->request.end_received ||
      (!ex->backend.bound() && ex->response.end_received)) {
    codec_->consume(s, data.size());
    if (ex) ex->request.bytes_received += data.size();
    return;
  }
  if (body_over_limit(*ex, ex->request.bytes_received + data.size())) {
    codec_->consume(s, data.size());
    return;
  }
  ex->request.append(data);
  if (BackendSide* b = ex->backend.side()) b->wake();
}

bool ClientSession::body_over_limit(Exchange& ex, uint64_t total) {
  // limits.max_request_body counts request body octets, HTTP/2 DATA as HTTP/1.1 bodies (whose
  // decoder refuses them first); tunnel bytes are not a body.
  const uint64_t max = worker_.limits().max_request_body;
  if (max == 0 || total <= max || ex.tunnel != TunnelKind::None) return false;
  worker_.metrics().limit(ProxyLimit::MaxRequestBody);
  if (!ex.response.head_sent) {
    // What the backend got of the request is abandoned with its leg (an HTTP/1.1 backend's
    // connection closes mid-body, an HTTP/2 stream is reset): it never sees a whole request.
    answer(ex, 413, kErrRequestBodyTooLarge);
  } else {
    ex.log.reason = kErrRequestBodyTooLarge;
    end_exchange(ex, End::Abort, codecs::H2Code::Cancel);
  }
  return true;
}

void ClientSession::on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) {
  Exchange* ex = find(s);
  if (!ex || ex->phase() == Phase::Answered || ex->request.end_received) return;
  // RFC 9110 §6.5.1: framing fields in trailers make the message malformed.
  if (!codecs::validate_trailers(trailers, codecs::MessageKind::Request)) {
    if (codec_->answers_errors()) {
      answer(*ex, 400, codecs::kErrTranslateForbiddenTrailer);
    } else {
      end_exchange(*ex, End::Abort, codecs::H2Code::ProtocolError);
    }
    return;
  }
  ex->request.trailers = trailers.clone();
  ex->request.has_trailers = true;
}

void ClientSession::on_end_of_message(codecs::StreamId s) {
  Exchange* ex = find(s);
  if (!ex) return;
  ex->request.end_received = true;
  if (BackendSide* b = ex->backend.side()) b->wake();
  wake();
}

void ClientSession::on_reset(codecs::StreamId s, uint32_t) {
  if (Exchange* ex = find(s)) end_exchange(*ex, End::Abort);
}

void ClientSession::pump_responses() {
  for (auto it = exchanges_.begin(); it != exchanges_.end();) {
    Exchange& ex = *it->second;
    ++it;               // `ex` may be erased below
    if (ex.broken()) {  // an illegal lifecycle event: fail closed
      ex.log.reason = "internal error";
      end_exchange(ex, End::Abort, codecs::H2Code::InternalError);
      continue;
    }
    codecs::StreamId sid = ex.client_stream;
    const bool head_was_sent = ex.response.head_sent;
    const size_t interim_held = ex.response.interim.size();
    auto r = pump(ex.response, *codec_, sid, true, &worker_.buffers());
    // A backend paused at kMaxHeldInterim 1xx heads reads on once they went out.
    if (interim_held >= kMaxHeldInterim && ex.response.interim.size() < interim_held) {
      if (BackendSide* b = ex.backend.side()) b->wake();
    }
    if (!r) {
      // A response the client protocol cannot carry (RFC 9113 §8.2.2 field rules): 502 when
      // nothing went out yet, else the stream is cut.
      if (!head_was_sent && !ex.response.head_sent && ex.phase() != Phase::Answered) {
        answer(ex, 502, r.error().detail);
        (void)pump(ex.response, *codec_, sid);
      } else {
        end_exchange(ex, End::Abort, codecs::H2Code::InternalError);
        continue;
      }
    } else {
      if (*r > 0) {
        if (BackendSide* b = ex.backend.side()) {
          b->credit(ex.backend.stream(), *r);
          b->wake();
        }
        progressed(ex);
      }
      track_stall(ex, *r);
    }
    if (ex.response.end_sent) {
      if (request_over(ex)) {
        end_exchange(ex, End::Complete);
        continue;
      }
      // The response went out whole before the request ended (RFC 9113 §8.1, RFC 9112 §9.3):
      // the rest of the request is read and dropped for at most stream_progress, then the
      // exchange ends (HTTP/2: RST_STREAM(NO_ERROR)).
      if (!ex.deadline_armed()) {
        ex.arm_deadline(static_cast<uint64_t>(worker_.config().timeouts.stream_progress.count()));
      }
    }
    if (codec_->ordered()) break;  // HTTP/1.1: responses strictly in request order
  }
}

bool ClientSession::request_over(const Exchange& ex) const {
  // A request closed early (a refused tunnel) is over for the exchange; the client stream is
  // finished in end_exchange.
  if (ex.request.end_received) return true;
  // The connection ends after this response anyway (HTTP/1.1 `Connection: close`, a tunnel).
  return !codec_->reusable();
}

void ClientSession::end_exchange(Exchange& ex, End how, codecs::H2Code code) {
  // The backend leg ends framed only when both messages crossed it whole.
  ex.backend.end(ex.request.end_sent && ex.response.end_received ? LegEnd::Framed
                                                                 : LegEnd::Abandoned);
  if (ex.phase() == Phase::Queued) worker_.pool().cancel(ex);
  switch (how) {
    case End::Complete:
      // The client may still be sending on this stream: HTTP/2 resets it with NO_ERROR after
      // the response (RFC 9113 §8.1).
      if (!ex.request.end_received || ex.request.closed_early) {
        codec_->finish_stream(ex.client_stream);
      }
      ex.advance(ExchangeEvent::Complete);
      break;
    case End::Abort:
      // RFC 9112 §9.6: an HTTP/1.1 response cut after its head ends the connection (the codec
      // writes nothing after it); what is pipelined behind it is never answered, so the
      // connection closes as soon as the cut response's bytes are out.
      if (ex.response.head_sent && !ex.response.end_sent && !codec_->can_cut_stream()) {
        closing_ = true;
      }
      codec_->reset(ex.client_stream, code);
      ex.advance(ExchangeEvent::Abort);
      break;
    case End::Lost:
      ex.advance(ExchangeEvent::Abort);
      break;
  }
  if (ex.broken() && !terminal(ex.phase())) ex.advance(ExchangeEvent::Abort);
  worker_.log_exchange(ex, *this, codec_ ? codec_->protocol() : "-", ex.response.head.status);
  exchanges_.erase(ex.client_stream);
  if (how != End::Lost) wake();
}

void ClientSession::answer(Exchange& ex, uint16_t status, std::string_view reason) {
  const config::Answers* cluster = ex.route.cluster ? &ex.route.cluster->answers : nullptr;
  DefaultAnswer a =
      make_answer(status, reason, cluster, &listener_.answers, &worker_.config().answers);
  answer_with(ex, std::move(a.head), std::move(a.body), a.reason);
}

void ClientSession::answer_with(Exchange& ex, codecs::MessageHead head, std::string body,
                                std::string_view reason) {
  ex.backend.end(LegEnd::Abandoned);
  if (ex.phase() == Phase::Queued) worker_.pool().cancel(ex);
  ex.advance(ExchangeEvent::Answer);
  ex.log.reason = reason;
  // What is held of the request is never forwarded now; the rest of it is read and dropped.
  ex.request.discard();
  Half& r = ex.response;
  r.reset();
  r.head = std::move(head);
  // An early answer while an HTTP/1.1 request body is still arriving ends the connection.
  if (!ex.request.end_received && codec_ && !codec_->can_cut_stream()) r.head.keep_alive = false;
  r.head_ready = true;
  if (ex.log.method != "HEAD") r.append(codecs::as_bytes(body));
  r.end_received = true;
  wake();
}

void ClientSession::backend_failed(Exchange& ex, FailureKind kind) {
  ExchangeState st;
  st.method = ex.log.method;
  st.failure = kind;
  st.request_bytes_sent = ex.request.head_sent;
  st.response_bytes_received =
      ex.response_started || ex.response.head_ready || !ex.response.interim.empty();
  st.response_head_forwarded = ex.response.head_sent;
  st.connection_reused = ex.route.reused_connection;
  st.request_replayable = ex.request.replayable();
  st.attempts = ex.route.attempts;
  st.max_attempts = ex.route.cluster ? ex.route.cluster->connect_retries + 1 : 1;
  switch (decide_retry(st)) {
    case RetryDecision::Retry:
      ex.request.rewind();
      ex.response.reset();
      ex.response_started = false;
      // The keep-alive race: other idle connections to that backend may be as stale.
      ex.route.fresh_connection = kind == FailureKind::ConnectionLost;
      ex.advance(ExchangeEvent::Retry);
      worker_.retry(ex, kind);
      break;
    case RetryDecision::AnswerBadGateway: {
      // Out of immediate attempts after failures that prove nothing was processed (no connect,
      // REFUSED_STREAM, above a GOAWAY's last stream): the request waits for a backend to come
      // back (Worker::backoff) within the connect budget. A lost connection never does: bytes
      // of the request may have been processed (RFC 9110 §9.2.2).
      const bool unprocessed = kind == FailureKind::ConnectFailed ||
                               kind == FailureKind::RefusedStream ||
                               kind == FailureKind::GoAwayUnprocessed;
      if (unprocessed && ex.route.cluster && ex.tunnel != TunnelKind::Connect) {
        ex.request.rewind();
        ex.response.reset();
        ex.route.fresh_connection = true;
        ex.advance(ExchangeEvent::Retry);
        worker_.retry(ex, kind);
        break;
      }
      answer(ex, 502,
             kind == FailureKind::ConnectFailed    ? "backend connect failed"
             : kind == FailureKind::ConnectionLost ? "backend connection lost"
                                                   : "backend refused the request unprocessed");
      break;
    }
    case RetryDecision::AnswerGatewayTimeout:
      answer(ex, 504, "backend timeout");
      break;
    case RetryDecision::AbortResponse:
      end_exchange(ex, End::Abort, codecs::H2Code::InternalError);
      break;
  }
}

void ClientSession::deadline_expired(Exchange& ex) {
  if (ex.response.end_sent) {  // the client did not finish its request after the response
    end_exchange(ex, End::Complete);
    return;
  }
  if (ex.phase() == Phase::Queued) {
    // No connection to the backend freed up in time (max_connections_per_backend).
    answer(ex, 503, "backend queue timeout");
    return;
  }
  if (ex.phase() == Phase::Backoff) {
    worker_.resume(ex);
    return;
  }
  if (ex.phase() == Phase::Responding && ex.response.end_received && ex.backend.bound()) {
    // The backend answered whole, but the client stopped sending the request's body: the
    // backend connection is given up (its request did not end framed, so it is closed or its
    // stream cut), the rest of the body is dropped (on_data), and the response still goes out
    // in its turn. Until then it waits behind an earlier exchange, whose deadline bounds it.
    ex.log.reason = "request body stalled";
    ex.backend.end(LegEnd::Abandoned);
    wake();
    return;
  }
  ex.backend.end(LegEnd::Abandoned);
  backend_failed(ex, FailureKind::Timeout);
}

void ClientSession::credit(codecs::StreamId stream, size_t n) {
  codec_->consume(stream, n);
}

void ClientSession::progressed(Exchange& ex) {
  if (const uint64_t ms = ex.progress_timeout_ms()) ex.arm_deadline(ms);
}

// RFC 9113 §5.2 lets a receiver hold its window at zero as long as it likes, and an HTTP/1.1
// client may simply stop reading; either way the response waits here, holding its queue and
// the backend stream (the slow-read class of CVE-2019-9517). timeouts.flow_control_stall bounds
// that wait. A stall is a pump that leaves bytes queued for a writer that takes no more; it
// starts again whenever bytes move. It must start even when this pump moved bytes: the reader is
// then held to kStalledHold (pump()) and may never wake this session again.
void ClientSession::track_stall(Exchange& ex, size_t wrote) {
  const bool blocked =
      ex.response.head_sent && ex.response.queued() > 0 && codec_->capacity(ex.client_stream) == 0;
  if (wrote > 0 || !blocked) ex.cancel_stall();
  if (blocked && !ex.stalling()) {
    ex.begin_stall(worker_.stall_limit_ms(ex));
    // HTTP/2 (flow control): where the client's side stands now, for stall_expired.
    if (codec_->can_cut_stream()) ex.stall_delivered = bytes_delivered();
  }
}

void ClientSession::socket_progressed() {
  // The client took bytes: a response waiting only on the socket (its windows open, the output
  // buffers full ahead of it) has a reader, however slow, and its stall starts again from now;
  // one held at a zero HTTP/2 window keeps its clock, whatever its siblings' bytes do (but see
  // stall_expired).
  for (auto& [sid, ex] : exchanges_) {
    if (ex->stalling() && codec_->window_open(sid)) {
      ex->cancel_stall();
      ex->begin_stall(worker_.stall_limit_ms(*ex));
    }
  }
}

void ClientSession::stall_expired(Exchange& ex) {
  // The limit may have changed since the deadline was armed: a queue formed behind the
  // connection this stall holds (shorter), or drained (the full flow_control_stall again).
  const uint64_t limit = worker_.stall_limit_ms(ex);
  if (const uint64_t stalled = ex.stalled_ms(); stalled < limit) {
    ex.arm_stall(limit - stalled);
    return;
  }
  const std::string_view pressure = worker_.stall_pressure(ex);
  if (pressure.empty() && !codec_->window_open(ex.client_stream)) {
    // At a zero window, with the DATA that closed it still unacknowledged by the client's side
    // (in our buffers or the kernel's send queue, behind a sibling's bytes): the client cannot
    // have credited what it has not received. If it acknowledged more since the
    // stall began, it reads, however slowly, and the stall starts again; one that reads nothing
    // (the slow-read attack) is cut.
    const uint64_t delivered = bytes_delivered();
    if (delivered > ex.stall_delivered &&
        codec_->window_awaits_delivery(ex.client_stream, delivered)) {
      ex.cancel_stall();
      ex.begin_stall(limit);
      ex.stall_delivered = delivered;
      return;
    }
  }
  ex.log.reason = pressure.empty() ? "flow-control stall" : pressure;
  if (codec_->can_cut_stream()) {
    // The stream alone is cut; the connection's other streams go on.
    end_exchange(ex, End::Abort, codecs::H2Code::Cancel);
    return;
  }
  // HTTP/1.1 cannot cut one response: the connection goes, with what it never read.
  drop_output_ = true;
  abort_all(End::Abort);
  wake();
}

void ClientSession::drain() {
  if (closed_) return;
  if (!codec_) {
    // No request can have started (the preface or the TLS handshake is still under way).
    close();
    return;
  }
  codec_->go_away();
  wake();
}

bool ClientSession::should_close() const {
  if (output_pending()) return false;
  if (closing_) return true;
  if (!codec_) return false;
  if (!exchanges_.empty()) return false;
  return codec_failed_ || peer_closed_ || !codec_->reusable();
}

void ClientSession::update_timer() {
  const auto& t = worker_.config().timeouts;
  if (!in_.empty() && !reading_paused() && !(codec_ && !codec_->at_head())) {
    // RFC 9112 §9.5: a started request head (HTTP/2: a frame) must be complete within
    // timeouts.request_headers from its first byte; bytes trickling in do not extend it
    // (slowloris). Input held back by backpressure, or by the codec (bytes pipelined behind an
    // upgrade request wait for its response), is not the client's delay; nor is part of an
    // HTTP/1.1 body's framing (a chunk-size line) a head: the exchange's deadlines cover it.
    if (!head_timer_) timer_.arm(static_cast<uint64_t>(t.request_headers.count()));
    head_timer_ = true;
    return;
  }
  head_timer_ = false;
  if (!exchanges_.empty()) {
    timer_.cancel();
    return;
  }
  timer_.arm(static_cast<uint64_t>(t.client_idle.count()));
}

void ClientSession::on_timeout() {
  // The 408 answers a head that did not complete in time, never an idle timeout that found
  // body bytes waiting (the request they belong to had its head whole).
  if (head_timer_ && codec_ && codec_->answers_errors() && !in_.empty() && !codec_failed_) {
    codec_failed_ = true;
    in_.clear();
    answer_decode_error(codecs::Error::http(408, kRequestHeadersTimeout));
  } else {
    // A second idle timeout while output still waits: the client reads nothing; drop it.
    if (closing_) drop_output_ = true;
    if (codec_) codec_->go_away();
    closing_ = true;
  }
  wake();
}

void ClientSession::close() {
  closed_ = true;
  timer_.cancel();
  worker_.loop().retire(std::unique_ptr<Handler>(this));
}

}  // namespace crossmux::mux::proxy
