// HealthBoard: the health of every backend, written by the supervisor's health checks and read by
// every worker's load balancers, shared across threads and configuration generations.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace crossmux::mux::proxy {

// One backend's state. `up` is read by workers (relaxed: a pick that sees the old value a moment
// longer is harmless); everything else belongs to the supervisor's thread.
struct BackendHealth {
  std::atomic<bool> up{true};
  bool checked = false;  // a health check covers it; otherwise `up` stays true
  uint32_t passes_in_row = 0;
  uint32_t failures_in_row = 0;
  uint64_t passes = 0;  // totals since the process started
  uint64_t failures = 0;
  std::string last_failure;
};

class HealthBoard {
 public:
  // The entry of `backend` ("host:port" as configured) of cluster `cluster`, created (up, not
  // checked) on first use. It stays at the same address for the board's life, so a reload that
  // keeps a backend keeps its state, and older generations still read valid memory.
  // Thread-safe (a mutex; called when a generation starts, not per request).
  BackendHealth& entry(const std::string& cluster, const std::string& backend);

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<BackendHealth>> entries_;
};

}  // namespace crossmux::mux::proxy
