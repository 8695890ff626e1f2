// Worker: listeners and accept, routing and backend assignment, access log lines.
#include "mux/proxy/worker/worker.h"

#include <netdb.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "codecs/h1/h1_errors.h"
#include "mux/net/tls_stream.h"
#include "mux/proxy/exchange/answers.h"
#include "mux/proxy/exchange/tunnel.h"
#include "mux/proxy/legs/client_session.h"
#include "mux/proxy/ops/request_facts.h"

namespace crossmux::mux::proxy {

// A listening socket accepting client connections into sessions.
class ListenerSocket final : public net::Handler {
 public:
  ListenerSocket(Worker& worker, const config::Listener& config, net::TcpListener listener,
                 std::unique_ptr<net::TlsServerContext> tls)
      : worker_(worker), config_(config), listener_(std::move(listener)), tls_(std::move(tls)) {}

  codecs::Status start() {
    auto w = net::IoWatch::create(worker_.loop(), listener_, *this);
    if (!w) return codecs::unexpected(w.error());
    watch_ = std::move(*w);
    return codecs::ok();
  }
  uint16_t port() const { return listener_.port(); }
  const config::Listener& config() const { return config_; }

  void on_ready() override {
    if (!watch_ || !watch_->readable()) return;
    net::IoResult r = listener_.accept_all([this](net::Accepted&& a) { admit(std::move(a)); });
    watch_->note(r);
  }
  // Accepts whatever is queued, readable or not (before the socket closes for good). Unwatched
  // first, so that under io_uring the kernel's queue is drained here too, not by the ring.
  void accept_queued() {
    watch_.reset();
    (void)listener_.accept_all([this](net::Accepted&& a) { admit(std::move(a)); });
  }
  // Stops watching and gives the socket up, still listening, with its accept queue intact.
  net::TcpListener release() {
    watch_.reset();
    return std::move(listener_);
  }

 private:
  void admit(net::Accepted&& a) {
    // Over the global or per-address cap the connection is closed at once (a.stream's
    // destructor), before any buffer is spent on it.
    const std::string peer = a.peer.to_string();
    std::string ip = peer.substr(0, peer.rfind(':'));
    const auto verdict = worker_.limiter().try_acquire(ip);
    if (verdict != ConnectionLimiter::Verdict::Accept) {
      worker_.metrics().limit(verdict == ConnectionLimiter::Verdict::TooManyTotal
                                  ? ProxyLimit::MaxConnections
                                  : ProxyLimit::MaxConnectionsPerIp);
      return;
    }
    worker_.metrics().connection_accepted();
    worker_.count_accept();
    std::unique_ptr<net::ByteStream> stream;
    net::TlsStream* tls = nullptr;
    if (tls_) {
      auto s = net::TlsStream::accept(std::move(a.stream), *tls_);
      if (!s) {  // kTlsNew: out of memory for this one connection
        worker_.limiter().release(ip);
        return;
      }
      auto owned = std::make_unique<net::TlsStream>(std::move(*s));
      tls = owned.get();
      stream = std::move(owned);
    } else {
      stream = std::make_unique<net::TcpStream>(std::move(a.stream));
    }
    worker_.open_session(config_, std::move(stream), tls, peer, std::move(ip));
  }

