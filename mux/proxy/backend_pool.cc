// Backend connection reuse and multiplexing per (cluster, backend).
#include "mux/proxy/backend_pool.h"

#include <algorithm>

#include "mux/net/tls_stream.h"
#include "mux/proxy/worker.h"

namespace crossmux::mux::proxy {

BackendPool::~BackendPool() {
  // Connections unregister themselves as they die; take the lists first.
  auto all = std::move(conns_);
  for (auto& [key, list] : all) {
    for (BackendConnection* c : list) delete c;
  }
}

codecs::Status BackendPool::assign(Exchange& ex, const net::SocketAddress& address) {
  const BackendKey key{ex.cluster_index, ex.backend_index};
  auto& list = conns_[key];
  for (BackendConnection* c : list) {
    if (!c->accepts()) continue;
    ex.reused_connection = c->served() > 0;
    if (ex.reused_connection) ++reused_;
    c->attach(ex);
    return codecs::ok();
  }
  if (list.size() >= ex.cluster->max_connections_per_backend) {
    return codecs::unexpected(codecs::Error::http(503, kErrPoolFull, codecs::Side::Internal,
                                                  codecs::Scope::Stream));
  }
  auto tcp = net::TcpStream::connect(address);
  if (!tcp) return codecs::unexpected(tcp.error());
  std::unique_ptr<net::ByteStream> stream;
  net::TcpStream* socket = nullptr;
  if (const net::TlsClientContext* tls = worker_.backend_tls(ex.cluster_index)) {
    auto s = net::TlsStream::connect(std::move(*tcp), *tls, worker_.backend_sni(ex));
    if (!s) return codecs::unexpected(s.error());
    auto owned = std::make_unique<net::TlsStream>(std::move(*s));
    socket = &owned->tcp();
    stream = std::move(owned);
  } else {
    auto owned = std::make_unique<net::TcpStream>(std::move(*tcp));
    socket = owned.get();
    stream = std::move(owned);
  }
  auto* c = new BackendConnection(worker_, key, *ex.cluster, std::move(stream), *socket);
  if (auto s = c->start(); !s) {
    delete c;
    return s;
  }
  ++opened_;
  list.push_back(c);
  ex.reused_connection = false;
  c->attach(ex);
  return codecs::ok();
}

void BackendPool::remove(BackendConnection* c) {
  auto it = conns_.find(c->key());
  if (it == conns_.end()) return;
  std::erase(it->second, c);
}

size_t BackendPool::connections(BackendKey key) const {
  auto it = conns_.find(key);
  return it == conns_.end() ? 0 : it->second.size();
}

}  // namespace crossmux::mux::proxy
