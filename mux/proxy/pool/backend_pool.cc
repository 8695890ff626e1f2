// Backend connection reuse and multiplexing per (cluster, backend).
#include "mux/proxy/pool/backend_pool.h"

#include <algorithm>

#include "mux/net/tls_stream.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

BackendPool::~BackendPool() {
  // Connections unregister themselves as they die; take the lists first.
  auto all = std::move(conns_);
  for (auto& [key, entry] : all) {
    for (BackendConnection* c : entry.all) delete c;
  }
}

void BackendPool::attach(BackendConnection* c, Exchange& ex) {
  Route& r = ex.route;
  r.reused_connection = c->served() > 0;
  if (r.reused_connection) {
    ++reused_;
    if (reused_by_cluster_.size() <= r.cluster_index)
      reused_by_cluster_.resize(r.cluster_index + 1);
    ++reused_by_cluster_[r.cluster_index];
  }
  ex.advance(ExchangeEvent::Attach);
  c->attach(ex);
}

codecs::Status BackendPool::assign(Exchange& ex, const net::SocketAddress& address) {
  const Route& r = ex.route;
  const bool raw = ex.tunnel == TunnelKind::Connect;
  const BackendKey key{r.cluster_index, r.backend_index};
  Entry& e = conns_[key];
  e.address = address;
  // A replay after a lost connection, and a CONNECT (its own raw connection), never reuse one.
  if (!r.fresh_connection && !raw) {
    // Idle connections first, most recently used first; then any with room for another stream.
    while (!e.idle.empty()) {
      BackendConnection* c = e.idle.back();
      e.idle.pop_back();
      c->set_idle_listed(false);
      if (c->accepts()) {
        attach(c, ex);
        return codecs::ok();
      }
    }
    // An HTTP/1.1 connection carries one exchange at a time, and one that carries none is on
    // the idle list (list_idle, on_capacity): only multiplexed ones can have room besides. (At the
    // connection cap with every connection busy, scanning them all cost O(connections) per
    // request: a tenth of the proxy's CPU at h2c -m100 through 256 HTTP/1.1 connections.)
    if (r.cluster->protocol != config::BackendProtocol::Http1) {
      for (BackendConnection* c : e.all) {
        if (c->accepts()) {
          attach(c, ex);
          return codecs::ok();
        }
      }
    }
  }
  if (e.all.size() >= r.cluster->max_connections_per_backend && !raw) {
    ex.advance(ExchangeEvent::Queue);
    const bool forming = e.waiting.empty();
    e.waiting.push_back(&ex);
    if (forming) hasten_stalls(e);
    return codecs::ok();
  }
  auto stream = connector_ ? connector_->connect(ex, address) : connect_socket(ex, address);
  if (!stream) return codecs::unexpected(stream.error());
  auto* c = new BackendConnection(worker_, key, *r.cluster, std::move(*stream), raw);
  if (auto s = c->start(); !s) {
    delete c;
    return s;
  }
  ++opened_;
  if (opened_by_cluster_.size() <= r.cluster_index) opened_by_cluster_.resize(r.cluster_index + 1);
  ++opened_by_cluster_[r.cluster_index];
  e.all.push_back(c);
  attach(c, ex);
  return codecs::ok();
}

codecs::Result<std::unique_ptr<net::ByteStream>> BackendPool::connect_socket(
    const Exchange& ex, const net::SocketAddress& address) {
  auto tcp = net::TcpStream::connect(address);
  if (!tcp) return codecs::unexpected(tcp.error());
  // An HTTP/2 backend connection is read whatever one stream's client does (its flow control
  // bounds what it holds): io_uring may receive it in bursts. An HTTP/1.1 one (and a tunnel)
  // waits on its one exchange's client: paced.
  const bool h2 =
      ex.tunnel != TunnelKind::Connect &&
      worker_.config().clusters[ex.route.cluster_index].protocol != config::BackendProtocol::Http1;
  tcp->set_burst_receive(h2);
  // A raw tunnel is plain TCP: whatever the client speaks inside (TLS too) is end to end.
  const net::TlsClientContext* tls =
      ex.tunnel == TunnelKind::Connect ? nullptr : worker_.backend_tls(ex.route.cluster_index);
  if (tls) {
    auto s = net::TlsStream::connect(std::move(*tcp), *tls, worker_.backend_sni(ex));
    if (!s) return codecs::unexpected(s.error());
    return std::unique_ptr<net::ByteStream>(std::make_unique<net::TlsStream>(std::move(*s)));
  }
  return std::unique_ptr<net::ByteStream>(std::make_unique<net::TcpStream>(std::move(*tcp)));
}

