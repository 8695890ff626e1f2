// LoadBalancer: chooses a backend of a cluster (round robin or least connections), skipping ones
// marked down, so a connect failure can be retried on another backend, and never choosing one an
// active health check took out of rotation.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "mux/config/config.h"
#include "mux/proxy/exchange/backend_set.h"

namespace crossmux::mux::proxy {

// Per-worker state for one cluster. Backends are referred to by their index in the cluster.
class LoadBalancer {
 public:
  explicit LoadBalancer(const config::Cluster& cluster);

  // The next backend to try, excluding `tried` (indexes already attempted for this request).
  // Backends marked down are skipped while any other is up. Backends out of rotation (health
  // checks) are never picked. nullopt when every backend is in `tried` or out of rotation.
  std::optional<size_t> pick(const BackendSet& tried = {});

  // Active connection (or in-flight request) counts for least connections.
  void on_open(size_t backend) { ++active_[backend]; }
  void on_close(size_t backend) {
    if (active_[backend] > 0) --active_[backend];
  }
  // Connect failures mark a backend down until the next success.
  void mark_down(size_t backend) { down_[backend] = true; }
  void mark_up(size_t backend) { down_[backend] = false; }

  // Backend `backend` is in rotation while `*up` holds (HealthBoard, written by the health
  // checks on another thread). Null: always in rotation.
  void watch_health(size_t backend, const std::atomic<bool>* up) { health_[backend] = up; }
  bool in_rotation(size_t backend) const {
    return health_[backend] == nullptr || health_[backend]->load(std::memory_order_relaxed);
  }

  size_t size() const { return weights_.size(); }
  uint32_t active(size_t backend) const { return active_[backend]; }
  bool down(size_t backend) const { return down_[backend]; }

 private:
  bool eligible(size_t i, const BackendSet& tried, bool allow_down) const;

  config::LoadBalancing policy_;
  std::vector<uint32_t> weights_;
  std::vector<uint32_t> active_;
  std::vector<bool> down_;
  std::vector<const std::atomic<bool>*> health_;
  // Smooth weighted round robin (nginx's algorithm): current weights per backend.
  std::vector<int64_t> current_;
};

}  // namespace crossmux::mux::proxy
