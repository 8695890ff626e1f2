// HealthBoard: entries keyed by cluster and backend, created on first use.
#include "mux/proxy/ops/health_board.h"

namespace crossmux::mux::proxy {

BackendHealth& HealthBoard::entry(const std::string& cluster, const std::string& backend) {
  std::lock_guard lock(mutex_);
  auto& slot = entries_[cluster + '\0' + backend];
  if (!slot) slot = std::make_unique<BackendHealth>();
  return *slot;
}

}  // namespace crossmux::mux::proxy
