// Client session: protocol detection, request intake, response writing, answers and timeouts.
#include "mux/proxy/legs/client_session.h"

#include <string_view>

#include "codecs/message/translate.h"
#include "mux/proxy/exchange/answers.h"
#include "mux/proxy/exchange/tunnel.h"
#include "mux/proxy/legs/backend_connection.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

namespace {
// RFC 9113 §3.4: a prior-knowledge client starts with this preface.
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// HTTP/1.1 requests decoded ahead of their responses (pipelining depth).
constexpr size_t kMaxPipeline = 16;
}  // namespace

ClientSession::ClientSession(Worker& worker, const config::Listener& listener,
                             std::unique_ptr<net::ByteStream> stream, net::TlsStream* tls,
                             std::string peer, std::string ip)
    : Peer(worker, std::move(stream)),
      listener_(listener),
      tls_(tls),
      peer_(std::move(peer)),
      ip_(std::move(ip)),
      timer_(worker.loop().timers(), [this] { on_timeout(); }) {
  worker_.session_opened(this);
}

ClientSession::~ClientSession() {
  for (auto& [id, ex] : exchanges_) {
    if (ex->backend) ex->backend->abandon(*ex);
    worker_.pool().cancel(*ex);
    // The connection broke with the exchange in flight: it still gets its log line and count.
    ex->aborted = true;
    worker_.log_exchange(*ex, *this, codec_ ? codec_->protocol() : "-", ex->response.head.status);
  }
  exchanges_.clear();
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
  bool alive = read_input(reading_paused() ? 0 : kInputCap);
  if (codec_ || detect_protocol()) {
    feed();
    if (peer_closed_ && in_.empty() && !codec_failed_) {
      (void)codec_->finish();
      codec_failed_ = true;
      // HTTP/2 has no half-closed connection: a request (or tunnel) still open when the client's
      // bytes end can never finish, so its exchange ends now and its backend side is released.
      if (codec_->multiplexed()) {
        for (auto it = exchanges_.begin(); it != exchanges_.end();) {
          Exchange& ex = *it->second;
          ++it;  // `ex` may be erased below
          if (!ex.request.end_received) abort_exchange(ex, codecs::H2Code::Cancel);
        }
      }
    }
    pump_responses();
  } else if (peer_closed_) {
    alive = false;
  }
  if (!flush()) alive = false;
  if (!alive || drop_output_ || should_close()) {
    close();
    return;
  }
  sync_deadlines();
  update_timer();
  if (exchanges_.empty()) trim();
  if (!reading_paused() && more_to_read(kInputCap)) wake();
}

bool ClientSession::handshake() {
  net::IoResult r = tls_->handshake();
  watch_->note(r);
  if (r.would_block()) return true;
  if (!r.ok()) return false;
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
  if (codec_ && !codec_->multiplexed() && exchanges_.size() >= kMaxPipeline) return true;
  for (const auto& [id, ex] : exchanges_) {
    if (ex->request.full()) return true;
  }
  return false;
}

void ClientSession::feed() {
  if (codec_failed_ || reading_paused()) return;
  auto s = feed_codec();
  if (s) return;
  codec_failed_ = true;
  in_.clear();
  if (!codec_->multiplexed()) answer_decode_error(s.error());
}

void ClientSession::on_connection_error(const codecs::Error&) {
  if (!codec_ || !codec_->multiplexed()) return;  // HTTP/1.1: feed() answers the error
  codec_failed_ = true;
  abort_all();
  wake();
}

void ClientSession::abort_all() {
  // RFC 9113 §5.4.1: after a connection error no stream carries on.
  while (!exchanges_.empty()) abort_exchange(*exchanges_.begin()->second, codecs::H2Code::Cancel);
}

void ClientSession::answer_decode_error(const codecs::Error& e) {
  // RFC 9112 §9.3: after a framing error the connection cannot continue; answer, then close.
  const codecs::StreamId id = last_stream_ + 1;
  if (find(last_stream_) && !find(last_stream_)->request.end_received) {
    abort_exchange(*find(last_stream_), codecs::H2Code::ProtocolError);
  }
  auto ex = std::make_unique<Exchange>(*this, id);
  ex->started_wall = std::chrono::system_clock::now();
  ex->started_ms = worker_.loop().now_ms();
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
  if ((!valid || host_mismatch) && codec_->multiplexed()) {
    codec_->reset(s, codecs::H2Code::ProtocolError);
    return;
  }
  auto ex = std::make_unique<Exchange>(*this, s);
  ex->started_wall = std::chrono::system_clock::now();
  ex->started_ms = worker_.loop().now_ms();
  ex->method = head.method;
  ex->path = head.path;
  ex->authority = head.authority;
  if (ex->authority.empty()) {
    if (const auto* host = head.headers.find("host")) ex->authority = host->value;
  }
  if (ex->authority.empty() && head.method != "CONNECT") {
    // RFC 9112 §3.3: an origin-form request without Host (HTTP/1.0) names the inbound
    // connection's own authority: the listener's address. The backend then gets a Host.
    ex->authority = listener_.address.to_string();
    head.authority = head.headers.own(ex->authority);
  }
  ex->request.take_head(head);
  worker_.add_via(ex->request.head);
  ex->request.head_ready = true;
  const TunnelKind tunnel = tunnel_kind(ex->request.head);
  ex->tunnel = tunnel != TunnelKind::None;
  // Kept until the first response byte so the request can be replayed (retry_policy.h); tunnel
  // bytes never are.
  ex->request.replay = !ex->tunnel;
  Exchange& ref = *ex;
  exchanges_[s] = std::move(ex);
  if (!valid) {
    answer(ref, 400, valid.error().detail);
    return;
  }
  // RFC 9110 §9.3.6: a reverse proxy is no open relay; CONNECT is refused unless the listener
  // allows it.
  if (tunnel == TunnelKind::Connect) {
    if (!listener_.allow_connect) {
      answer(ref, 405, kErrConnectNotAllowed);
      return;
    }
    ref.raw_tunnel = true;
  }
  worker_.dispatch(ref);
}

