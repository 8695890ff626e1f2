// Health probes: one request per interval on a new connection, in the backend's protocol, through
// the proxy's own codecs; rise/fall decide when a backend leaves or rejoins rotation.
#include "mux/proxy/ops/health_check.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "codecs/base/byte_buffer.h"
#include "codecs/message/events.h"
#include "mux/net/socket.h"
#include "mux/net/tls_stream.h"
#include "mux/proxy/legs/codec.h"
#include "mux/proxy/ops/log.h"
#include "mux/proxy/ops/preflight.h"

namespace crossmux::mux::proxy {

class HealthProbe final : public net::Handler, private codecs::EventSink {
 public:
  HealthProbe(net::EventLoop& loop, const config::Cluster& cluster, const config::Backend& backend,
              const net::TlsClientContext* tls, BackendHealth& health)
      : loop_(loop),
        cluster_(cluster),
        hc_(*cluster.health_check),
        tls_(tls),
        health_(health),
        label_(backend.address.to_string()),
        host_(hc_.host.empty() ? label_ : hc_.host),
        sni_(cluster.tls.sni.empty() ? backend.address.host : cluster.tls.sni),
        next_(loop.timers(), [this] { begin(); }),
        deadline_(loop.timers(), [this] {
          record(false, "no answer within " + std::to_string(hc_.timeout.count()) + "ms");
          close();
        }) {
    std::string why;
    auto at = resolve(backend.address, &why);
    if (at) {
      address_ = *at;
    } else {
      unresolved_ = "does not resolve: " + why;
    }
    health_.checked = true;
    next_.arm(0);  // the first check at once
  }
  ~HealthProbe() override { close(); }

  void on_ready() override {
    if (!stream_) return;
    if (connecting_) {
      if (!watch_->writable() && !watch_->error() && !watch_->hangup()) return;
      if (auto s = stream_->finish_connect(); !s) return fail(connect_text(s.error()));
      connecting_ = false;
      if (!send_request()) return;
    }
    if (!flush() || !read()) return;
    if (decided_) close();
  }

 private:
  // A new attempt; one still running has overrun its interval.
  void begin() {
    if (stream_) {
      record(false, "no answer within " + std::to_string(hc_.timeout.count()) + "ms");
      close();
    }
    next_.arm(static_cast<uint64_t>(hc_.interval.count()));
    if (!unresolved_.empty()) return record(false, unresolved_);
    auto tcp = net::TcpStream::connect(address_);
    if (!tcp) return record(false, connect_text(tcp.error()));
    if (tls_) {
      auto s = net::TlsStream::connect(std::move(*tcp), *tls_, sni_);
      if (!s) return record(false, codecs::describe(s.error()));
      stream_ = std::make_unique<net::TlsStream>(std::move(*s));
    } else {
      stream_ = std::make_unique<net::TcpStream>(std::move(*tcp));
    }
    auto w = net::IoWatch::create(loop_, *stream_, *this);
    if (!w) {
      stream_.reset();
      return record(false, codecs::describe(w.error()));
    }
    watch_ = std::move(*w);
    connecting_ = true;
    decided_ = false;
    in_.clear();
    out_.clear();
    deadline_.arm(static_cast<uint64_t>(hc_.timeout.count()));
  }

  bool send_request() {
    CodecLimits limits;
    codec_ = cluster_.protocol == config::BackendProtocol::Http1 ? make_h1_client(*this, limits)
                                                                 : make_h2_client(*this, limits);
    codecs::MessageHead head;
    head.kind = codecs::MessageKind::Request;
    head.method = hc_.method;
    head.scheme = tls_ ? "https" : "http";
    head.authority = host_;
    head.path = hc_.path;
    head.framing = codecs::Framing::None;
    head.keep_alive = false;  // one request per connection: HTTP/1.1 says Connection: close
    head.headers.add_view("user-agent", "crossmux-health-check");
    if (auto s = codec_->send_head(0, head, true); !s) {
      fail("request: " + codecs::describe(s.error()));
      return false;
    }
    return true;
  }

  // Writes what the codec owes. False when the attempt ended.
  bool flush() {
    while (codec_->wants_output()) codec_->take_output(out_);
    while (!out_.empty() && watch_->writable()) {
      const net::IoResult r = stream_->write(out_.bytes());
      watch_->note(r);
      if (r.ok()) {
        out_.consume(r.bytes);
        continue;
      }
      if (r.would_block()) break;  // a TLS write may wait for readability: no retry loop here
      fail(io_text(r));
      return false;
    }
    return true;
  }

  // Reads and decodes until a verdict or WouldBlock. False when the attempt ended.
  bool read() {
    while (!decided_ && watch_->readable()) {
      uint8_t* p = in_.prepare(4096);
      const net::IoResult r = stream_->read(codecs::MutableBytes(p, 4096));
      watch_->note(r);
      if (r.would_block()) break;
      if (!r.ok()) {
        fail(r.status == net::IoStatus::Closed ? "closed before a response" : io_text(r));
        return false;
      }
      in_.commit(r.bytes);
      auto used = codec_->feed(in_.bytes());
      if (!used) {
        if (decided_) return true;  // the verdict came first; on_ready closes
        fail("bad response: " + codecs::describe(used.error()));
        return false;
      }
      in_.consume(*used);
    }
    // Bytes the H2 codec owes in return (SETTINGS ACK, WINDOW_UPDATE) are not needed: the
    // verdict comes with the response head.
    return true;
  }

