// Worker: one event loop's proxy — listeners, client sessions, routing, load balancing, the
// backend pool, default answers and the access log.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "codecs/base/result.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"
#include "mux/net/tls.h"
#include "mux/net/tls_stream.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/buffer_cache.h"
#include "mux/proxy/legs/codec.h"
#include "mux/proxy/ops/access_log.h"
#include "mux/proxy/ops/health_board.h"
#include "mux/proxy/ops/proxy_metrics.h"
#include "mux/proxy/pool/backend_pool.h"
#include "mux/proxy/pool/load_balancer.h"
#include "mux/proxy/pool/retry_policy.h"
#include "mux/proxy/pool/router.h"
#include "mux/proxy/worker/connection_limiter.h"

namespace crossmux::mux::proxy {

class ClientSession;
class ListenerSocket;

// Listening sockets by listener_key(): bound by the supervisor (one per worker, SO_REUSEPORT) or
// handed over from the previous configuration's Worker on a reload.
using ListenerSockets = std::map<std::string, net::TcpListener>;

// One configuration generation on one worker thread. A reload starts a new Worker on the same
// loop (taking over the listening sockets whose address is unchanged) while the old one keeps
// serving the sessions it accepted, with its own Config, routes and backend pool, until they end.
class Worker {
 public:
  // `log` (may be null: no access log), `limiter` and `health` (may be null: every backend in
  // rotation) must outlive the worker; the worker keeps `config` alive. Each cluster's load
  // balancer skips the backends `health` says are out of rotation (active health checks).
  Worker(net::EventLoop& loop, std::shared_ptr<const config::Config> config, AccessLogWriter* log,
         ConnectionLimiter& limiter, HealthBoard* health = nullptr);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // prepare() then listen(sockets).
  codecs::Status start(ListenerSockets sockets = {});
  // Resolves backend addresses and builds the TLS contexts. Errors: kErrResolve (a backend name
  // that does not resolve), TLS context and certificate errors.
  codecs::Status prepare();
  // Starts every listener on its socket taken from `sockets` (what is not used stays there),
  // binding (SO_REUSEPORT) the ones missing. Errors: certificates, the listener's bind errors
  // (mux/net/net_errors.h), kEpoll.
  codecs::Status listen(ListenerSockets& sockets);
  // The key a listening socket is handed over by: the configured address.
  static std::string listener_key(const config::Listener& l) { return l.address.to_string(); }
  // Opens a client session on an accepted connection of `listener`; `ip` was counted by
  // limiter() and is released when the session ends. The session owns itself (it retires itself
  // when it closes; the worker deletes those left at its destruction). A driver without sockets
  // (the mux_session fuzz target) calls prepare(), then this for each client connection it makes.
  void open_session(const config::Listener& listener, std::unique_ptr<net::ByteStream> stream,
                    net::TlsStream* tls, std::string peer, std::string ip);
  // Port listener `i` is bound to (useful with port 0).
  uint16_t port(size_t i) const;

  // Stops accepting for a reload: the sockets of listeners whose key is in `keep` are returned
  // for the next Worker (not closed: their accept queues survive); the others first accept what
  // is queued, then close. Sessions carry on.
  ListenerSockets release_listeners(const std::set<std::string>& keep);
  // Graceful shutdown: closes the listeners and drains every session (ClientSession::drain).
  void drain();
  bool draining() const { return draining_; }

  // Routes a request whose head arrived and attaches it to a backend, or answers it.
  void dispatch(ClientSession& client, Exchange& ex);
  // Attaches `ex` to another backend of its cluster after a failure of `kind`; answers 502 when
  // none is left. After a connect failure only untried backends qualify; a request that reached a
  // backend and provably was not processed (or the keep-alive race) prefers an untried backend and
  // else goes back to a tried one (on a new connection, per Exchange::fresh_connection).
  void retry(Exchange& ex, FailureKind kind);
  // An exchange in Backoff whose delay passed tries the cluster's backends again.
  void resume(Exchange& ex);
  // How long `ex`'s response may wait for a client that takes none of it: timeouts.flow_control_
  // stall, or kStallGraceUnderPressureMs when exchanges queue for the backend connection it holds
  // (a few stalled readers must not starve every other client of the cluster) or when the worker
  // or `ex`'s client connection holds more body bytes than its budget (held_buffers()): stalled
  // readers must not hold the worker's memory either.
  uint64_t stall_limit_ms(const Exchange& ex) const;
  // Why stall_limit_ms(ex) is shortened ("" when it is not), for the access log.
  std::string_view stall_pressure(const Exchange& ex) const;
  // Counts a finished exchange in the metrics and writes its access log line.
  void log_exchange(const Exchange& ex, const ClientSession& s, std::string_view protocol_in,
                    uint16_t status);

