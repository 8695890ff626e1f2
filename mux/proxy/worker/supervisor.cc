// Supervisor: startup checks, binding, worker threads, signals, shutdown and the admin listener.
// Signals are read from a signalfd on a loop of the supervisor's own: no work in signal handlers.
#include "mux/proxy/worker/supervisor.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "mux/config/config_parser.h"
#include "mux/proxy/ops/log.h"
#include "mux/proxy/ops/preflight.h"

namespace crossmux::mux::proxy {

namespace {

uint32_t worker_count(const config::Config& c, const RunOptions& o) {
  if (o.workers > 0) return o.workers;
  if (c.global.workers > 0) return c.global.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::string pid_file_of(const config::Config& c, const RunOptions& o) {
  return o.pid_file.empty() ? c.global.pid_file : o.pid_file;
}

}  // namespace

Supervisor::Supervisor(std::shared_ptr<const config::Config> config, const RunOptions& options)
    : options_(options),
      config_(std::move(config)),
      log_(config_->global.access_log, config_->global.access_log_format,
           config_->global.access_log_fields),
      limiter_(config_->limits.max_connections, config_->limits.max_connections_per_ip) {}

codecs::Result<std::vector<ListenerSockets>> Supervisor::bind_listeners(
    const config::Config& c, const std::set<std::string>& skip,
    std::vector<std::string>& problems) {
  std::vector<ListenerSockets> out(workers_count_);
  for (size_t i = 0; i < c.listeners.size(); ++i) {
    const auto& l = c.listeners[i];
    const std::string key = Worker::listener_key(l);
    if (skip.contains(key)) continue;
    const std::string at = "listeners[" + std::to_string(i + 1) + "].address";
    auto report = [&](const std::string& why, const codecs::Error& e) {
      problems.push_back(config::format_error(
          c.where.source, {at, why, c.where.line(at), config::toml_quote(key)}));
      return codecs::Result<std::vector<ListenerSockets>>(codecs::unexpected(e));
    };
    std::string why;
    auto address = resolve(l.address, &why);
    if (!address) return report("does not resolve: " + why, address.error());
    // Every worker's socket has SO_REUSEPORT, so a second proxy could join them unnoticed: the
    // probe (no SO_REUSEPORT unless shared_ports) refuses an address someone else listens on.
    if (auto s = probe_bind(*address, c.global.shared_ports); !s) {
      return report(bind_problem(s.error(), c.global.shared_ports), s.error());
    }
    net::SocketAddress at_address = *address;
    for (size_t w = 0; w < workers_count_; ++w) {
      // Worker 0 binds first; the others join the port it got (port 0: an ephemeral one).
      auto bound = net::TcpListener::bind(at_address, {.reuse_port = true});
      if (!bound) return report(bind_problem(bound.error(), true), bound.error());
      if (w == 0) at_address = bound->local_address();
      out[w].emplace(key, std::move(*bound));
    }
  }
  return out;
}

codecs::Status Supervisor::run() {
  auto status = start();
  if (!status) {
    for (auto& w : workers_) w->stop_now();
    workers_.clear();  // joins
    return status;
  }
  for (;;) {
    bool all_done = true;
    for (const auto& w : workers_) all_done = all_done && w->finished();
    if (all_done) break;
    status = loop_->run_once(-1);
    if (!status) {
      log_error("event loop: " + codecs::describe(status.error()));
      for (auto& w : workers_) w->stop_now();
      break;
    }
  }
  for (auto& w : workers_) {
    w->join();
    log_info("worker " + std::to_string(w->index()) + " accepted " + std::to_string(w->accepted()) +
             " connection(s), " + std::to_string(w->requests()) + " request(s)");
  }
  workers_.clear();
  admin_.reset();
  checker_.reset();
  signal_watch_.reset();
  loop_->set_wake_handler(nullptr);
  log_.flush();
  const std::string pid_file = pid_file_of(*config_, options_);
  if (!pid_file.empty()) {
    // Only our own pid file: another proxy may have taken the path since.
    std::ifstream in(pid_file);
    long pid = 0;
    if (in >> pid && pid == ::getpid()) std::remove(pid_file.c_str());
  }
  if (status) log_info("stopped");
  return status;
}

codecs::Status Supervisor::start() {
  auto problems = preflight(*config_);
  if (!problems.empty()) {
    for (const auto& e : problems) log_error(config::format_error(config_->where.source, e));
    log_error("configuration rejected: " + std::to_string(problems.size()) + " problem(s)");
    return codecs::unexpected(codecs::Error::none(kErrRejected));
  }
  std::string why;
  if (!log_.open(&why)) {
    log_error("global.access_log: " + why);
    return codecs::unexpected(codecs::Error::none(kErrAccessLog));
  }
  auto loop = net::EventLoop::create();
  if (!loop) {
    log_error("event loop: " + codecs::describe(loop.error()));
    return codecs::unexpected(loop.error());
  }
  loop_ = std::move(*loop);
  loop_->set_wake_handler(&news_);
  if (options_.signal_fd >= 0) {
    auto w = net::IoWatch::create(*loop_, options_.signal_fd, signals_);
    if (!w) return codecs::unexpected(w.error());
    signal_watch_ = std::move(*w);
  }
  workers_count_ = worker_count(*config_, options_);
  std::vector<std::string> bind_problems;
  auto sockets = bind_listeners(*config_, {}, bind_problems);
  if (!sockets) {
    for (const auto& p : bind_problems) log_error(p);
    return codecs::unexpected(sockets.error());
  }
  net::EventLoop* sup = loop_.get();
  hub_ = std::make_unique<MetricsHub>(workers_count_);
  for (size_t w = 0; w < workers_count_; ++w) {
    auto t = std::make_unique<WorkerThread>(
        w, &log_, limiter_, hub_.get(), [sup] { sup->wake(); }, &board_);
    auto s = t->start(config_, std::move((*sockets)[w]));
    workers_.push_back(std::move(t));
    if (!s) {
      log_error("worker " + std::to_string(w) + ": " + codecs::describe(s.error()));
      return s;
    }
  }
  const std::vector<uint16_t> ports = workers_[0]->ports();
  for (size_t i = 0; i < config_->listeners.size(); ++i) {
    const auto& l = config_->listeners[i];
    ports_[Worker::listener_key(l)] = ports[i];
    log_info("listener " + l.name + " on " + config::Address{l.address.host, ports[i]}.to_string());
  }
  log_info(std::to_string(workers_count_) + " worker(s), pid " + std::to_string(::getpid()) +
           ", access log " + log_.where() + ", " + std::string(net::to_string(loop_->backend())) +
           " event loop" +
           (loop_->io_uring_refused()
                ? " (io_uring unavailable: " + codecs::describe(*loop_->io_uring_refused()) + ")"
                : std::string()));
  if (config_->global.admin) {
    auto at = resolve(*config_->global.admin);
    auto a = at ? AdminServer::start(
                      *loop_, *at, *hub_, [this] { refresh_metrics(); },
                      [this] { return render_supervisor_metrics(*config_, board_, facts_); })
                : codecs::Result<std::unique_ptr<AdminServer>>(codecs::unexpected(at.error()));
    if (!a) {
      log_error(config::format_error(
          config_->where.source,
          {"global.admin", bind_problem(a.error(), false), config_->where.line("global.admin"),
           config::toml_quote(config_->global.admin->to_string())}));
      return codecs::unexpected(a.error());
    }
    admin_ = std::move(*a);
    log_info("admin on " +
             config::Address{config_->global.admin->host, admin_->port()}.to_string() +
             " (GET /metrics, /ready)");
  }
  checker_ = std::make_unique<HealthChecker>(*loop_, config_, board_);
  if (checker_->probes() > 0) {
    log_info("health checks on " + std::to_string(checker_->probes()) + " backend(s)");
  }
  facts_.start_time_seconds =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string pid_file = pid_file_of(*config_, options_);
  if (!pid_file.empty()) std::ofstream(pid_file) << ::getpid() << "\n";
  notifier_.ready("serving " + std::to_string(config_->listeners.size()) + " listener(s)");
  return codecs::ok();
}

void Supervisor::read_signals() {
  for (;;) {
    signalfd_siginfo info{};
    const ssize_t n = ::read(options_.signal_fd, &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) break;  // EAGAIN: all read
    on_signal(info.ssi_signo, static_cast<pid_t>(info.ssi_pid));
  }
  signal_watch_->clear(net::Ready::Readable);
}

void Supervisor::on_signal(uint32_t signo, pid_t sender) {
  switch (signo) {
    case SIGTERM:
    case SIGINT:
      shutdown();
      break;
    case SIGHUP:
      reload(sender);
      break;
    case SIGUSR1:
      reopen_log();
      break;
    default:
      break;
  }
}

void Supervisor::shutdown() {
  if (shutting_down_) {
    log_warning("second stop signal, stopping now");
    for (auto& w : workers_) w->stop_now();
    return;
  }
  shutting_down_ = true;
  notifier_.stopping();
  const auto deadline = static_cast<uint64_t>(config_->timeouts.graceful_shutdown.count());
  log_notice("shutting down, draining connections for up to " + std::to_string(deadline) + " ms");
  for (auto& w : workers_) w->shutdown(deadline);
}

void Supervisor::reopen_log() {
  std::string why;
  if (log_.reopen(&why)) {
    log_info("access log reopened");
  } else {
    log_error("access log reopen failed, still writing the old file: " + why);
  }
}

void Supervisor::refresh_metrics() {
  std::vector<std::pair<WorkerThread*, uint64_t>> asked;
  for (auto& w : workers_) {
    if (w->finished()) continue;
    asked.emplace_back(w.get(), hub_->publications(w->index()));
    w->publish_metrics();
  }
  // A worker publishes between two handler runs, so this wait is one loop iteration of each.
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  for (const auto& [w, before] : asked) {
    while (hub_->publications(w->index()) == before && !w->finished() &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

}  // namespace crossmux::mux::proxy
