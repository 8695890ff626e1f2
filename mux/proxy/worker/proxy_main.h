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
  // Worker threads. 0: the configuration's global.workers, and when that is 0 too, one per core.
  uint32_t workers = 0;
  // A non-blocking signalfd the supervisor reads (the caller blocked these signals in every
  // thread): SIGTERM/SIGINT start a graceful shutdown (a second one stops at once), SIGHUP
  // reloads, SIGUSR1 reopens the access log. -1: no signals.
  int signal_fd = -1;
  // Written with the pid once every listener is bound, removed at exit if it still holds our pid
  // (empty: none). Overrides global.pid_file.
  std::string pid_file;
  // Reads the configuration again for a reload: null when it is invalid, its problems appended
  // to `problems` (formatted as format_error does). Unset: reloads are refused.
  std::function<std::shared_ptr<const config::Config>(std::vector<std::string>& problems)>
      load_config;
};

// Checks the configuration as `crossmux proxy --check` does (preflight: names resolve,
// certificates load and match, addresses bind, files can be written), opens the access log,
// binds every listener once per worker (SO_REUSEPORT; with port 0, worker 0 binds first and the
// others join the port it got; an address another process holds is refused unless
// global.shared_ports), starts the worker threads and supervises them until they have all ended
// (graceful shutdown). The admin listener (global.admin) runs on the supervisor's thread and
// serves the metrics of every worker merged (MetricsHub); a scrape asks every worker to publish
// first. Every failure is logged (ops/log.h) before it is returned: kErrRejected when the
// configuration failed its checks (each problem logged at its key), else the error of what
// failed (epoll, a bind lost to a race after the checks).
//
// Under systemd (Type=notify, $NOTIFY_SOCKET) it sends READY=1 once serving, RELOADING=1 then
// READY=1 around a reload, STOPPING=1 on shutdown.
//
// Graceful shutdown: every worker closes its listeners and drains its sessions — HTTP/2 clients
// get the two-step GOAWAY, HTTP/1.1 responses `Connection: close`, idle connections close — and
// in-flight exchanges finish until timeouts.graceful_shutdown, when the rest are closed.
//
// Reload (SIGHUP): the new configuration is loaded and checked by the same preflight (listeners
// the process holds are not bound again; the admin listener and the access log stay); a rejected
// one is logged with the same messages startup would print and changes nothing. Otherwise new
// listeners are bound and every worker switches to it for new connections: a listener whose
// address is unchanged keeps its socket (and the connections waiting in its accept queue),
// removed listeners close after accepting what was queued, and sessions already open finish on
// the configuration that accepted them, which lives until its last session ends. The process
// that sent SIGHUP, when it waits for it (`crossmux proxy --reload`, ops/reload_reply.h), is sent
// the outcome and its messages. global.workers, access_log, access_log_format,
// access_log_fields and admin are read at startup only.
codecs::Status run_proxy(std::shared_ptr<const config::Config> config, const RunOptions& options);

// How often each worker publishes its metrics to the hub the admin endpoint reads.
inline constexpr uint64_t kMetricsPublishMs = 1000;

inline constexpr char kErrAccessLog[] = "proxy: cannot open the access log";
inline constexpr char kErrRejected[] = "proxy: configuration rejected";

}  // namespace crossmux::mux::proxy
