// Backend connection reuse and multiplexing per (cluster, backend).
#include "mux/proxy/pool/backend_pool.h"

#include <algorithm>

#include "mux/net/tls_stream.h"
#include "mux/proxy/legs/client_session.h"
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
  ex.waiting = false;
  ex.reused_connection = c->served() > 0;
  if (ex.reused_connection) {
    ++reused_;
    if (reused_by_cluster_.size() <= ex.cluster_index)
      reused_by_cluster_.resize(ex.cluster_index + 1);
    ++reused_by_cluster_[ex.cluster_index];
  }
  c->attach(ex);
}

codecs::Status BackendPool::assign(Exchange& ex, const net::SocketAddress& address) {
  const BackendKey key{ex.cluster_index, ex.backend_index};
  Entry& e = conns_[key];
  e.address = address;
  while (!e.idle.empty() && !ex.fresh_connection) {
    BackendConnection* c = e.idle.back();
    e.idle.pop_back();
    c->set_idle_listed(false);
    if (c->accepts()) {
      attach(c, ex);
      return codecs::ok();
    }
  }
  // HTTP/2 connections take streams while below their limit.
  for (BackendConnection* c : e.all) {
    if (ex.fresh_connection) break;
    if (c->multiplexed() && c->accepts()) {
      attach(c, ex);
      return codecs::ok();
    }
  }
  if (e.all.size() >= ex.cluster->max_connections_per_backend && !ex.raw_tunnel) {
    ex.waiting = true;
    e.waiting.push_back(&ex);
    return codecs::ok();
  }
  auto stream = connector_ ? connector_->connect(ex, address) : connect_socket(ex, address);
  if (!stream) return codecs::unexpected(stream.error());
  auto* c = new BackendConnection(worker_, key, *ex.cluster, std::move(*stream), ex.raw_tunnel);
  if (auto s = c->start(); !s) {
    delete c;
    return s;
  }
  ++opened_;
  if (opened_by_cluster_.size() <= ex.cluster_index)
    opened_by_cluster_.resize(ex.cluster_index + 1);
  ++opened_by_cluster_[ex.cluster_index];
  e.all.push_back(c);
  attach(c, ex);
  return codecs::ok();
}

codecs::Result<std::unique_ptr<net::ByteStream>> BackendPool::connect_socket(
    const Exchange& ex, const net::SocketAddress& address) {
  auto tcp = net::TcpStream::connect(address);
  if (!tcp) return codecs::unexpected(tcp.error());
  // A raw tunnel is plain TCP: whatever the client speaks inside (TLS too) is end to end.
  const net::TlsClientContext* tls =
      ex.raw_tunnel ? nullptr : worker_.backend_tls(ex.cluster_index);
  if (tls) {
    auto s = net::TlsStream::connect(std::move(*tcp), *tls, worker_.backend_sni(ex));
    if (!s) return codecs::unexpected(s.error());
    return std::unique_ptr<net::ByteStream>(std::make_unique<net::TlsStream>(std::move(*s)));
  }
  return std::unique_ptr<net::ByteStream>(std::make_unique<net::TcpStream>(std::move(*tcp)));
}

void BackendPool::cancel(Exchange& ex) {
  if (!ex.waiting) return;
  ex.waiting = false;
  auto it = conns_.find(BackendKey{ex.cluster_index, ex.backend_index});
  if (it != conns_.end()) std::erase(it->second.waiting, &ex);
}

void BackendPool::on_capacity(BackendConnection* c) {
  auto it = conns_.find(c->key());
  if (it == conns_.end()) return;
  Entry& e = it->second;
  while (!e.waiting.empty() && c->accepts()) {
    Exchange* ex = e.waiting.front();
    e.waiting.pop_front();
    attach(c, *ex);
  }
  if (!c->multiplexed() && !c->idle_listed() && c->accepts()) {
    c->set_idle_listed(true);
    e.idle.push_back(c);
  }
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
         e.all.size() < e.waiting.front()->cluster->max_connections_per_backend) {
    Exchange* ex = e.waiting.front();
    e.waiting.pop_front();
    ex->waiting = false;
    if (!assign(*ex, e.address)) ex->client->backend_failed(*ex, FailureKind::ConnectFailed);
  }
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
