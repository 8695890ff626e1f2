// BackendPool: the worker-wide set of backend connections per (cluster, backend), shared by every
// client session: idle HTTP/1.1 keep-alive connections are reused, HTTP/2 connections carry
// streams up to the peer's MAX_CONCURRENT_STREAMS and another opens when they are full.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "codecs/base/result.h"
#include "mux/net/socket.h"
#include "mux/proxy/backend_connection.h"

namespace crossmux::mux::proxy {

class BackendPool {
 public:
  explicit BackendPool(Worker& worker) : worker_(worker) {}
  ~BackendPool();
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  // Attaches `ex` (its cluster and backend chosen) to a connection that accepts it, opening one
  // when none does. Errors: kErrPoolFull (max_connections_per_backend reached), the socket's
  // connect errors (kConnect, kSocket: an immediate failure, retryable on another backend).
  codecs::Status assign(Exchange& ex, const net::SocketAddress& address);

  // Called by a connection when it closes (it is no longer offered to new exchanges).
  void remove(BackendConnection* c);

  size_t connections(BackendKey key) const;
  uint64_t opened() const { return opened_; }
  uint64_t reused() const { return reused_; }

 private:
  Worker& worker_;
  std::map<BackendKey, std::vector<BackendConnection*>> conns_;
  uint64_t opened_ = 0;
  uint64_t reused_ = 0;
};

inline constexpr char kErrPoolFull[] = "proxy: max_connections_per_backend reached";

}  // namespace crossmux::mux::proxy
