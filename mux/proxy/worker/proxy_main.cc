// run_proxy: the supervisor on the calling thread — it owns the access log file, the shared
// connection limiter and the worker threads, reads signals from a signalfd on a loop of its own
// (no work in signal handlers: there are none), and binds the listening sockets for the workers.
#include "mux/proxy/worker/proxy_main.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "mux/net/event_loop.h"
#include "mux/proxy/ops/access_log.h"
#include "mux/proxy/ops/admin_server.h"
#include "mux/proxy/ops/metrics_hub.h"
#include "mux/proxy/worker/connection_limiter.h"
#include "mux/proxy/worker/worker_thread.h"

namespace crossmux::mux::proxy {

namespace {

void print_error(std::string_view what, const codecs::Error& e) {
  std::cerr << "crossmux proxy: " << what << codecs::describe(e) << "\n";
}

uint32_t worker_count(const config::Config& c, const RunOptions& o) {
  if (o.workers > 0) return o.workers;
  if (c.global.workers > 0) return c.global.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

class Supervisor {
 public:
  Supervisor(std::shared_ptr<const config::Config> config, const RunOptions& options)
      : options_(options),
        config_(std::move(config)),
        log_(config_->global.access_log, config_->global.access_log_format),
        limiter_(config_->limits.max_connections, config_->limits.max_connections_per_ip) {}

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

  // Binds every listener of `c` whose key is not in `skip`, once per worker.
  codecs::Result<std::vector<ListenerSockets>> bind_listeners(const config::Config& c,
                                                              const std::set<std::string>& skip);
  void read_signals();
  void on_signal(uint32_t signo);
  void shutdown();
  void reload();
  void reopen_log();
  void collect_news();
  // Before a scrape: every running worker publishes its metrics now (waits at most 100 ms).
  void refresh_metrics();

  const RunOptions& options_;
  std::shared_ptr<const config::Config> config_;
  AccessLog log_;
  ConnectionLimiter limiter_;
  size_t workers_count_ = 1;
  std::unique_ptr<net::EventLoop> loop_;
  Signals signals_{*this};
  News news_{*this};
  std::unique_ptr<net::IoWatch> signal_watch_;
  std::vector<std::unique_ptr<WorkerThread>> workers_;
  std::unique_ptr<MetricsHub> hub_;
  std::unique_ptr<AdminServer> admin_;     // on this thread's loop
  std::map<std::string, uint16_t> ports_;  // by listener key: what is bound now
  bool shutting_down_ = false;
  size_t reload_pending_ = 0;  // workers yet to report on the last reload
  bool reload_failed_ = false;
};

codecs::Result<std::vector<ListenerSockets>> Supervisor::bind_listeners(
    const config::Config& c, const std::set<std::string>& skip) {
  std::vector<ListenerSockets> out(workers_count_);
  for (const auto& l : c.listeners) {
    const std::string key = Worker::listener_key(l);
    if (skip.contains(key)) continue;
    auto at = resolve_address(l.address);
    if (!at) return codecs::unexpected(at.error());
    net::SocketAddress address = *at;
    for (size_t w = 0; w < workers_count_; ++w) {
      // Worker 0 binds first; the others join the port it got (port 0: an ephemeral one).
      auto bound = net::TcpListener::bind(address, {.reuse_port = true});
      if (!bound) return codecs::unexpected(bound.error());
      if (w == 0) address = bound->local_address();
      out[w].emplace(key, std::move(*bound));
    }
  }
  return out;
}

codecs::Status Supervisor::run() {
  std::string why;
  if (!log_.open(&why)) {
    std::cerr << "crossmux proxy: access log " << config_->global.access_log << ": " << why << "\n";
    return codecs::unexpected(codecs::Error::none(kErrAccessLog));
  }
  auto loop = net::EventLoop::create();
  if (!loop) return codecs::unexpected(loop.error());
  loop_ = std::move(*loop);
  loop_->set_wake_handler(&news_);
  if (options_.signal_fd >= 0) {
    auto w = net::IoWatch::create(*loop_, options_.signal_fd, signals_);
    if (!w) return codecs::unexpected(w.error());
    signal_watch_ = std::move(*w);
  }
  workers_count_ = worker_count(*config_, options_);
  if (auto s = Worker::check(*config_); !s) return s;
  auto sockets = bind_listeners(*config_, {});
  if (!sockets) return codecs::unexpected(sockets.error());
  net::EventLoop* sup = loop_.get();
  hub_ = std::make_unique<MetricsHub>(workers_count_);
  for (size_t w = 0; w < workers_count_; ++w) {
    auto t = std::make_unique<WorkerThread>(w, &log_, limiter_, hub_.get(), [sup] { sup->wake(); });
    if (auto s = t->start(config_, std::move((*sockets)[w])); !s) {
      workers_.push_back(std::move(t));
      for (auto& started : workers_) started->stop_now();
      workers_.clear();  // joins
      return s;
    }
    workers_.push_back(std::move(t));
  }
  const std::vector<uint16_t> ports = workers_[0]->ports();
  for (size_t i = 0; i < config_->listeners.size(); ++i) {
    ports_[Worker::listener_key(config_->listeners[i])] = ports[i];
  }
  std::cerr << "crossmux proxy: " << workers_count_ << " worker(s), pid " << ::getpid() << "\n";
  if (options_.on_listening) options_.on_listening(ports);
  if (config_->global.admin) {
    auto at = resolve_address(*config_->global.admin);
    auto a = at ? AdminServer::start(*loop_, *at, *hub_, [this] { refresh_metrics(); })
                : codecs::Result<std::unique_ptr<AdminServer>>(codecs::unexpected(at.error()));
    if (!a) {
      for (auto& w : workers_) w->stop_now();
      workers_.clear();  // joins
      return codecs::unexpected(a.error());
    }
    admin_ = std::move(*a);
    if (options_.on_admin) options_.on_admin(admin_->port());
  }

  codecs::Status status = codecs::ok();
  for (;;) {
    bool all_done = true;
    for (const auto& w : workers_) all_done = all_done && w->finished();
    if (all_done) break;
    status = loop_->run_once(-1);
    if (!status) {
      for (auto& w : workers_) w->stop_now();
      break;
    }
  }
  for (auto& w : workers_) {
    w->join();
    std::cerr << "crossmux proxy: worker " << w->index() << " accepted " << w->accepted()
              << " connection(s), " << w->requests() << " request(s)\n";
  }
  workers_.clear();
  admin_.reset();
  signal_watch_.reset();
  loop_->set_wake_handler(nullptr);
  log_.flush();
  return status;
}

void Supervisor::read_signals() {
  for (;;) {
    signalfd_siginfo info{};
    const ssize_t n = ::read(options_.signal_fd, &info, sizeof info);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof info)) break;  // EAGAIN: all read
    on_signal(info.ssi_signo);
  }
  signal_watch_->clear(net::Ready::Readable);
}

void Supervisor::on_signal(uint32_t signo) {
  switch (signo) {
    case SIGTERM:
    case SIGINT:
      shutdown();
      break;
    case SIGHUP:
      reload();
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
    std::cerr << "crossmux proxy: second stop signal, stopping now\n";
    for (auto& w : workers_) w->stop_now();
    return;
  }
  shutting_down_ = true;
  const auto deadline = static_cast<uint64_t>(config_->timeouts.graceful_shutdown.count());
  std::cerr << "crossmux proxy: shutting down, draining connections for up to " << deadline
            << " ms\n";
  for (auto& w : workers_) w->shutdown(deadline);
}

void Supervisor::reload() {
  if (shutting_down_) return;
  if (!options_.load_config) {
    std::cerr << "crossmux proxy: reload refused: no configuration file to read again\n";
    return;
  }
  std::cerr << "crossmux proxy: reloading the configuration\n";
  auto next = options_.load_config();
  if (!next) {
    std::cerr << "crossmux proxy: reload rejected, the running configuration is unchanged\n";
    return;
  }
  if (auto s = Worker::check(*next); !s) {
    print_error("reload rejected: ", s.error());
    return;
  }
  const auto& g = next->global;
  const auto& old = config_->global;
  if (g.workers != old.workers || g.access_log != old.access_log ||
      g.access_log_format != old.access_log_format) {
    std::cerr << "crossmux proxy: global.workers, access_log and access_log_format take effect at "
                 "the next restart\n";
  }
  std::set<std::string> bound;
  for (const auto& l : next->listeners) {
    if (ports_.contains(Worker::listener_key(l))) bound.insert(Worker::listener_key(l));
  }
  auto fresh = bind_listeners(*next, bound);
  if (!fresh) {
    print_error("reload rejected: ", fresh.error());
    return;
  }
  std::map<std::string, uint16_t> ports;
  for (const auto& l : next->listeners) {
    const std::string key = Worker::listener_key(l);
    const auto it = (*fresh)[0].find(key);
    ports[key] = it != (*fresh)[0].end() ? it->second.port() : ports_[key];
    if (it != (*fresh)[0].end()) {
      std::cerr << "crossmux proxy: listener " << l.name << " on " << l.address.host << ":"
                << ports[key] << "\n";
    }
  }
  ports_ = std::move(ports);
  limiter_.set_limits(next->limits.max_connections, next->limits.max_connections_per_ip);
  config_ = next;
  reload_pending_ += workers_.size();
  for (size_t w = 0; w < workers_.size(); ++w) workers_[w]->reload(next, std::move((*fresh)[w]));
}

void Supervisor::reopen_log() {
  std::string why;
  if (log_.reopen(&why)) {
    std::cerr << "crossmux proxy: access log reopened\n";
  } else {
    std::cerr << "crossmux proxy: access log reopen failed, still writing the old file: " << why
              << "\n";
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

void Supervisor::collect_news() {
  for (auto& w : workers_) {
    auto r = w->take_reload_result();
    if (!r) continue;
    if (reload_pending_ > 0) --reload_pending_;
    if (!*r) {
      reload_failed_ = true;
      print_error("worker " + std::to_string(w->index()) + ": reload failed: ", r->error());
    }
    if (reload_pending_ == 0) {
      if (!reload_failed_) std::cerr << "crossmux proxy: configuration reloaded\n";
      reload_failed_ = false;
    }
  }
}

}  // namespace

codecs::Status run_proxy(std::shared_ptr<const config::Config> config, const RunOptions& options) {
  Supervisor s(std::move(config), options);
  return s.run();
}

}  // namespace crossmux::mux::proxy
