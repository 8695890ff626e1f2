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
  // Set by the caller to the loop while it runs, so signals can stop it.
  std::atomic<net::EventLoop*>* loop_out = nullptr;
};

// Opens the access log, binds the listeners and serves until the loop is stopped (EventLoop::stop
// through loop_out, e.g. from a signal handler). Errors: the access log cannot be opened
// (kErrAccessLog), backend names do not resolve, a listener cannot bind, epoll fails.
codecs::Status run_proxy(const config::Config& config, const RunOptions& options);

inline constexpr char kErrAccessLog[] = "proxy: cannot open the access log";

}  // namespace crossmux::mux::proxy