  net::EventLoop& loop() { return loop_; }
  const config::Config& config() const { return *config_; }
  const CodecLimits& limits() const { return limits_; }
  BackendPool& pool() { return pool_; }
  // Spare connection buffers (see buffer_cache.h).
  BufferCache& buffers() { return buffers_; }
  // The body bytes every exchange of this worker holds, against limits.max_buffers. Past it (and
  // past a connection's limits.max_buffers_per_connection) stalled exchanges get
  // kStallGraceUnderPressureMs instead of timeouts.flow_control_stall (stall_limit_ms).
  BufferBudget& held_buffers() { return held_buffers_; }
  // Caps on open client connections (limits.max_connections, max_connections_per_ip).
  ConnectionLimiter& limiter() { return limiter_; }
  LoadBalancer& balancer(size_t cluster) { return balancers_[cluster]; }
  const std::string& backend_name(size_t cluster, size_t backend) const {
    return names_[cluster][backend];
  }

  // The TLS client context of a cluster's backends, null for plain TCP.
  const net::TlsClientContext* backend_tls(size_t cluster) const {
    return backend_tls_[cluster].get();
  }
  // SNI and verified name for `ex`'s backend: the cluster's tls.sni, else the backend's host.
  std::string backend_sni(const Exchange& ex) const;

  // RFC 9110 §7.6.3 Via field value for a message that arrived as `v` ("1.1 crossmux"), empty
  // when global.via is empty.
  std::string_view via(codecs::Version v) const { return via_[static_cast<size_t>(v)]; }
  // Appends the Via field line to a head about to be forwarded (no-op when disabled).
  void add_via(codecs::MessageHead& head) const {
    std::string_view v = via(head.version);
    if (!v.empty()) head.headers.add_view("via", v);
  }
  // This generation's metrics with the gauges read now. `ended`: as they stand once it is gone
  // (no connection, no stream, no pooled backend connection; the counters kept), to be added to
  // the worker thread's totals of ended generations (WorkerThread).
  const Registry& metrics_snapshot(bool ended = false);
  ProxyMetrics& metrics() { return metrics_; }

  void session_opened(ClientSession* s) { sessions_.insert(s); }
  void session_closed(ClientSession* s) { sessions_.erase(s); }
  size_t sessions() const { return sessions_.size(); }
  template <class F>
  void for_each_session(F&& f) const {
    for (const ClientSession* s : sessions_) f(*s);
  }
  uint64_t requests() const { return requests_; }
  // Client connections accepted (by this generation's listeners).
  uint64_t accepted() const { return accepted_; }
  void count_accept() { ++accepted_; }

 private:
  void assign(Exchange& ex, bool allow_tried = false);
  // No backend of the cluster could be reached: waits (phase Backoff) 25 ms, doubling up to
  // 500 ms, and tries again, as long as timeouts.backend_connect has not passed since the first
  // attempt and no byte of the request was processed. False when it will not wait.
  bool backoff(Exchange& ex);
  // Plain CONNECT (tunnel.h): a raw connection to the requested backend of the routed cluster,
  // or 403 when the destination is not one of its backends.
  void connect_tunnel(Exchange& ex);

  net::EventLoop& loop_;
  std::shared_ptr<const config::Config> config_;
  AccessLogWriter* log_;
  CodecLimits limits_;
  Router router_;
  std::vector<LoadBalancer> balancers_;
  std::vector<std::vector<net::SocketAddress>> addresses_;  // [cluster][backend]
  std::vector<std::vector<std::string>> names_;
  std::vector<std::unique_ptr<net::TlsClientContext>> backend_tls_;  // per cluster, may be null
  std::vector<std::unique_ptr<ListenerSocket>> listeners_;
  BufferCache buffers_;  // before the pool and sessions: they give buffers back until destroyed
  BufferBudget held_buffers_;  // likewise: exchanges give their charge back until destroyed
  std::unordered_set<ClientSession*> sessions_;
  ConnectionLimiter& limiter_;
  BackendPool pool_;
  uint64_t requests_ = 0;
  std::array<std::string, 3> via_;  // by codecs::Version
  ProxyMetrics metrics_;
  uint64_t accepted_ = 0;
  bool draining_ = false;
};

// Resolves a configured address once, at startup (numeric, else getaddrinfo). Errors: kErrResolve.
codecs::Result<net::SocketAddress> resolve_address(const config::Address& a);

inline constexpr char kErrResolve[] = "proxy: backend address does not resolve";
inline constexpr char kErrNoBackend[] = "no backend available";
// A stall's limit while other exchanges queue for its backend connection (Worker::stall_limit_ms).
inline constexpr uint64_t kStallGraceUnderPressureMs = 1000;
// The reason of the 408 for an HTTP/1.1 request head not completed within timeouts.request_headers.
inline constexpr char kRequestHeadersTimeout[] = "request headers timeout";
// An HTTP/2 request body past limits.max_request_body (HTTP/1.1's decoder refuses its own:
// codecs::h1::kErrBodyTooLarge): 413, or the stream cut once the response has started. Counted
// as limit max_request_body where it fires (ClientSession::body_over_limit).
inline constexpr char kErrRequestBodyTooLarge[] =
    "request body larger than limits.max_request_body";

}  // namespace crossmux::mux::proxy
