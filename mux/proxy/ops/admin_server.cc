// Admin listener and its connections: H1 codec in, a page per request out.
#include "mux/proxy/ops/admin_server.h"

#include <deque>
#include <string>
#include <string_view>

#include "codecs/base/byte_buffer.h"
#include "codecs/message/events.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/legs/codec.h"

namespace crossmux::mux::proxy {

namespace {
constexpr size_t kReadSize = 4096;
constexpr size_t kMaxInput = 64 * 1024;
constexpr size_t kOutputCap = 256 * 1024;
// The Prometheus text exposition format's content type (format 0.0.4).
constexpr std::string_view kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextType = "text/plain; charset=utf-8";

CodecLimits admin_limits() {
  CodecLimits l;
  l.max_request_line = 4096;
  l.max_header_bytes = 16 * 1024;
  l.max_header_fields = 64;
  l.max_request_body = 4096;
  return l;
}
}  // namespace

// One admin client connection: reads requests through the H1 server codec and answers each as
// soon as it is complete (in order, so pipelining works).
class AdminConnection final : public net::Handler, private codecs::EventSink {
 public:
  AdminConnection(AdminServer& server, net::TcpStream stream)
      : server_(server),
        stream_(std::move(stream)),
        codec_(make_h1_server(*this, admin_limits())),
        idle_(server.loop().timers(), [this] { finish(); }) {}

  codecs::Status start() {
    auto w = net::IoWatch::create(server_.loop(), stream_.fd(), *this);
    if (!w) return codecs::unexpected(w.error());
    watch_ = std::move(*w);
    idle_.arm(AdminServer::kIdleMs);
    return codecs::ok();
  }

  void on_ready() override {
    if (done_) return;
    // Requests are answered one at a time while the output is below kOutputCap, and no more
    // input is decoded while some wait: a client pipelining requests without reading the
    // answers holds at most its input buffer and one page.
    bool alive = pending_.empty() ? read_and_feed() : true;
    while (!pending_.empty() && out_.size() < kOutputCap) {
      answer(pending_.front());
      pending_.pop_front();
      codec_->take_output(out_);
    }
    if (!write()) alive = false;
    const bool idle = out_.empty() && !codec_->wants_output() && pending_.empty();
    if (!alive || (idle && (failed_ || peer_closed_ || !codec_->reusable()))) {
      finish();
      return;
    }
    const bool more_input = watch_->readable() && !peer_closed_ && !failed_;
    if (out_.size() < kOutputCap && (!pending_.empty() || more_input)) {
      server_.loop().schedule(*this);
    }
  }

 private:
  bool read_and_feed() {
    while (watch_->readable() && !peer_closed_ && !failed_ && in_.size() < kMaxInput) {
      uint8_t* p = in_.prepare(kReadSize);
      net::IoResult r = stream_.read(codecs::MutableBytes(p, kReadSize));
      watch_->note(r);
      if (r.ok()) {
        in_.commit(r.bytes);
        idle_.arm(AdminServer::kIdleMs);
        continue;
      }
      if (r.status == net::IoStatus::Closed) peer_closed_ = true;
      if (r.status == net::IoStatus::Error) return false;
      break;
    }
    if (failed_ || in_.empty()) return true;
    auto used = codec_->feed(in_.bytes());
    if (!used) {
      // RFC 9112 §9.3: after a framing error the connection cannot continue; answer and close.
      failed_ = true;
      const uint16_t status = used.error().answer_status(400);
      // Answered after the requests decoded before it, in order.
      pending_.push_back({next_stream_, "", "", status, used.error().detail});
      in_.clear();
      return true;
    }
    in_.consume(*used);
    // A head that cannot fit the input cap (the codec's limits are smaller) never completes.
    return true;
  }

  bool write() {
    if (codec_->wants_output()) codec_->take_output(out_);
    while (!out_.empty() && watch_->writable()) {
      net::IoResult r = stream_.write(out_.bytes());
      watch_->note(r);
      if (r.ok()) {
        out_.consume(r.bytes);
        continue;
      }
      if (r.status == net::IoStatus::Closed || r.status == net::IoStatus::Error) return false;
      break;
    }
    return true;
  }

