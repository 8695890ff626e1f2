// run_proxy: the supervisor — worker threads, signals, graceful shutdown, reload, log reopen.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "codecs/base/result.h"
#include "mux/config/config.h"

namespace crossmux::mux::proxy {

struct RunOptions {
  // Called on the supervisor's thread once every worker listens, with the bound ports in listener
  // order (port 0 in the configuration: the ephemeral port chosen, shared by every worker).
  std::function<void(const std::vector<uint16_t>&)> on_listening;
  // Called on the supervisor's thread once the admin listener (global.admin) is bound, with its
  // port.
  std::function<void(uint16_t)> on_admin;
  // Worker threads. 0: the configuration's global.workers, and when that is 0 too, one per core.
  uint32_t workers = 0;
  // A non-blocking signalfd the supervisor reads (the caller blocked these signals in every
  // thread): SIGTERM/SIGINT start a graceful shutdown (a second one stops at once), SIGHUP
  // reloads, SIGUSR1 reopens the access log. -1: no signals.
  int signal_fd = -1;
  // Reads the configuration again for a reload: null, after printing why, when it is invalid.
  // Unset: reloads are refused.
  std::function<std::shared_ptr<const config::Config>()> load_config;
};

// Opens the access log, binds every listener once per worker (SO_REUSEPORT; with port 0, worker
// 0 binds first and the others join the port it got), starts the worker threads and supervises
// them until they have all ended (graceful shutdown). The admin listener (global.admin) runs on the
// supervisor's thread and serves the metrics of every worker merged (MetricsHub); a scrape asks
// every worker to publish first. Errors: the access log cannot be opened (kErrAccessLog), backend
// names do not resolve, a listener or the admin listener cannot bind, epoll fails.
//
// Graceful shutdown: every worker closes its listeners and drains its sessions — HTTP/2 clients
// get the two-step GOAWAY, HTTP/1.1 responses `Connection: close`, idle connections close — and
// in-flight exchanges finish until timeouts.graceful_shutdown, when the rest are closed.
//
// Reload: the new configuration is loaded and checked (names, certificates) on the supervisor;
// an invalid one is reported on stderr and changes nothing. Otherwise new listeners are bound and
// every worker switches to it for new connections: a listener whose address is unchanged keeps
// its socket (and the connections waiting in its accept queue), removed listeners close after
// accepting what was queued, and sessions already open finish on the configuration that accepted
// them, which lives until its last session ends. global.workers, access_log,
// access_log_format and admin are read at startup only.
codecs::Status run_proxy(std::shared_ptr<const config::Config> config, const RunOptions& options);

// How often each worker publishes its metrics to the hub the admin endpoint reads.
inline constexpr uint64_t kMetricsPublishMs = 1000;

inline constexpr char kErrAccessLog[] = "proxy: cannot open the access log";

}  // namespace crossmux::mux::proxy
