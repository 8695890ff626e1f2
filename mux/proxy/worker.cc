// Worker: listeners and accept, routing and backend assignment, access log lines.
#include "mux/proxy/worker.h"

#include <netdb.h>

#include "mux/proxy/answers.h"
#include "mux/proxy/client_session.h"

namespace crossmux::mux::proxy {

// A listening socket accepting client connections into sessions.
class ListenerSocket final : public net::Handler {
 public:
  ListenerSocket(Worker& worker, const config::Listener& config, net::TcpListener listener)
      : worker_(worker), config_(config), listener_(std::move(listener)) {}

  codecs::Status start() {
    auto w = net::IoWatch::create(worker_.loop(), listener_.fd(), *this);
    if (!w) return codecs::unexpected(w.error());
    watch_ = std::move(*w);
    return codecs::ok();
  }
  uint16_t port() const { return listener_.port(); }

  void on_ready() override {
    if (!watch_->readable()) return;
    net::IoResult r = listener_.accept_all([this](net::Accepted&& a) {
      auto* s = new ClientSession(worker_, config_, std::move(a.stream), a.peer.to_string());
      if (!s->start()) delete s;
    });
    watch_->note(r);
  }

 private:
  Worker& worker_;
  const config::Listener& config_;
  net::TcpListener listener_;
  std::unique_ptr<net::IoWatch> watch_;
};

namespace {

// Names are resolved once at startup, never on the worker's loop (mux/net/README.md).
codecs::Result<net::SocketAddress> resolve(const config::Address& a) {
  if (auto numeric = net::SocketAddress::parse(a.host, a.port)) return *numeric;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(a.host.c_str(), nullptr, &hints, &res) != 0 || res == nullptr) {
    return codecs::unexpected(codecs::Error::http(502, kErrResolve, codecs::Side::Internal));
  }
  net::SocketAddress out = net::SocketAddress::from(res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return net::SocketAddress::parse(out.to_string().substr(0, out.to_string().rfind(':')), a.port);
}

}  // namespace

Worker::Worker(net::EventLoop& loop, const config::Config& config, AccessLog* log)
    : loop_(loop),
      config_(config),
      log_(log),
      limits_(codec_limits(config)),
      router_(config),
      pool_(*this) {
  for (const auto& c : config.clusters) balancers_.emplace_back(c);
}

Worker::~Worker() {
  listeners_.clear();
  auto sessions = std::move(sessions_);
  for (ClientSession* s : sessions) delete s;
}

codecs::Status Worker::start() {
  for (const auto& c : config_.clusters) {
    addresses_.emplace_back();
    names_.emplace_back();
    for (const auto& b : c.backends) {
      auto a = resolve(b.address);
      if (!a) return codecs::unexpected(a.error());
      addresses_.back().push_back(*a);
      names_.back().push_back(a->to_string());
    }
  }
  for (const auto& l : config_.listeners) {
    auto at = resolve(l.address);
    if (!at) return codecs::unexpected(at.error());
    auto listener = net::TcpListener::bind(*at);
    if (!listener) return codecs::unexpected(listener.error());
    auto s = std::make_unique<ListenerSocket>(*this, l, std::move(*listener));
    if (auto st = s->start(); !st) return st;
    listeners_.push_back(std::move(s));
  }
  return codecs::ok();
}

uint16_t Worker::port(size_t i) const { return listeners_.at(i)->port(); }

void Worker::dispatch(Exchange& ex) {
  ++requests_;
  ClientSession& client = *ex.client;
  const config::Listener& l = client.listener();
  if (l.https_redirect) {
    DefaultAnswer a = make_https_redirect(ex.method, Router::normalize_host(ex.authority), ex.path);
    client.answer_with(ex, std::move(a.head), std::move(a.body), a.reason);
    return;
  }
  RouteResult route = router_.route(l.name, ex.authority, ex.path, ex.method);
  if (!route) {
    const bool method = route.miss == RouteMiss::MethodNotAllowed;
    client.answer(ex, method ? 405 : 404, method ? "method not allowed" : "no route");
    return;
  }
  ex.cluster = route.cluster;
  ex.cluster_index = static_cast<size_t>(route.cluster - config_.clusters.data());
  assign(ex);
}

void Worker::retry(Exchange& ex) { assign(ex); }

void Worker::assign(Exchange& ex) {
  LoadBalancer& lb = balancers_[ex.cluster_index];
  for (;;) {
    auto pick = lb.pick(ex.tried);
    if (!pick || ex.attempts > ex.cluster->connect_retries) {
      ex.client->answer(ex, ex.tried.empty() ? 503 : 502, kErrNoBackend);
      return;
    }
    ex.tried.push_back(*pick);
    ++ex.attempts;
    ex.backend_index = *pick;
    auto s = pool_.assign(ex, addresses_[ex.cluster_index][*pick]);
    if (s) return;
    if (s.error().detail == kErrPoolFull) {
      ex.client->answer(ex, 503, kErrPoolFull);
      return;
    }
    lb.mark_down(*pick);  // an immediate connect failure: try the next backend
  }
}

void Worker::log_exchange(const Exchange& ex, const ClientSession& s, std::string_view protocol_in,
                          uint16_t status) {
  if (!log_ || !log_->enabled()) return;
  AccessRecord r;
  r.time = ex.started_wall;
  r.client = s.peer_address();
  r.protocol_in = protocol_in;
  r.protocol_out = ex.cluster && !ex.answered
                       ? (ex.cluster->protocol == config::BackendProtocol::Http1 ? "HTTP/1.1"
                                                                                 : "HTTP/2")
                       : "-";
  r.method = ex.method;
  r.authority = ex.authority;
  r.path = ex.path;
  r.status = status;
  r.bytes_in = ex.request.bytes_received;
  r.bytes_out = ex.response.bytes_sent;
  r.total_us = static_cast<int64_t>(loop_.now_ms() - ex.started_ms) * 1000;
  r.backend_connect_us = ex.connect_us;
  r.backend_response_us = ex.backend_response_us;
  r.cluster = ex.cluster ? std::string_view(ex.cluster->name) : std::string_view("-");
  r.backend = ex.backend_address.empty() ? std::string_view("-") : ex.backend_address;
  r.retries = ex.attempts > 0 ? ex.attempts - 1 : 0;
  r.answered_reason = ex.aborted ? std::string_view("aborted") : ex.answer_reason;
  log_->log(r);
}

}  // namespace crossmux::mux::proxy