  void on_head(codecs::StreamId s, codecs::MessageHead& head) override {
    method_ = head.method;
    path_ = head.path;
    next_stream_ = s + 1;
  }
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId s) override { pending_.push_back({s, method_, path_}); }
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}

  struct Request {
    codecs::StreamId stream;
    std::string method;
    std::string path;
    uint16_t error_status = 0;  // a decoding error to answer (then close)
    std::string_view error_detail = {};
  };

  void answer(const Request& req) {
    const codecs::StreamId s = req.stream;
    const std::string_view path = std::string_view(req.path).substr(0, req.path.find('?'));
    const bool head_only = req.method == "HEAD";
    if (req.error_status != 0) {
      respond(s, req.error_status, kTextType, std::string(req.error_detail) + "\n", false, {},
              false);
    } else if (req.method != "GET" && !head_only) {
      respond(s, 405, kTextType, "405 Method Not Allowed: GET or HEAD\n", head_only, "GET, HEAD");
    } else if (path == "/metrics") {
      server_.refresh();
      respond(s, 200, kMetricsType, server_.hub().render() + server_.extra(), head_only);
    } else if (path == "/ready") {
      bool ready = true;
      for (size_t i = 0; i < server_.hub().workers(); ++i) {
        ready = ready && server_.hub().publications(i) > 0;
      }
      respond(s, ready ? 200 : 503, kTextType, ready ? "ready\n" : "starting\n", head_only);
    } else if (path == "/") {
      respond(s, 200, kTextType,
              "crossmux admin\n/metrics  Prometheus text format 0.0.4\n/ready    200 when every "
              "worker is serving\n",
              head_only);
    } else {
      respond(s, 404, kTextType, "404 Not Found\n", head_only);
    }
  }

  void respond(codecs::StreamId s, uint16_t status, std::string_view type, std::string body,
               bool head_only, std::string_view allow = {}, bool keep_alive = true) {
    codecs::MessageHead h;
    h.kind = codecs::MessageKind::Response;
    h.status = status;
    h.headers.add_copy("content-type", type);
    h.headers.add_view("cache-control", "no-store");
    if (!allow.empty()) h.headers.add_copy("allow", allow);
    h.framing = codecs::Framing::KnownLength;
    h.content_length = body.size();
    h.keep_alive = keep_alive;
    // RFC 9110 §9.3.2: a HEAD answer carries the GET's Content-Length and no body.
    if (auto r = codec_->send_head(s, h, head_only); !r) {
      failed_ = true;  // nothing valid can follow on this connection
      return;
    }
    if (!head_only) (void)codec_->send_data(s, codecs::as_bytes(body), true);
  }

  void finish() {
    if (done_) return;
    done_ = true;
    idle_.cancel();
    server_.closed(this);
  }

  AdminServer& server_;
  net::TcpStream stream_;
  std::unique_ptr<net::IoWatch> watch_;  // after the stream: destroyed first
  std::unique_ptr<Codec> codec_;
  codecs::ByteBuffer in_;
  codecs::ByteBuffer out_;
  net::Timer idle_;
  std::string method_;  // of the request being decoded
  std::string path_;
  std::deque<Request> pending_;  // decoded, not yet answered
  codecs::StreamId next_stream_ = 1;
  bool peer_closed_ = false;
  bool failed_ = false;
  bool done_ = false;
};

AdminServer::AdminServer(net::EventLoop& loop, net::TcpListener listener, MetricsHub& hub,
                         std::function<void()> refresh, std::function<std::string()> extra)
    : loop_(loop),
      listener_(std::move(listener)),
      hub_(hub),
      refresh_(std::move(refresh)),
      extra_(std::move(extra)) {}

codecs::Result<std::unique_ptr<AdminServer>> AdminServer::start(
    net::EventLoop& loop, const net::SocketAddress& address, MetricsHub& hub,
    std::function<void()> refresh, std::function<std::string()> extra) {
  auto l = net::TcpListener::bind(address);
  if (!l) return codecs::unexpected(l.error());
  std::unique_ptr<AdminServer> s(
      new AdminServer(loop, std::move(*l), hub, std::move(refresh), std::move(extra)));
  auto w = net::IoWatch::create(loop, s->listener_.fd(), *s);
  if (!w) return codecs::unexpected(w.error());
  s->watch_ = std::move(*w);
  return s;
}

AdminServer::~AdminServer() {
  watch_.reset();
  auto all = std::move(connections_);
  for (AdminConnection* c : all) delete c;
}

void AdminServer::on_ready() {
  if (!watch_->readable()) return;
  net::IoResult r = listener_.accept_all([this](net::Accepted&& a) {
    // Over the cap the connection is closed at once (a.stream's destructor).
    if (connections_.size() >= kMaxConnections) return;
    auto* c = new AdminConnection(*this, std::move(a.stream));
    if (!c->start()) {
      delete c;
      return;
    }
    connections_.insert(c);
    loop_.schedule(*c);
  });
  watch_->note(r);
}

void AdminServer::closed(AdminConnection* c) {
  connections_.erase(c);
  loop_.retire(std::unique_ptr<net::Handler>(c));
}

}  // namespace crossmux::mux::proxy
