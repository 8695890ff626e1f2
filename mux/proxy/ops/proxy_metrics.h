// ProxyMetrics: one worker's metric families (names in mux/proxy/README.md) and the plain
// counters the request path bumps; sync() turns them into the registry the worker publishes.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "codecs/h2/counters.h"
#include "mux/config/config.h"
#include "mux/proxy/ops/metrics.h"

namespace crossmux::mux::proxy {

// Limits the proxy itself enforces (the H2 ones are codecs::h2::LimitKind), named after their
// configuration keys.
enum class ProxyLimit : uint8_t {
  MaxConnections = 0,         // limits.max_connections: a connection closed at accept
  MaxConnectionsPerIp = 1,    // limits.max_connections_per_ip
  MaxRequestLine = 2,         // limits.max_request_line: 414
  MaxHeaderBytes = 3,         // limits.max_header_bytes: 431
  MaxHeaderFields = 4,        // limits.max_header_fields on an HTTP/1.1 request: 431
  MaxRequestBody = 5,         // limits.max_request_body: 413
  RequestHeadersTimeout = 6,  // timeouts.request_headers on an HTTP/1.1 request: 408
  // limits.max_buffers / max_buffers_per_connection: the body bytes held rose past the budget
  // (once per crossing); stalled exchanges then get a short grace.
  MaxBuffers = 7,
  MaxBuffersPerConnection = 8,
};
inline constexpr size_t kProxyLimits = 9;
std::string_view to_string(ProxyLimit l);

// One finished request as the metrics see it.
struct RequestSample {
  int cluster = -1;             // index in config.clusters; -1: not routed
  bool h2_in = false;           // the client spoke HTTP/2
  bool answered = false;        // the proxy answered itself (no backend response)
  bool h2_out = false;          // the cluster speaks HTTP/2 (h2c or h2)
  uint16_t status = 0;          // 0: no response head went out (aborted)
  double total_seconds = 0;     // request head -> response end (or abort)
  double backend_seconds = -1;  // request sent -> backend response head; < 0: none
  // The backend (index in the cluster's backends) the request went to last; -1: none.
  int backend = -1;
  bool backend_error = false;  // it gave no response of its own (502/504 in its place), or a 5xx
  uint64_t backend_bytes_sent = 0;      // request body bytes written to it
  uint64_t backend_bytes_received = 0;  // response body bytes read from it
};

class ProxyMetrics {
 public:
  explicit ProxyMetrics(const config::Config& config);
  ProxyMetrics(const ProxyMetrics&) = delete;
  ProxyMetrics& operator=(const ProxyMetrics&) = delete;

  // Request path: a few array increments and cached series updates, no label lookups.
  void request(const RequestSample& r);
  void limit(ProxyLimit l) { ++proxy_limits_[static_cast<size_t>(l)]; }
  void connection_accepted() { ++accepted_; }
  // Where client-facing (server role) and backend (client role) H2 connections count frames.
  codecs::h2::Counters& h2_client_side() { return h2_[0]; }
  codecs::h2::Counters& h2_backend_side() { return h2_[1]; }

  // Values read from the worker when it publishes.
  struct Gauges {
    uint64_t client_connections = 0;
    uint64_t active_streams = 0;
    uint64_t buffered_body_bytes = 0;        // held by exchanges (limits.max_buffers)
    std::vector<uint64_t> pool_connections;  // per cluster
    std::vector<uint64_t> pool_hits;         // per cluster, totals
    std::vector<uint64_t> pool_misses;       // per cluster, totals
    // The worker's io_uring loop (net::EventLoop::RingStats), totals; unset on epoll.
    bool io_uring = false;
    uint64_t ring_enters = 0;
    uint64_t ring_sends = 0;
    uint64_t ring_receives_armed = 0;
    uint64_t ring_completions = 0;
  };
  // Copies the plain counters and `g` into the registry's series; returns the registry.
  const Registry& sync(const Gauges& g);
  const Registry& registry() const { return registry_; }

 private:
  Family::Handle& latency_series(Family& f, std::vector<Family::Handle>& cache, int cluster);
  const std::string& cluster_label(int cluster) const;
  void sync_limits();

  std::vector<std::string> clusters_;
  Registry registry_;
  Family& requests_;
  Family& duration_;
  Family& backend_duration_;
  Family& backend_requests_;
  Family& backend_errors_;
  Family& backend_sent_;
  Family& backend_received_;
  Family& connections_;
  Family& accepted_total_;
  Family& streams_;
  Family& buffered_;
  Family& pool_hits_;
  Family& pool_misses_;
  Family& pool_size_;
  Family& frames_;
  Family& resets_;
  Family& goaways_;
  Family& limits_;
  Family& ring_;

  // [cluster + 1][pairing][status class] -> series, resolved on first use.
  static constexpr size_t kPairings = 6;  // {h1, h2} x {h1, h2, proxy}
  static constexpr size_t kClasses = 6;   // none, 1xx .. 5xx
  std::vector<Family::Handle> request_cache_;
  std::vector<Family::Handle> duration_cache_;  // [cluster + 1]
  // Every backend's series, resolved at construction (so each is listed from the start, at 0).
  struct BackendSeries {
    Family::Handle requests, errors, sent, received, latency;
  };
  std::vector<std::vector<BackendSeries>> backend_series_;  // [cluster][backend]
  // One client-side limit series per configuration key, resolved at construction (a key can be
  // enforced by both layers: max_header_fields by the H1 decoder and HPACK), and the series each
  // ProxyLimit and each H2 LimitKind adds into.
  static constexpr size_t kLimitKeys = kProxyLimits + codecs::h2::kLimitKinds;
  std::vector<Family::Handle> client_limit_series_;
  std::array<size_t, kProxyLimits> proxy_limit_slot_{};
  std::array<size_t, codecs::h2::kLimitKinds> h2_limit_slot_{};
  std::array<codecs::h2::Counters, 2> h2_{};  // client side, backend side
  std::array<uint64_t, kProxyLimits> proxy_limits_{};
  uint64_t accepted_ = 0;
};

}  // namespace crossmux::mux::proxy
