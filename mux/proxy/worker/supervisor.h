// Supervisor: run_proxy's object on the calling thread — the access log file, the shared
// connection limiter, the worker threads, signals, the admin listener, reloads and the service
// manager's notifications. Internal to mux/proxy/worker (proxy_main.cc, supervisor*.cc).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "codecs/base/result.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/proxy/ops/access_log.h"
#include "mux/proxy/ops/admin_server.h"
#include "mux/proxy/ops/health_board.h"
#include "mux/proxy/ops/health_check.h"
#include "mux/proxy/ops/metrics_hub.h"
#include "mux/proxy/ops/supervisor_metrics.h"
#include "mux/proxy/ops/systemd_notify.h"
#include "mux/proxy/worker/connection_limiter.h"
#include "mux/proxy/worker/proxy_main.h"
#include "mux/proxy/worker/worker_thread.h"

namespace crossmux::mux::proxy {

class Supervisor {
 public:
  Supervisor(std::shared_ptr<const config::Config> config, const RunOptions& options);
  // Everything run_proxy() promises; every failure is logged here before it is returned.
  codecs::Status run();

 private:
  struct Signals final : net::Handler {
    explicit Signals(Supervisor& s) : sup(s) {}
    void on_ready() override { sup.read_signals(); }
    Supervisor& sup;
  };
  struct News final : net::Handler {
    explicit News(Supervisor& s) : sup(s) {}
    void on_ready() override { sup.collect_news(); }
    Supervisor& sup;
  };

  // Starts the loop, the workers and the admin listener (run() then waits for the workers).
  codecs::Status start();
  // Binds every listener of `c` whose key is not in `skip`, once per worker; a listener another
  // process holds is refused unless global.shared_ports. Errors are logged with the listener's
  // key (as preflight words them) into `problems`.
  codecs::Result<std::vector<ListenerSockets>> bind_listeners(const config::Config& c,
                                                              const std::set<std::string>& skip,
                                                              std::vector<std::string>& problems);
  void read_signals();
  void on_signal(uint32_t signo, pid_t sender);
  void shutdown();
  void reopen_log();
  void collect_news();
  // Before a scrape: every running worker publishes its metrics now (waits at most 100 ms).
  void refresh_metrics();

  // Reload (supervisor_reload.cc). `waiter`: a `crossmux proxy --reload` waiting for the outcome
  // (0: none). A reload asked for while one is under way runs once that one is decided.
  void reload(pid_t waiter);
  void start_reload();
  // The reload is decided: logs it, answers every waiter, tells the service manager.
  // `workers_switched`: the configuration went to the workers (a failure is then partial).
  void finish_reload(bool accepted, const std::vector<std::string>& messages,
                     bool workers_switched = false);

  const RunOptions& options_;
  std::shared_ptr<const config::Config> config_;
  AccessLog log_;
  ConnectionLimiter limiter_;
  SystemdNotifier notifier_;
  size_t workers_count_ = 1;
  HealthBoard board_;  // before the workers, which read it, and the checker, which writes it
  SupervisorFacts facts_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<HealthChecker> checker_;  // after the loop: its probes' timers are the loop's
  Signals signals_{*this};
  News news_{*this};
  std::unique_ptr<net::IoWatch> signal_watch_;
  std::vector<std::unique_ptr<WorkerThread>> workers_;
  std::unique_ptr<MetricsHub> hub_;
  std::unique_ptr<AdminServer> admin_;     // on this thread's loop
  std::map<std::string, uint16_t> ports_;  // by listener key: what is bound now
  bool shutting_down_ = false;

  // The reload under way: workers yet to report, what went wrong, who waits for the outcome.
  bool reloading_ = false;
  size_t reload_pending_ = 0;
  std::vector<std::string> reload_problems_;
  std::vector<pid_t> reload_waiters_;
  // Asked for while one was under way: run next, for these waiters.
  bool reload_again_ = false;
  std::vector<pid_t> next_waiters_;
};

}  // namespace crossmux::mux::proxy
