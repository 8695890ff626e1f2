// Origin connection: protocol detection, request decoding, response streaming.
#include "conformance/origin/origin_connection.h"

#include <algorithm>

#include "conformance/origin/origin_server.h"

// The test build's planted_origin plants flaws for `crossmux fuzz` to find (planted_flaws.h);
// every other build compiles PLANTED(...) to nothing.
#ifdef CROSSMUX_ORIGIN_PLANTED_FLAWS
#include "conformance/origin/planted_flaws.h"
#define PLANTED(...) __VA_ARGS__
#else
#define PLANTED(...)
#endif

namespace crossmux::conformance {

namespace {
constexpr std::string_view kPreface = codecs::h2::kConnectionPreface;
constexpr size_t kOutputHighWater = 64 * 1024;  // stop producing while this much is unsent
constexpr size_t kStreamHighWater = 32 * 1024;  // H2: per-stream bytes queued in the codec
constexpr size_t kInputCap = 256 * 1024;        // unparsed input held before reading pauses
}  // namespace

OriginConnection::OriginConnection(OriginServer& server, mux::net::TcpStream stream,
                                   std::string peer)
    : server_(server), stream_(std::move(stream)), peer_(std::move(peer)) {}

OriginConnection::~OriginConnection() {
  PLANTED(planted::forget(this);)
  watch_.reset();
  server_.connection_closed();
}

bool OriginConnection::start() {
  (void)stream_.set_nodelay(true);
  auto w = mux::net::IoWatch::create(server_.loop(), stream_.fd(), *this);
  if (!w) return false;
  watch_ = std::move(*w);
  server_.loop().schedule(*this);
  return true;
}

void OriginConnection::on_ready() {
  bool alive = read_input();
  feed();
  produce();
  if (!flush()) alive = false;
  if (!alive || finished()) {
    server_.loop().retire(std::unique_ptr<Handler>(this));
    return;
  }
  // Reading stopped at the input cap while the socket still has data: no edge will come for it,
  // so run again once the decoder made room.
  if (watch_->readable() && in_.size() < kInputCap && !peer_closed_) server_.loop().schedule(*this);
}

bool OriginConnection::read_input() {
  while (watch_->readable() && in_.size() < kInputCap) {
    char buf[16384];
    auto r = stream_.read(codecs::MutableBytes(reinterpret_cast<uint8_t*>(buf), sizeof buf));
    watch_->note(r);
    if (r.ok()) {
      in_.append(buf, r.bytes);
      continue;
    }
    if (r.status == mux::net::IoStatus::Closed) peer_closed_ = true;
    if (r.status == mux::net::IoStatus::Error) return false;
    break;
  }
  return true;
}

void OriginConnection::detect_protocol() {
  if (proto_ != Proto::Unknown) return;
  size_t n = std::min(in_.size(), kPreface.size());
  if (in_.compare(0, n, kPreface.substr(0, n)) == 0) {
    if (n < kPreface.size()) return;  // could still be the preface
    proto_ = Proto::Http2;
    codecs::h2::Limits limits;
    codecs::h2::Settings settings;
    settings.enable_connect_protocol = 1;  // RFC 8441: WebSockets at /ws
    h2_.emplace(codecs::h2::Role::Server, static_cast<codecs::EventSink&>(*this), settings, limits);
  } else {
    proto_ = Proto::Http1;
    h1_decoder_.emplace(codecs::MessageKind::Request);
    h1_encoder_.emplace(codecs::MessageKind::Response);
  }
}

void OriginConnection::feed() {
  detect_protocol();
  if (in_.empty() || failed_) return;
  if (proto_ == Proto::Http2) {
    auto r = h2_->feed(codecs::as_bytes(in_));
    if (!r) {
      failed_ = true;
      return;
    }
    in_.erase(0, *r);
  } else if (proto_ == Proto::Http1) {
    // One request at a time on HTTP/1.1: pipelined bytes wait until the response went out.
    if (!responses_.empty() || close_after_response_) return;
    auto r = h1_decoder_->feed(codecs::as_bytes(in_), *this);
    if (!r) {
      // Answer the status the decoder chose, then close.
      auto plan = std::make_unique<Response>();
      plan->plan.status = r.error().answer_status(400);
      plan->plan.body = std::string(r.error().detail) + "\n";
      plan->keep_alive = false;
      plan->stream = h1_decoder_->last_stream() + 1;
      responses_.push_back(std::move(plan));
      close_after_response_ = true;
      in_.clear();
      return;
    }
    in_.erase(0, *r);
    if (h1_decoder_->awaiting_tunnel()) {
      h1_decoder_->resolve_tunnel(websockets_.contains(h1_decoder_->last_stream()), *this);
    }
  }
}

void OriginConnection::on_head(codecs::StreamId s, codecs::MessageHead& head) {
  PLANTED(planted::on_head(this, s, head, proto_ == Proto::Http2);)
  if (is_websocket_request(head)) return open_websocket(s, head);
  auto x = std::make_unique<OriginExchange>(proto_ == Proto::Http2 ? "HTTP/2" : "HTTP/1.1", peer_);
  x->on_head(head);
  if (x->wants_continue()) write_interim(s, head.method, 100, {});
  exchanges_[s] = std::move(x);
  methods_[s] = {std::string(head.method), head.keep_alive};
  // RFC 9110 §9.3.6: a CONNECT's content has no defined meaning and its stream stays open (an
  // extended CONNECT to a path that is not /ws, RFC 8441): it is answered at its head, and what it
  // sends afterwards is read and dropped.
  if (head.method == "CONNECT") on_end_of_message(s);
}

void OriginConnection::write_interim(
    codecs::StreamId s, std::string_view method, uint16_t status,
    const std::vector<std::pair<std::string, std::string>>& fields) {
  codecs::MessageHead head;
  head.kind = codecs::MessageKind::Response;
  head.status = status;
  for (const auto& [k, v] : fields) head.headers.add_view(k, v);
  if (proto_ == Proto::Http2) {
    (void)h2_->submit_headers(s, head, false);  // produce() takes the codec's output
  } else {
    (void)h1_encoder_->encode_head(head, out_, method);
  }
}

void OriginConnection::on_data(codecs::StreamId s, codecs::Bytes data) {
  PLANTED(planted::on_data(this, s);)
  if (websockets_.contains(s)) websocket_data(s, data);
  if (auto it = exchanges_.find(s); it != exchanges_.end()) it->second->on_data(data);
  if (h2_) h2_->consume(s, data.size());  // the origin consumes at once
}

void OriginConnection::on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) {
  if (auto it = exchanges_.find(s); it != exchanges_.end()) it->second->on_trailers(trailers);
}