  Worker& worker_;
  const config::Listener& config_;
  net::TcpListener listener_;
  std::unique_ptr<net::TlsServerContext> tls_;
  std::unique_ptr<net::IoWatch> watch_;
};

// Names are resolved once at startup, never on the worker's loop (mux/net/README.md).
codecs::Result<net::SocketAddress> resolve_address(const config::Address& a) {
  if (auto numeric = net::SocketAddress::parse(a.host, a.port)) return *numeric;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(a.host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return codecs::unexpected(codecs::Error::none(kErrResolve));
  }
  net::SocketAddress out = net::SocketAddress::from(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return net::SocketAddress::parse(out.to_string().substr(0, out.to_string().rfind(':')), a.port);
}

Worker::Worker(net::EventLoop& loop, std::shared_ptr<const config::Config> config,
               AccessLogWriter* log, ConnectionLimiter& limiter, HealthBoard* health)
    : loop_(loop),
      config_(std::move(config)),
      log_(log),
      limits_(codec_limits(*config_)),
      router_(*config_),
      held_buffers_(size_t{config_->limits.max_buffers} * kBufferBytes),
      limiter_(limiter),
      pool_(*this),
      metrics_(*config_) {
  held_buffers_.on_pressure([this] {
    metrics_.limit(ProxyLimit::MaxBuffers);
    for (ClientSession* s : sessions_) s->hasten_stalls();
  });
  for (const auto& c : config_->clusters) {
    balancers_.emplace_back(c);
    for (size_t b = 0; health && b < c.backends.size(); ++b) {
      balancers_.back().watch_health(b,
                                     &health->entry(c.name, c.backends[b].address.to_string()).up);
    }
  }
  if (!config_->global.via.empty()) {
    via_[static_cast<size_t>(codecs::Version::Http10)] = "1.0 " + config_->global.via;
    via_[static_cast<size_t>(codecs::Version::Http11)] = "1.1 " + config_->global.via;
    via_[static_cast<size_t>(codecs::Version::Http2)] = "2 " + config_->global.via;
  }
  limits_.h2_client_side = &metrics_.h2_client_side();
  limits_.h2_backend_side = &metrics_.h2_backend_side();
}

const Registry& Worker::metrics_snapshot(bool ended) {
  ProxyMetrics::Gauges g;
  g.client_connections = ended ? 0 : sessions_.size();
  g.buffered_body_bytes = ended ? 0 : held_buffers_.held();
  if (!ended) {
    for (const ClientSession* s : sessions_) g.active_streams += s->active_exchanges();
  }
  for (const auto& c : pool_.cluster_stats(config_->clusters.size())) {
    g.pool_connections.push_back(ended ? 0 : c.connections);
    g.pool_hits.push_back(c.hits);
    g.pool_misses.push_back(c.misses);
  }
  if (loop_.backend() == net::LoopBackend::IoUring) {
    const net::EventLoop::RingStats r = loop_.ring_stats();
    g.io_uring = true;
    g.ring_enters = r.enters;
    g.ring_sends = r.sends;
    g.ring_receives_armed = r.receives_armed;
    g.ring_completions = r.completions;
  }
  return metrics_.sync(g);
}

Worker::~Worker() {
  listeners_.clear();
  auto sessions = std::move(sessions_);
  for (ClientSession* s : sessions) delete s;
}

codecs::Status Worker::start(ListenerSockets sockets) {
  if (auto s = prepare(); !s) return s;
  return listen(sockets);
}

namespace {

// The TLS client context of a cluster's backends, null for plain TCP.
codecs::Result<std::unique_ptr<net::TlsClientContext>> client_tls(const config::Cluster& c) {
  if (!c.tls.enabled && c.protocol != config::BackendProtocol::H2) {
    return std::unique_ptr<net::TlsClientContext>();
  }
  net::TlsClientConfig tc;
  tc.verify_peer = c.tls.verify;
  tc.ca_file = c.tls.ca_file;
  // RFC 9113 §3.2: HTTP/2 over TLS is negotiated with ALPN "h2".
  tc.alpn = {c.protocol == config::BackendProtocol::Http1 ? "http/1.1" : "h2"};
  auto ctx = net::TlsClientContext::create(tc);
  if (!ctx) return codecs::unexpected(ctx.error());
  return std::make_unique<net::TlsClientContext>(std::move(*ctx));
}

}  // namespace

codecs::Status Worker::prepare() {
  for (const auto& c : config_->clusters) {
    auto tls = client_tls(c);
    if (!tls) return codecs::unexpected(tls.error());
    backend_tls_.push_back(std::move(*tls));
    addresses_.emplace_back();
    names_.emplace_back();
    for (const auto& b : c.backends) {
      auto a = resolve_address(b.address);
      if (!a) return codecs::unexpected(a.error());
      addresses_.back().push_back(*a);
      names_.back().push_back(a->to_string());
    }
  }
  return codecs::ok();
}

namespace {

codecs::Result<std::unique_ptr<net::TlsServerContext>> server_tls(const config::Listener& l) {
  if (!l.tls()) return std::unique_ptr<net::TlsServerContext>();
  net::TlsServerConfig tc;
  for (const auto& c : l.certificates) {
    auto pem = net::load_certificate_files(c.cert_file, c.key_file);
    if (!pem) return codecs::unexpected(pem.error());
    tc.certificates.push_back(std::move(*pem));
  }
  tc.alpn.clear();
  if (l.http2) tc.alpn.push_back("h2");
  if (l.http1) tc.alpn.push_back("http/1.1");
  auto ctx = net::TlsServerContext::create(tc);
  if (!ctx) return codecs::unexpected(ctx.error());
  return std::make_unique<net::TlsServerContext>(std::move(*ctx));
}

}  // namespace

codecs::Status Worker::listen(ListenerSockets& sockets) {
  for (const auto& l : config_->listeners) {
    auto tls = server_tls(l);
    if (!tls) return codecs::unexpected(tls.error());
    net::TcpListener socket;
    if (auto it = sockets.find(listener_key(l)); it != sockets.end()) {
      socket = std::move(it->second);
      sockets.erase(it);
    } else {
      auto at = resolve_address(l.address);
      if (!at) return codecs::unexpected(at.error());
      auto bound = net::TcpListener::bind(*at, {.reuse_port = true});
      if (!bound) return codecs::unexpected(bound.error());
      socket = std::move(*bound);
    }
    auto s = std::make_unique<ListenerSocket>(*this, l, std::move(socket), std::move(*tls));
    if (auto st = s->start(); !st) return st;
    listeners_.push_back(std::move(s));
  }
  return codecs::ok();
}

ListenerSockets Worker::release_listeners(const std::set<std::string>& keep) {
  ListenerSockets out;
  for (auto& l : listeners_) {
    const std::string key = listener_key(l->config());
    if (keep.contains(key)) {
      out.emplace(key, l->release());
    } else {
      // Connections already in this socket's queue were completed by the kernel: serve them.
      l->accept_queued();
    }
  }
  listeners_.clear();
  return out;
}

void Worker::drain() {
  draining_ = true;
  listeners_.clear();
  for (ClientSession* s : std::vector<ClientSession*>(sessions_.begin(), sessions_.end())) {
    s->drain();
  }
}

void Worker::open_session(const config::Listener& listener, std::unique_ptr<net::ByteStream> stream,
                          net::TlsStream* tls, std::string peer, std::string ip) {
  auto* s =
      new ClientSession(*this, listener, std::move(stream), tls, std::move(peer), std::move(ip));
  if (!s->start()) delete s;
}

uint16_t Worker::port(size_t i) const {
  return listeners_.at(i)->port();
}

std::string Worker::backend_sni(const Exchange& ex) const {
  if (!ex.route.cluster->tls.sni.empty()) return ex.route.cluster->tls.sni;
  return ex.route.cluster->backends[ex.route.backend_index].address.host;
}

void Worker::dispatch(ClientSession& client, Exchange& ex) {
  ++requests_;
  const config::Listener& l = client.listener();
  if (l.https_redirect) {
    DefaultAnswer a =
        make_https_redirect(ex.log.method, Router::normalize_host(ex.log.authority), ex.log.path);
    client.answer_with(ex, std::move(a.head), std::move(a.body), a.reason);
    return;
  }
  // A CONNECT has no path (RFC 9110 §9.3.6): its frontend is chosen by host alone.
  RouteResult route = router_.route(
      l.name, ex.log.authority,
      ex.tunnel == TunnelKind::Connect ? std::string_view("/") : ex.log.path, ex.log.method);
  if (!route) {
    const bool method = route.miss == RouteMiss::MethodNotAllowed;
    client.answer(ex, method ? 405 : 404, method ? "method not allowed" : "no route");
    return;
  }
  ex.route.cluster = route.cluster;
  ex.route.cluster_index = static_cast<size_t>(route.cluster - config_->clusters.data());
  if (ex.tunnel == TunnelKind::Connect) {
    connect_tunnel(ex);
    return;
  }
  assign(ex);
}

void Worker::connect_tunnel(Exchange& ex) {
  // The allow-list is the routed cluster: the requested host:port must be one of its backends,
  // as configured or as resolved. Anything else would make the proxy an open relay.
  const auto& backends = ex.route.cluster->backends;
  for (size_t i = 0; i < backends.size(); ++i) {
    if (backends[i].address.to_string() != ex.log.authority &&
        names_[ex.route.cluster_index][i] != ex.log.authority) {
      continue;
    }
    ex.route.backend_index = i;
    ex.route.tried.insert(i);
    ++ex.route.attempts;
    ex.route.fresh_connection = true;
    if (auto s = pool_.assign(ex, addresses_[ex.route.cluster_index][i]); !s) {
      ex.client.answer(ex, 502, "backend connect failed");
    }
    return;
  }
  ex.client.answer(ex, 403, kErrConnectNotBackend);
}

void Worker::retry(Exchange& ex, FailureKind kind) {
  // A CONNECT names its destination: it never moves to another backend.
  if (ex.tunnel == TunnelKind::Connect) {
    ex.client.answer(ex, 502, "backend connect failed");
    return;
  }
  assign(ex, kind != FailureKind::ConnectFailed);
}

void Worker::assign(Exchange& ex, bool allow_tried) {
  LoadBalancer& lb = balancers_[ex.route.cluster_index];
  if (ex.route.attempts == 0) ex.route.first_attempt_ms = loop_.now_ms();
  for (;;) {
    auto pick = lb.pick(ex.route.tried);
    if (!pick && allow_tried) pick = lb.pick();
    allow_tried = false;  // a connect failure below moves on to untried backends only
    if (!pick || ex.route.round_attempts > ex.route.cluster->connect_retries) {
      if (backoff(ex)) return;
      ex.client.answer(ex, ex.route.tried.empty() ? 503 : 502, kErrNoBackend);
      return;
    }
    ex.route.tried.insert(*pick);
    ++ex.route.attempts;
    ++ex.route.round_attempts;
    ex.route.backend_index = *pick;
    auto s = pool_.assign(ex, addresses_[ex.route.cluster_index][*pick]);
    if (s) return;
    lb.mark_down(*pick);  // an immediate connect failure: try the next backend
  }
}

bool Worker::backoff(Exchange& ex) {
  // Only a request no backend has seen a byte of, still held whole, waits: nothing of it was
  // processed, so trying again is always safe (RFC 9110 §9.2.2 does not even come into it).
  if (ex.route.tried.empty() || !ex.request.replayable() || ex.response_started) return false;
  const uint64_t budget = static_cast<uint64_t>(config_->timeouts.backend_connect.count());
  const uint64_t waited = loop_.now_ms() - ex.route.first_attempt_ms;
  if (waited >= budget) return false;
  // 25 ms, 50, 100, 200, 400, then every 500 ms, within the budget.
  const uint64_t delay = std::min<uint64_t>(
      {uint64_t{25} << std::min<uint32_t>(ex.route.backoffs, 4), 500, budget - waited});
  ++ex.route.backoffs;
  ex.route.tried.clear();
  ex.route.round_attempts = 0;
  ex.advance(ExchangeEvent::Wait);
  ex.arm_deadline(delay);
  return true;
}

uint64_t Worker::stall_limit_ms(const Exchange& ex) const {
  const auto full = static_cast<uint64_t>(config_->timeouts.flow_control_stall.count());
  return stall_pressure(ex).empty() ? full : std::min(full, kStallGraceUnderPressureMs);
}

std::string_view Worker::stall_pressure(const Exchange& ex) const {
  if (held_buffers_.over()) return "flow-control stall while the worker is over limits.max_buffers";
  if (ex.client.connection_buffers().over()) {
    return "flow-control stall while its connection is over limits.max_buffers_per_connection";
  }
  if (ex.backend.bound() &&
      pool_.queue_waits(BackendKey{ex.route.cluster_index, ex.route.backend_index})) {
    return "flow-control stall while others wait for its backend connection";
  }
  return {};
}

void Worker::resume(Exchange& ex) {
  ex.advance(ExchangeEvent::Retry);
  assign(ex);
}

namespace {

// HTTP/1.1 requests the proxy refused because a configured limit was crossed, told apart by the
// codec's named error (the reason the answer carries).
std::optional<ProxyLimit> h1_limit(const Exchange& ex) {
  if (!ex.answered()) return std::nullopt;
  const std::string_view why = ex.log.reason;
  if (why == codecs::h1::kErrRequestLineTooLong) return ProxyLimit::MaxRequestLine;
  if (why == codecs::h1::kErrHeadersTooLarge) return ProxyLimit::MaxHeaderBytes;
  if (why == codecs::h1::kErrTooManyFields) return ProxyLimit::MaxHeaderFields;
  if (why == codecs::h1::kErrBodyTooLarge) return ProxyLimit::MaxRequestBody;
  if (why == kRequestHeadersTimeout) return ProxyLimit::RequestHeadersTimeout;
  return std::nullopt;
}

}  // namespace

void Worker::log_exchange(const Exchange& ex, const ClientSession& s, std::string_view protocol_in,
                          uint16_t status) {
  // One monotonic microsecond clock for every duration (LogFacts::started_us and the backend
  // times), so the backend's share never exceeds the total.
  const int64_t now_us = loop_us(loop_);
  const int64_t total_us = std::max<int64_t>(0, now_us - ex.log.started_us);
  const Route& route = ex.route;
  RequestSample m;
  m.cluster = route.cluster ? static_cast<int>(route.cluster_index) : -1;
  m.h2_in = protocol_in == "HTTP/2";
  m.answered = ex.answered();
  m.h2_out = route.cluster && route.cluster->protocol != config::BackendProtocol::Http1;
  m.status = (ex.phase() == Phase::Aborted) && !ex.response.head_sent ? 0 : status;
  m.total_seconds = static_cast<double>(total_us) / 1e6;
  m.backend_seconds =
      ex.log.backend_response_us >= 0 ? static_cast<double>(ex.log.backend_response_us) / 1e6 : -1;
  if (route.cluster && route.attempts > 0) {
    m.backend = static_cast<int>(route.backend_index);
    // No response of its own (the proxy answered 502/504 in its place), or a 5xx.
    m.backend_error = ex.answered() || (ex.response.head_ready && ex.response.head.status >= 500);
    m.backend_bytes_sent = ex.request.bytes_sent;
    m.backend_bytes_received = ex.response.bytes_received;
  }
  metrics_.request(m);
  if (auto l = h1_limit(ex)) metrics_.limit(*l);

  if (!log_ || !log_->enabled()) return;
  AccessRecord r;
  // The wall-clock time the request started, read only for a logged request.
  r.time = std::chrono::system_clock::now() - std::chrono::microseconds(now_us - ex.log.started_us);
  r.client = s.peer_address();
  r.listener = s.listener().name;
  r.protocol_in = protocol_in;
  if (route.cluster && !ex.answered()) {
    r.protocol_out =
        route.cluster->protocol == config::BackendProtocol::Http1 ? "HTTP/1.1" : "HTTP/2";
  }
  r.method = ex.log.method;
  r.authority = ex.log.authority;
  r.path = ex.log.path;
  r.status = status;
  r.bytes_in = ex.request.bytes_received;
  r.bytes_out = ex.response.bytes_sent;
  r.total_us = total_us;
  r.backend_connect_us = ex.log.connect_us;
  r.backend_response_us = ex.log.backend_response_us;
  if (route.cluster) r.cluster = route.cluster->name;
  r.backend = ex.log.backend_address;
  r.retries = route.attempts > 0 ? route.attempts - 1 : 0;
  r.answered_reason = (ex.phase() == Phase::Aborted) && ex.log.reason.empty()
                          ? std::string_view("aborted")
                          : ex.log.reason;
  // A request refused before its head was whole (400, 408, 431) has no id of its own yet.
  // An exchange answered before its head arrived has no id yet: it gets one for its line.
  const RequestId fresh_id = ex.log.request_id.empty() ? generate_request_id() : RequestId{};
  r.request_id = ex.log.request_id.empty() ? view(fresh_id) : ex.log.request_id;
  r.user_agent = ex.log.user_agent;
  r.referer = ex.log.referer;
  if (const net::TlsStream* tls = s.tls()) {
    r.tls_version = tls->version();
    r.tls_cipher = tls->cipher();
    r.sni = tls->server_name();
    r.alpn = tls->alpn();
  }
  log_->log(r);
}

}  // namespace crossmux::mux::proxy