  // "connect: Connection refused" (the errno says it all), else the error's own words.
  static std::string connect_text(const codecs::Error& e) {
    const char* d = e.sys_errno() != 0 ? strerrordesc_np(e.sys_errno()) : nullptr;
    return "connect: " + (d ? std::string(d) : codecs::describe(e));
  }

  static std::string io_text(const net::IoResult& r) {
    return codecs::describe(codecs::Error::sys(r.detail, r.error));
  }

  void fail(std::string why) {
    record(false, std::move(why));
    close();
  }

  // The attempt's verdict, once.
  void decide(bool ok, std::string why) {
    if (decided_) return;
    decided_ = true;
    record(ok, std::move(why));
  }

  void record(bool ok, std::string why) {
    deadline_.cancel();
    decided_ = true;
    BackendHealth& h = health_;
    if (ok) {
      ++h.passes;
      h.failures_in_row = 0;
      if (++h.passes_in_row >= hc_.rise && !h.up.load(std::memory_order_relaxed)) {
        h.up.store(true, std::memory_order_relaxed);
        log_notice("backend " + label_ + " of cluster " + cluster_.name + " is back in rotation (" +
                   std::to_string(h.passes_in_row) + " passed health checks)");
      }
      return;
    }
    ++h.failures;
    h.passes_in_row = 0;
    h.last_failure = why;
    if (++h.failures_in_row >= hc_.fall && h.up.load(std::memory_order_relaxed)) {
      h.up.store(false, std::memory_order_relaxed);
      log_warning("backend " + label_ + " of cluster " + cluster_.name + " is out of rotation (" +
                  std::to_string(h.failures_in_row) + " failed health checks, last: " + why + ")");
    }
  }

  // Ends the attempt's connection (never from inside the codec: on_ready calls it after feed).
  void close() {
    deadline_.cancel();
    watch_.reset();
    stream_.reset();
    codec_.reset();
    connecting_ = false;
  }

  void on_head(codecs::StreamId, codecs::MessageHead& head) override {
    if (head.is_request() || head.is_informational()) return;
    const auto& want = hc_.expect_status;
    const bool ok = want.empty() ? head.status >= 200 && head.status < 400
                                 : std::find(want.begin(), want.end(), head.status) != want.end();
    decide(ok, ok ? std::string() : "status " + std::to_string(head.status));
  }
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId, uint32_t code) override {
    decide(false, "stream reset (" +
                      std::string(codecs::to_string(static_cast<codecs::H2Code>(code))) + ")");
  }
  void on_goaway(codecs::StreamId, uint32_t code, std::string_view) override {
    decide(false,
           "GOAWAY (" + std::string(codecs::to_string(static_cast<codecs::H2Code>(code))) + ")");
  }
  void on_connection_error(const codecs::Error& e) override { decide(false, codecs::describe(e)); }

  net::EventLoop& loop_;
  const config::Cluster& cluster_;
  const config::HealthCheck& hc_;
  const net::TlsClientContext* tls_;
  BackendHealth& health_;
  const std::string label_;  // "host:port" as configured
  const std::string host_;   // Host / :authority
  const std::string sni_;
  net::SocketAddress address_;
  std::string unresolved_;
  net::Timer next_;
  net::Timer deadline_;
  std::unique_ptr<net::ByteStream> stream_;
  std::unique_ptr<net::IoWatch> watch_;  // after the stream: destroyed first
  std::unique_ptr<Codec> codec_;
  codecs::ByteBuffer in_;
  codecs::ByteBuffer out_;
  bool connecting_ = false;
  bool decided_ = false;
};

HealthChecker::HealthChecker(net::EventLoop& loop, std::shared_ptr<const config::Config> config,
                             HealthBoard& board)
    : config_(std::move(config)) {
  for (const auto& c : config_->clusters) {
    std::unique_ptr<net::TlsClientContext> tls;
    if (c.health_check && c.tls.enabled) {
      net::TlsClientConfig tc;
      tc.verify_peer = c.tls.verify;
      tc.ca_file = c.tls.ca_file;
      // RFC 9113 §3.2: HTTP/2 over TLS is negotiated with ALPN "h2".
      tc.alpn = {c.protocol == config::BackendProtocol::Http1 ? "http/1.1" : "h2"};
      if (auto ctx = net::TlsClientContext::create(tc)) {
        tls = std::make_unique<net::TlsClientContext>(std::move(*ctx));
      } else {
        log_error("cluster " + c.name + ": health checks off: " + codecs::describe(ctx.error()));
      }
    }
    for (const auto& b : c.backends) {
      BackendHealth& h = board.entry(c.name, b.address.to_string());
      if (!c.health_check || (c.tls.enabled && !tls)) {
        h.checked = false;
        h.up.store(true, std::memory_order_relaxed);
        continue;
      }
      probes_.push_back(std::make_unique<HealthProbe>(loop, c, b, tls.get(), h));
    }
    tls_.push_back(std::move(tls));
  }
}

HealthChecker::~HealthChecker() = default;

}  // namespace crossmux::mux::proxy