void ClientSession::on_data(codecs::StreamId s, codecs::Bytes data) {
  Exchange* ex = find(s);
  // The proxy answered, or the backend sent its whole response and went away.
  if (!ex || ex->answered || (!ex->backend && ex->response.end_received)) {
    // Nobody will forward these bytes: credit them back at once.
    codec_->consume(s, data.size());
    if (ex) ex->request.bytes_received += data.size();
    return;
  }
  ex->request.append(data);
  if (ex->backend) ex->backend->wake();
}

void ClientSession::on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) {
  Exchange* ex = find(s);
  if (!ex || ex->answered) return;
  // RFC 9110 §6.5.1: framing fields in trailers make the message malformed.
  if (!codecs::validate_trailers(trailers, codecs::MessageKind::Request)) {
    if (codec_->multiplexed()) {
      abort_exchange(*ex, codecs::H2Code::ProtocolError);
    } else {
      answer(*ex, 400, codecs::kErrTranslateForbiddenTrailer);
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
  if (ex->backend) ex->backend->wake();
  wake();
}

void ClientSession::on_reset(codecs::StreamId s, uint32_t) {
  if (Exchange* ex = find(s)) abort_exchange(*ex, codecs::H2Code::Cancel);
}

void ClientSession::pump_responses() {
  for (auto it = exchanges_.begin(); it != exchanges_.end();) {
    Exchange& ex = *it->second;
    ++it;  // `ex` may be erased below
    codecs::StreamId sid = ex.client_stream;
    const bool head_was_sent = ex.response.head_sent;
    auto r = pump(ex.response, *codec_, sid);
    if (!r) {
      // A response the client protocol cannot carry (RFC 9113 §8.2.2 field rules): 502 when
      // nothing went out yet, else the stream is cut.
      if (!head_was_sent && !ex.response.head_sent) {
        answer(ex, 502, r.error().detail);
        (void)pump(ex.response, *codec_, sid);
      } else {
        abort_exchange(ex, codecs::H2Code::InternalError);
        continue;
      }
    } else {
      if (*r > 0 && ex.backend) {
        ex.backend->codec().consume(ex.backend_stream, *r);
        ex.backend->wake();
        progressed(ex);
      }
      track_stall(ex, *r);
    }
    if (exchange_done(ex)) {
      finish_exchange(ex);
      continue;
    }
    if (!codec_->multiplexed()) break;  // HTTP/1.1: responses strictly in request order
  }
}

bool ClientSession::exchange_done(const Exchange& ex) const {
  if (!ex.response.end_sent) return false;
  // A response may end before its request (RFC 9113 §8.1, RFC 9112 §9.3): the rest of the
  // request is still read (and discarded when the proxy answered) unless the connection is
  // closing. An RST_STREAM(NO_ERROR) instead would go out ahead of the response's queued DATA
  // (control frames come first) and cut it.
  return ex.request.end_received || !codec_->reusable();
}

void ClientSession::finish_exchange(Exchange& ex) {
  worker_.log_exchange(ex, *this, codec_->protocol(), ex.response.head.status);
  if (ex.backend) ex.backend->release(ex);
  exchanges_.erase(ex.client_stream);
}

void ClientSession::abort_exchange(Exchange& ex, codecs::H2Code code) {
  if (ex.backend) ex.backend->abandon(ex);
  worker_.pool().cancel(ex);
  codec_->reset(ex.client_stream, code);
  ex.aborted = true;
  worker_.log_exchange(ex, *this, codec_->protocol(), ex.response.head.status);
  exchanges_.erase(ex.client_stream);
  wake();
}

void ClientSession::answer(Exchange& ex, uint16_t status, std::string_view reason) {
  const config::Answers* cluster = ex.cluster ? &ex.cluster->answers : nullptr;
  DefaultAnswer a =
      make_answer(status, reason, cluster, &listener_.answers, &worker_.config().answers);
  answer_with(ex, std::move(a.head), std::move(a.body), a.reason);
}

void ClientSession::answer_with(Exchange& ex, codecs::MessageHead head, std::string body,
                                std::string_view reason) {
  if (ex.backend) ex.backend->abandon(ex);
  worker_.pool().cancel(ex);
  if (ex.timer) ex.timer->cancel();
  ex.answered = true;
  ex.answer_reason = reason;
  ex.request.body.clear();
  ex.request.body_off = 0;
  Half& r = ex.response;
  r = Half{};
  r.head = std::move(head);
  // An early answer while the HTTP/1.1 request body is still arriving ends the connection.
  if (!ex.request.end_received && codec_ && !codec_->multiplexed()) r.head.keep_alive = false;
  r.head_ready = true;
  if (ex.method != "HEAD") r.append(codecs::as_bytes(body));
  r.end_received = true;
  wake();
}

void ClientSession::backend_failed(Exchange& ex, FailureKind kind) {
  ExchangeState st;
  st.method = ex.method;
  st.failure = kind;
  st.request_bytes_sent = ex.request.head_sent;
  st.response_bytes_received =
      ex.response_started || ex.response.head_ready || !ex.response.interim.empty();
  st.response_head_forwarded = ex.response.head_sent;
  st.connection_reused = ex.reused_connection;
  st.request_replayable = ex.request.replayable();
  st.attempts = ex.attempts;
  st.max_attempts = ex.cluster ? ex.cluster->connect_retries + 1 : 1;
  switch (decide_retry(st)) {
    case RetryDecision::Retry:
      ex.request.rewind();
      ex.response = Half{};
      // The keep-alive race: other idle connections to that backend may be as stale.
      ex.fresh_connection = kind == FailureKind::ConnectionLost;
      worker_.retry(ex, kind);
      break;
    case RetryDecision::AnswerBadGateway:
      answer(ex, 502,
             kind == FailureKind::ConnectFailed    ? "backend connect failed"
             : kind == FailureKind::ConnectionLost ? "backend connection lost"
                                                   : "backend refused the request unprocessed");
      break;
    case RetryDecision::AnswerGatewayTimeout:
      answer(ex, 504, "backend timeout");
      break;
    case RetryDecision::AbortResponse:
      abort_exchange(ex, codecs::H2Code::InternalError);
      break;
  }
}

void ClientSession::exchange_timed_out(Exchange& ex) {
  if (ex.backend) ex.backend->abandon(ex);
  backend_failed(ex, FailureKind::Timeout);
}

void ClientSession::progressed(Exchange& ex) {
  if (ex.timer && ex.response.head_ready) {
    ex.timer->arm(ex.progress_timeout_ms(worker_.config().timeouts));
  }
}

// RFC 9113 §5.2 lets a receiver hold its window at zero as long as it likes, and an HTTP/1.1
// client may simply stop reading; either way the response waits here, holding its queue and
// the backend stream (the slow-read class of CVE-2019-9517). timeouts.flow_control_stall bounds
// that wait; the stall starts when a pump finds queued bytes and writes none of them.
void ClientSession::track_stall(Exchange& ex, size_t wrote) {
  const bool stalled = wrote == 0 && ex.response.head_sent && ex.response.queued() > 0;
  if (!stalled) {
    if (ex.stall_timer) ex.stall_timer->cancel();
    return;
  }
  if (ex.stall_timer && ex.stall_timer->armed()) return;
  if (!ex.stall_timer) {
    Exchange* p = &ex;  // the timer is owned by the exchange, so never outlives it
    ex.stall_timer =
        std::make_unique<net::Timer>(worker_.loop().timers(), [this, p] { stalled_out(*p); });
  }
  ex.stall_timer->arm(static_cast<uint64_t>(worker_.config().timeouts.flow_control_stall.count()));
}

void ClientSession::stalled_out(Exchange& ex) {
  ex.answer_reason = "flow-control stall";
  if (codec_ && codec_->multiplexed()) {
    // The stream alone is cut; the connection's other streams go on.
    abort_exchange(ex, codecs::H2Code::Cancel);
    return;
  }
  // HTTP/1.1 cannot cut one response: the connection goes, with what it never read.
  drop_output_ = true;
  abort_all();
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
  if (!exchanges_.empty()) {
    timer_.cancel();
    return;
  }
  // RFC 9112 §9.5: a partial request head is held only for the request-headers deadline.
  const auto& t = worker_.config().timeouts;
  const auto ms = in_.empty() ? t.client_idle : t.request_headers;
  timer_.arm(static_cast<uint64_t>(ms.count()));
}

void ClientSession::on_timeout() {
  if (codec_ && !codec_->multiplexed() && !in_.empty() && !codec_failed_) {
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
