// WorkerThread: one worker's thread and event loop, the configuration generations it serves (the
// current Worker and older ones still finishing their sessions), and the mailbox through which
// the supervisor (proxy_main.cc) reloads, drains or stops it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "codecs/base/result.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/ops/access_log.h"
#include "mux/proxy/ops/metrics_hub.h"
#include "mux/proxy/worker/connection_limiter.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

class WorkerThread {
 public:
  // `log` (may be null) and `limiter` are shared by every worker and outlive this one.
  // `notify` runs on the worker's thread whenever it has news for the supervisor (a reload result,
  // the thread ending); it must be thread-safe (EventLoop::wake of the supervisor's loop).
  // `hub` (may be null) receives this worker's metrics in slot `index`: every generation's,
  // and those of generations that ended, summed. `health` (may be null) says which backends are
  // in rotation (health checks); it outlives the thread.
  WorkerThread(size_t index, AccessLog* log, ConnectionLimiter& limiter, MetricsHub* hub,
               std::function<void()> notify, HealthBoard* health = nullptr);
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // Creates the loop and the first generation on the calling thread (so errors are reported
  // synchronously), then starts the thread. Errors: Worker::start's, kEpoll.
  codecs::Status start(std::shared_ptr<const config::Config> config, ListenerSockets sockets);
  // Ports of the current generation's listeners, in listener order (call before any reload).
  const std::vector<uint16_t>& ports() const { return ports_; }

  // Thread-safe commands, carried out on the worker's loop.
  // Switches new connections to `config`: listeners at an unchanged address keep their socket,
  // new ones take theirs from `fresh` (bound by the supervisor), removed ones close. Sessions
  // already open stay on the generation that accepted them, which ends with its last session.
  void reload(std::shared_ptr<const config::Config> config, ListenerSockets fresh);
  // Graceful shutdown: every generation stops accepting and drains; the loop ends when no session
  // is left or `deadline_ms` passed (open sessions are then closed).
  void shutdown(uint64_t deadline_ms);
  // Ends the loop now (a second SIGTERM).
  void stop_now();
  // Publishes the metrics to the hub now (the admin endpoint, before a scrape).
  void publish_metrics();
  void join();

  // Supervisor side, after `notify`: the outcome of the last reload, once.
  std::optional<codecs::Status> take_reload_result();
  bool finished() const { return finished_.load(std::memory_order_acquire); }
  size_t index() const { return index_; }
  // Totals over every generation this worker ran (valid once finished).
  uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }

 private:
  struct Command {
    enum class Kind : uint8_t { Reload = 0, Shutdown = 1, Publish = 2 } kind;
    std::shared_ptr<const config::Config> config;
    ListenerSockets sockets;
    uint64_t deadline_ms = 0;
  };
  void run();
  // Mailbox, run on the loop after EventLoop::wake.
  void on_mailbox();
  struct MailboxHandler final : net::Handler {
    explicit MailboxHandler(WorkerThread& t) : thread(t) {}
    void on_ready() override { thread.on_mailbox(); }
    WorkerThread& thread;
  };
  void apply_reload(Command& c);
  void begin_shutdown(uint64_t deadline_ms);
  // Ends generations with no session left; true when everything has ended while shutting down.
  bool reap();
  void retire(std::unique_ptr<Worker> w);
  // A generation is about to be destroyed: its counters join ended_metrics_.
  void fold_metrics(Worker& w);
  void publish();

  size_t index_;
  AccessLog* log_;
  ConnectionLimiter& limiter_;
  MetricsHub* hub_;
  HealthBoard* health_;
  std::function<void()> notify_;
  std::unique_ptr<net::EventLoop> loop_;
  MailboxHandler mailbox_handler_{*this};  // after the loop: destroyed (unqueued) first
  std::unique_ptr<AccessLogWriter> writer_;
  std::unique_ptr<Worker> current_;
  std::vector<std::unique_ptr<Worker>> retiring_;  // older generations, still serving sessions
  std::vector<uint16_t> ports_;
  std::optional<Registry> ended_metrics_;  // generations that ended, summed
  std::unique_ptr<net::Timer> publish_timer_;
  bool shutting_down_ = false;
  uint64_t shutdown_at_ms_ = 0;
  std::thread thread_;

  std::mutex mu_;  // guards the mailbox and the reload result (control path only)
  std::vector<Command> mailbox_;
  std::optional<codecs::Status> reload_result_;
  std::atomic<bool> finished_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> requests_{0};
};

}  // namespace crossmux::mux::proxy
