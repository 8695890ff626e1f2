// MetricsHub: worker snapshots behind one mutex, merged on demand.
#include "mux/proxy/ops/metrics_hub.h"

namespace crossmux::mux::proxy {

MetricsHub::MetricsHub(size_t workers) : slots_(workers) {}

void MetricsHub::publish(size_t worker, const Registry& registry) {
  // The copy (allocations, one per series) happens before the lock.
  auto copy = std::make_shared<const Registry>(registry);
  std::lock_guard<std::mutex> lock(mutex_);
  Slot& slot = slots_.at(worker);
  slot.latest.swap(copy);
  ++slot.publications;
  // The previous snapshot is freed after the lock is released (`copy` now holds it).
}

std::optional<Registry> MetricsHub::merged() const {
  std::vector<std::shared_ptr<const Registry>> latest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Slot& s : slots_) {
      if (s.latest) latest.push_back(s.latest);
    }
  }
  if (latest.empty()) return std::nullopt;
  Registry sum(*latest.front());
  for (size_t i = 1; i < latest.size(); ++i) sum.merge_from(*latest[i]);
  return sum;
}

std::string MetricsHub::render() const {
  auto sum = merged();
  return sum ? sum->render() : std::string();
}

uint64_t MetricsHub::publications(size_t worker) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return slots_.at(worker).publications;
}

}  // namespace crossmux::mux::proxy