void OriginConnection::on_end_of_message(codecs::StreamId s) {
  if (websockets_.contains(s)) return end_websocket(s);
  auto it = exchanges_.find(s);
  if (it == exchanges_.end()) return;
  PLANTED(if (planted::swallowed(this, s)) return;)
  auto r = std::make_unique<Response>();
  r->stream = s;
  r->plan = it->second->finish();
  if (server_.rewrite_response()) server_.rewrite_response()(it->second->path(), r->plan);
  server_.record(it->second->record_line());
  server_.count_request();
  r->method = methods_[s].first;
  r->keep_alive = methods_[s].second;
  if (!r->keep_alive) close_after_response_ = true;
  exchanges_.erase(it);
  methods_.erase(s);
  if (r->plan.delay_ms > 0) arm(*r, r->plan.delay_ms);
  responses_.push_back(std::move(r));
}

void OriginConnection::on_reset(codecs::StreamId s, uint32_t) {
  PLANTED(planted::on_reset(this, s, exchanges_.count(s) != 0);)
  websockets_.erase(s);
  exchanges_.erase(s);
  methods_.erase(s);
  std::erase_if(responses_, [s](const auto& r) { return r->stream == s; });
}

void OriginConnection::arm(Response& r, uint32_t ms) {
  r.waiting = true;
  if (!r.timer) {
    r.timer = std::make_unique<mux::net::Timer>(server_.loop().timers(), [this, &r] {
      r.waiting = false;
      server_.loop().schedule(*this);
    });
  }
  r.timer->arm(ms);
}

void OriginConnection::produce() {
  for (auto it = responses_.begin(); it != responses_.end();) {
    Response& r = **it;
    bool progressed = produce_one(r);
    if (r.done) {
      PLANTED(if (proto_ == Proto::Http2) planted::response_done(this, r.stream);)
      it = responses_.erase(it);
      continue;
    }
    if (!progressed && proto_ == Proto::Http1) break;  // HTTP/1.1: strictly in order
    ++it;
  }
  if (proto_ == Proto::Http2) h2_->take_output(out_);
  PLANTED(planted::flush(this, out_);)
  // Freed pipeline slot: decode the next HTTP/1.1 request.
  if (proto_ == Proto::Http1 && responses_.empty() && !in_.empty() && !close_after_response_) {
    feed();
    if (!responses_.empty()) server_.loop().schedule(*this);
  }
}

bool OriginConnection::produce_one(Response& r) {
  bool progressed = false;
  while (!r.done && !r.waiting && out_.size() < kOutputHighWater) {
    if (proto_ == Proto::Http2 && h2_->queued_bytes(r.stream) >= kStreamHighWater) break;
    if (!r.head_sent) {
      write_head(r);
    } else {
      write_piece(r);
    }
    progressed = true;
  }
  return progressed;
}

