// HealthChecker: the active health checks of one configuration's clusters
// ([clusters.health_check]), run on the supervisor's loop; their verdicts take backends out of
// rotation and bring them back through the HealthBoard every worker's load balancers read.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/tls.h"
#include "mux/proxy/ops/health_board.h"

namespace crossmux::mux::proxy {

class HealthProbe;

class HealthChecker {
 public:
  // One probe per backend of every cluster with a health check, each checking at once and then
  // every interval: a new connection in the cluster's protocol (HTTP/1.1, h2c; TLS with ALPN and
  // SNI as the cluster's [clusters.tls] says), one request (method, path, Host/:authority, no
  // body), and the final response's status decides (health_check.expect_status, else 2xx or
  // 3xx); a refused or failed connect, a TLS failure, a reset, a close or no final response
  // within health_check.timeout is a failure. `fall` failures in a row take the backend out of
  // rotation, `rise` passes in a row bring it back; each change is logged. The backends of
  // clusters without a health check are put in rotation (a reload may have removed one).
  // Entries of backends kept across a reload keep their state. `loop` and `board` outlive it.
  HealthChecker(net::EventLoop& loop, std::shared_ptr<const config::Config> config,
                HealthBoard& board);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  size_t probes() const { return probes_.size(); }

 private:
  std::shared_ptr<const config::Config> config_;
  std::vector<std::unique_ptr<net::TlsClientContext>> tls_;  // per cluster, null: plain
  std::vector<std::unique_ptr<HealthProbe>> probes_;
};

}  // namespace crossmux::mux::proxy
