// Backend selection: smooth weighted round robin and weighted least connections.
#include "mux/proxy/pool/load_balancer.h"

#include <algorithm>

namespace crossmux::mux::proxy {

LoadBalancer::LoadBalancer(const config::Cluster& cluster)
    : policy_(cluster.load_balancing),
      active_(cluster.backends.size(), 0),
      down_(cluster.backends.size(), false),
      health_(cluster.backends.size(), nullptr),
      current_(cluster.backends.size(), 0) {
  for (const auto& b : cluster.backends) weights_.push_back(b.weight);
}

bool LoadBalancer::eligible(size_t i, const BackendSet& tried, bool allow_down) const {
  if (tried.contains(i)) return false;
  if (!in_rotation(i)) return false;
  return allow_down || !down_[i];
}

std::optional<size_t> LoadBalancer::pick(const BackendSet& tried) {
  // First pass avoids backends marked down; if all are down, try them anyway (one may be back).
  for (bool allow_down : {false, true}) {
    std::optional<size_t> best;
    if (policy_ == config::LoadBalancing::LeastConnections) {
      // Fewest active per unit of weight; ties broken by index for determinism.
      for (size_t i = 0; i < weights_.size(); ++i) {
        if (!eligible(i, tried, allow_down)) continue;
        if (!best || static_cast<uint64_t>(active_[i]) * weights_[*best] <
                         static_cast<uint64_t>(active_[*best]) * weights_[i]) {
          best = i;
        }
      }
      if (best) return best;
      continue;
    }
    int64_t total = 0;
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (!eligible(i, tried, allow_down)) continue;
      current_[i] += weights_[i];
      total += weights_[i];
      if (!best || current_[i] > current_[*best]) best = i;
    }
    if (best) {
      current_[*best] -= total;
      return best;
    }
  }
  return std::nullopt;
}

}  // namespace crossmux::mux::proxy
