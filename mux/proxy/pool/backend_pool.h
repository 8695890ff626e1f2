// BackendPool: the worker-wide set of backend connections per (cluster, backend), shared by every
// client session: idle HTTP/1.1 keep-alive connections are reused, HTTP/2 connections carry
// streams up to the peer's MAX_CONCURRENT_STREAMS and another opens when they are full; at
// max_connections_per_backend, exchanges queue for a connection to free up, and are served
// fewest-backend-legs-per-client first; a queue forming shortens the flow-control stall limit of
// the exchanges holding those connections (Worker::stall_limit_ms).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "codecs/base/result.h"
#include "mux/net/socket.h"
#include "mux/proxy/legs/backend_connection.h"

namespace crossmux::mux::proxy {

// Opens the stream of a new backend connection. Without one the pool dials TCP (TLS when the
// cluster says so); a test or fuzz driver installs its own (in-memory streams, see
// mux/net/memory_stream.h) with BackendPool::set_connector.
class BackendConnector {
 public:
  virtual ~BackendConnector() = default;
  // Starts connecting to `address` for `ex` (its cluster and backend chosen). The stream reports
  // the outcome through finish_connect() once writable. Errors: immediate failures (retryable on
  // another backend).
  virtual codecs::Result<std::unique_ptr<net::ByteStream>> connect(
      const Exchange& ex, const net::SocketAddress& address) = 0;
};

class BackendPool {
 public:
  explicit BackendPool(Worker& worker) : worker_(worker) {}
  ~BackendPool();
  BackendPool(const BackendPool&) = delete;
  BackendPool& operator=(const BackendPool&) = delete;

  // Attaches `ex` (its cluster and backend chosen) to a connection that accepts it, opening one
  // when none does, or queues it (phase Queued) when max_connections_per_backend are open.
  // Errors: the socket's connect errors (kConnect, kSocket: an immediate failure, retryable on
  // another backend), kEpoll.
  codecs::Status assign(Exchange& ex, const net::SocketAddress& address);
  // A queued exchange that no longer wants a backend (answered, reset, its client gone).
  void cancel(Exchange& ex);

  // Called by a connection that can take another exchange: hands it queued exchanges, or lists
  // an idle HTTP/1.1 connection for reuse.
  void on_capacity(BackendConnection* c);
  // Called by a connection whose last exchange just left it, before its next turn hands it
  // queued exchanges (on_capacity): lists it as idle when it can take another, so that a request
  // arriving meanwhile reuses it.
  void list_idle(BackendConnection* c);
  // Called by a connection when it closes or goes away (it is no longer offered to new
  // exchanges). The slot it frees goes to the exchanges queued at the connection cap: a new
  // connection opens for them.
  void remove(BackendConnection* c);

  // Replaces socket connects (nullptr: back to sockets); `c` must outlive the pool's use of it.
  void set_connector(BackendConnector* c) { connector_ = c; }
  // Every open connection (for bounds checks in tests and fuzzing).
  template <class F>
  void for_each_connection(F&& f) const {
    for (const auto& [key, entry] : conns_) {
      for (const BackendConnection* c : entry.all) f(*c);
    }
  }

  size_t connections(BackendKey key) const;
  // Whether exchanges are queued at max_connections_per_backend for `key`.
  bool queue_waits(BackendKey key) const;
  uint64_t opened() const { return opened_; }
  uint64_t reused() const { return reused_; }
  // Per cluster (metrics): connections opened (misses), exchanges given a connection that had
  // served before (hits), open connections.
  struct ClusterStats {
    uint64_t misses = 0;
    uint64_t hits = 0;
    uint64_t connections = 0;
  };
  std::vector<ClusterStats> cluster_stats(size_t clusters) const;

 private:
  struct Entry {
    std::vector<BackendConnection*> all;
    std::vector<BackendConnection*> idle;  // HTTP/1.1 connections ready for reuse
    std::deque<Exchange*> waiting;         // exchanges queued at the connection cap
    net::SocketAddress address;            // the backend's (for connections opened later)
  };
  void attach(BackendConnection* c, Exchange& ex);
  // A queue just formed at `e`'s connection cap: every stalled exchange on its connections gets
  // kStallGraceUnderPressureMs from its stall's start instead of timeouts.flow_control_stall, so
  // a handful of clients holding their windows at zero cannot keep the queue waiting.
  void hasten_stalls(Entry& e);
  // Takes the next exchange off `e`'s queue (not empty): see the .cc for the order.
  Exchange& take_waiter(Entry& e);
  codecs::Result<std::unique_ptr<net::ByteStream>> connect_socket(
      const Exchange& ex, const net::SocketAddress& address);

  Worker& worker_;
  BackendConnector* connector_ = nullptr;
  std::map<BackendKey, Entry> conns_;
  uint64_t opened_ = 0;
  uint64_t reused_ = 0;
  std::vector<uint64_t> opened_by_cluster_;
  std::vector<uint64_t> reused_by_cluster_;
};

}  // namespace crossmux::mux::proxy
