// run_proxy: runs a validated configuration on one worker until stopped.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "codecs/base/result.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"

namespace crossmux::mux::proxy {

struct RunOptions {
  // Called on the worker's thread once every listener is bound, with the bound ports in listener
  // order (port 0 in the configuration: the ephemeral port chosen).
  std::function<void(const std::vector<uint16_t>&)> on_listening;
  // Called once the admin listener (global.admin) is bound, with its port.
  std::function<void(uint16_t)> on_admin;
  // Set by the caller to the loop while it runs, so signals can stop it.
  std::atomic<net::EventLoop*>* loop_out = nullptr;
};

// Opens the access log, binds the listeners and the admin listener (metrics of every worker
// through a MetricsHub) and serves until the loop is stopped (EventLoop::stop through loop_out,
// e.g. from a signal handler). Errors: the access log cannot be opened (kErrAccessLog), backend
// names do not resolve, a listener or the admin listener cannot bind, epoll fails.
codecs::Status run_proxy(const config::Config& config, const RunOptions& options);

// How often each worker publishes its metrics to the hub the admin endpoint reads.
inline constexpr uint64_t kMetricsPublishMs = 1000;

inline constexpr char kErrAccessLog[] = "proxy: cannot open the access log";

}  // namespace crossmux::mux::proxy