void OriginConnection::write_head(Response& r) {
  if (!r.plan.raw.empty()) {
    out_.append(codecs::as_bytes(r.plan.raw));
    close_after_response_ = true;
    r.head_sent = r.done = true;
    return;
  }
  codecs::MessageHead head;
  head.kind = codecs::MessageKind::Response;
  head.status = r.plan.status;
  head.keep_alive = r.keep_alive && !close_after_response_;
  for (const auto& [k, v] : r.plan.headers) head.headers.add_view(k, v);
  const bool bodyless = r.plan.head_only || r.plan.status == 204 || r.plan.status == 304;
  if (r.plan.streaming) {
    head.framing = codecs::Framing::Streaming;
  } else {
    head.framing = codecs::Framing::KnownLength;
    head.content_length = r.plan.total_body();
  }
  const bool end = bodyless || (!r.plan.streaming && r.plan.total_body() == 0);
  r.head_sent = true;
  for (const auto& i : r.plan.interim) write_interim(r.stream, r.method, i.status, i.headers);
  if (proto_ == Proto::Http2) {
    if (bodyless && head.status != 204 && head.status != 304)
      head.framing = codecs::Framing::KnownLength;
    if (head.status == 204 || head.status == 304) head.framing = codecs::Framing::None;
    (void)h2_->submit_headers(r.stream, head, end && r.plan.trailers.empty());
    if (end && !r.plan.trailers.empty() && !bodyless) {
      codecs::HeaderList t;
      for (const auto& [k, v] : r.plan.trailers) t.add_view(k, v);
      (void)h2_->submit_trailers(r.stream, t);
    }
  } else {
    if (head.status == 204 || head.status == 304) head.framing = codecs::Framing::None;
    (void)h1_encoder_->encode_head(head, out_, r.method);
    if (end) (void)h1_encoder_->encode_end(out_);
  }
  if (end) r.done = true;
  // No body pieces to pace (/slow/MS/0): the end goes out with the head.
  if (!r.done && r.plan.interval_ms > 0 && r.plan.total_body() > 0) arm(r, r.plan.interval_ms);
}

void OriginConnection::write_piece(Response& r) {
  const uint64_t total = r.plan.total_body();
  const uint64_t n =
      std::min<uint64_t>(r.plan.body_bytes ? r.plan.chunk_size : total, total - r.sent);
  std::string piece;
  if (r.plan.body_bytes) {
    piece.resize(n);
    for (uint64_t i = 0; i < n; ++i) piece[i] = static_cast<char>(generated_byte(r.sent + i));
  } else {
    piece = r.plan.body.substr(r.sent, n);
  }
  r.sent += n;
  const bool last = r.sent >= total;
  codecs::HeaderList trailers;
  for (const auto& [k, v] : r.plan.trailers) trailers.add_view(k, v);
  if (proto_ == Proto::Http2) {
    (void)h2_->submit_data(r.stream, codecs::as_bytes(piece), last && trailers.empty());
    if (last && !trailers.empty()) (void)h2_->submit_trailers(r.stream, trailers);
  } else {
    (void)h1_encoder_->encode_data(codecs::as_bytes(piece), out_);
    if (last) {
      if (trailers.empty()) {
        (void)h1_encoder_->encode_end(out_);
      } else {
        (void)h1_encoder_->encode_trailers(trailers, out_);
      }
    }
  }
  if (last) {
    r.done = true;
  } else if (r.plan.interval_ms > 0) {
    arm(r, r.plan.interval_ms);
  }
}

bool OriginConnection::flush() {
  while (!out_.empty() && watch_->writable()) {
    auto r = stream_.write(out_.bytes());
    watch_->note(r);
    if (r.ok()) {
      out_.consume(r.bytes);
      if (out_.size() < kOutputHighWater) server_.loop().schedule(*this);  // produce more
      continue;
    }
    if (r.status == mux::net::IoStatus::Error || r.status == mux::net::IoStatus::Closed)
      return false;
    break;
  }
  return true;
}

bool OriginConnection::finished() const {
  if (!out_.empty()) return false;
  if (failed_) return true;
  if (proto_ == Proto::Http2 && h2_ && h2_->wants_output()) return false;
  if (close_after_response_ && responses_.empty()) return true;
  return peer_closed_ && responses_.empty();
}

void OriginConnection::open_websocket(codecs::StreamId s, const codecs::MessageHead& head) {
  OriginExchange x(proto_ == Proto::Http2 ? "HTTP/2" : "HTTP/1.1", peer_);
  x.on_head(head);
  (void)x.finish();
  server_.record(x.record_line());
  server_.count_request();
  codecs::MessageHead response = websocket_response(head, proto_ == Proto::Http2);
  if (proto_ == Proto::Http2) {
    (void)h2_->submit_headers(s, response, false);
  } else {
    (void)h1_encoder_->encode_head(response, out_, head.method);  // feed() resolves the tunnel
  }
  websockets_[s] = std::make_unique<WebSocketEcho>();
}

void OriginConnection::websocket_data(codecs::StreamId s, codecs::Bytes data) {
  std::string reply;
  websockets_[s]->feed(data, reply);
  if (proto_ == Proto::Http2) {
    (void)h2_->submit_data(s, codecs::as_bytes(reply), false);
  } else {
    out_.append(reply);
  }
  if (websockets_[s]->closed()) end_websocket(s);
}

// RFC 6455 §7.1.1: after the closing handshake the server closes the connection (HTTP/2: the
// stream, RFC 8441 §5).
void OriginConnection::end_websocket(codecs::StreamId s) {
  websockets_.erase(s);
  if (proto_ == Proto::Http2) {
    (void)h2_->submit_data(s, {}, true);
  } else {
    close_after_response_ = true;
  }
}

}  // namespace crossmux::conformance
