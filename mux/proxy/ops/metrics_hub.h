// MetricsHub: carries each worker's metrics to the admin endpoint across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mux/proxy/ops/metrics.h"

namespace crossmux::mux::proxy {

// Every worker owns its Registry and updates it without atomics or locks. Now and then (a timer,
// about once a second, and when the admin endpoint asks on the worker's own thread) the worker
// publishes a copy into its slot here; the admin endpoint, on whichever thread it runs, renders
// the merge of the latest copies (counters and histograms add up, gauges too: each worker's
// gauge counts its own connections). A snapshot is copied outside the lock; the lock only swaps
// a pointer, so neither side waits on the other's work.
//
// Wiring N workers: MetricsHub hub(N); worker i calls hub.publish(i, its_registry) on its own
// thread; the admin calls hub.render(). Every worker must build its families in the same order
// (they all come from the same ProxyMetrics code), which merging relies on.
class MetricsHub {
 public:
  explicit MetricsHub(size_t workers);
  MetricsHub(const MetricsHub&) = delete;
  MetricsHub& operator=(const MetricsHub&) = delete;

  size_t workers() const { return slots_.size(); }
  // Worker `worker` (< workers()) replaces its snapshot with a copy of `registry`. Thread-safe.
  void publish(size_t worker, const Registry& registry);
  // The sum of the latest snapshot of every worker that published; nullopt before any did.
  // Thread-safe.
  std::optional<Registry> merged() const;
  // merged() in Prometheus text format 0.0.4 ("" before any worker published). Thread-safe.
  std::string render() const;
  // How many times `worker` published (for tests and the admin's readiness). Thread-safe.
  uint64_t publications(size_t worker) const;

 private:
  struct Slot {
    std::shared_ptr<const Registry> latest;
    uint64_t publications = 0;
  };
  mutable std::mutex mutex_;
  std::vector<Slot> slots_;
};

}  // namespace crossmux::mux::proxy