void BackendPool::cancel(Exchange& ex) {
  if (ex.phase() != Phase::Queued) return;
  auto it = conns_.find(BackendKey{ex.route.cluster_index, ex.route.backend_index});
  if (it != conns_.end()) std::erase(it->second.waiting, &ex);
}

void BackendPool::on_capacity(BackendConnection* c) {
  auto it = conns_.find(c->key());
  if (it == conns_.end()) return;
  Entry& e = it->second;
  while (!e.waiting.empty() && c->accepts()) attach(c, take_waiter(e));
  if (c->exchanges() == 0 && !c->idle_listed() && c->accepts()) {
    c->set_idle_listed(true);
    e.idle.push_back(c);
  }
}

void BackendPool::list_idle(BackendConnection* c) {
  auto it = conns_.find(c->key());
  if (it == conns_.end() || c->exchanges() != 0 || c->idle_listed() || !c->accepts()) return;
  c->set_idle_listed(true);
  it->second.idle.push_back(c);
}

void BackendPool::remove(BackendConnection* c) {
  auto it = conns_.find(c->key());
  if (it == conns_.end()) return;
  Entry& e = it->second;
  std::erase(e.all, c);
  std::erase(e.idle, c);
  // Exchanges queued at max_connections_per_backend wait for a connection to free up; a closing
  // one frees its slot, so they get a new connection here. (Found by the mux_session fuzzer:
  // they waited forever, and every response pipelined behind them on an HTTP/1.1 client too.)
  while (!e.waiting.empty() &&
         e.all.size() < e.waiting.front()->route.cluster->max_connections_per_backend) {
    Exchange& ex = take_waiter(e);
    if (!assign(ex, e.address)) ex.client.backend_failed(ex, FailureKind::ConnectFailed);
  }
}

Exchange& BackendPool::take_waiter(Entry& e) {
  // Fewest backend legs first, oldest first among equals: a client that already holds many
  // connections (a hundred zero-window streams) waits behind one that holds none. The scan is
  // bounded so a long queue costs a fixed amount per pick.
  constexpr size_t kScan = 256;
  auto best = e.waiting.begin();
  const size_t n = std::min(e.waiting.size(), kScan);
  for (auto it = e.waiting.begin(); it != e.waiting.begin() + n; ++it) {
    if ((*it)->client.backend_legs() < (*best)->client.backend_legs()) best = it;
    if ((*best)->client.backend_legs() == 0) break;
  }
  Exchange& ex = **best;
  e.waiting.erase(best);
  return ex;
}

void BackendPool::hasten_stalls(Entry& e) {
  for (BackendConnection* c : e.all) {
    c->for_each_exchange([](Exchange& x) { x.hasten_stall(kStallGraceUnderPressureMs); });
  }
}

bool BackendPool::queue_waits(BackendKey key) const {
  auto it = conns_.find(key);
  return it != conns_.end() && !it->second.waiting.empty();
}

size_t BackendPool::connections(BackendKey key) const {
  auto it = conns_.find(key);
  return it == conns_.end() ? 0 : it->second.all.size();
}

std::vector<BackendPool::ClusterStats> BackendPool::cluster_stats(size_t clusters) const {
  std::vector<ClusterStats> out(clusters);
  for (size_t c = 0; c < clusters; ++c) {
    if (c < opened_by_cluster_.size()) out[c].misses = opened_by_cluster_[c];
    if (c < reused_by_cluster_.size()) out[c].hits = reused_by_cluster_[c];
  }
  for (const auto& [key, entry] : conns_) {
    if (key.cluster < clusters) out[key.cluster].connections += entry.all.size();
  }
  return out;
}

}  // namespace crossmux::mux::proxy
