// AdminServer: the admin listener (global.admin) serving the metrics page over plain HTTP/1.1,
// decoded and encoded by the proxy's own H1 codec, on one worker's event loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_set>

#include "codecs/base/result.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"
#include "mux/proxy/ops/metrics_hub.h"

namespace crossmux::mux::proxy {

class AdminConnection;

// Endpoints (GET or HEAD; anything else is 405, unknown paths 404):
//   /metrics  every worker's metrics merged, then `extra`'s families, Prometheus text format 0.0.4
//   /ready    "ready" once every worker published at least once (503 "starting" before)
//   /         a short index of the endpoints
// Connections are keep-alive, at most kMaxConnections at once (more are closed at accept), each
// closed after kIdleMs without a request; request bodies are refused above 4 KiB (413).
class AdminServer final : public net::Handler {
 public:
  static constexpr size_t kMaxConnections = 64;
  static constexpr uint64_t kIdleMs = 30'000;

  // `extra` (may be empty) returns families appended to every /metrics page (the supervisor's
  // own: build info, backend health). `refresh` (may be empty) runs on this loop before each
  // /metrics answer, e.g. the local
  // worker publishing its latest values so a scrape sees them at once. Errors: the listener's
  // bind errors and kEpoll (mux/net/net_errors.h).
  static codecs::Result<std::unique_ptr<AdminServer>> start(
      net::EventLoop& loop, const net::SocketAddress& address, MetricsHub& hub,
      std::function<void()> refresh, std::function<std::string()> extra = {});
  ~AdminServer() override;

  uint16_t port() const { return listener_.port(); }
  void on_ready() override;

  // For AdminConnection.
  net::EventLoop& loop() { return loop_; }
  MetricsHub& hub() { return hub_; }
  std::string extra() const { return extra_ ? extra_() : std::string(); }
  void refresh() {
    if (refresh_) refresh_();
  }
  void closed(AdminConnection* c);

 private:
  AdminServer(net::EventLoop& loop, net::TcpListener listener, MetricsHub& hub,
              std::function<void()> refresh, std::function<std::string()> extra);

  net::EventLoop& loop_;
  net::TcpListener listener_;
  std::unique_ptr<net::IoWatch> watch_;
  MetricsHub& hub_;
  std::function<void()> refresh_;
  std::function<std::string()> extra_;
  std::unordered_set<AdminConnection*> connections_;
};

}  // namespace crossmux::mux::proxy
