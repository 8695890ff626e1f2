// WorkerThread: the loop of one worker thread, configuration generations, reload and drain.
#include "mux/proxy/worker/worker_thread.h"

#include <set>

#include "mux/proxy/ops/log.h"
#include "mux/proxy/worker/proxy_main.h"

namespace crossmux::mux::proxy {

WorkerThread::WorkerThread(size_t index, AccessLog* log, ConnectionLimiter& limiter,
                           MetricsHub* hub, std::function<void()> notify, HealthBoard* health)
    : index_(index),
      log_(log),
      limiter_(limiter),
      hub_(hub),
      health_(health),
      notify_(std::move(notify)) {}

WorkerThread::~WorkerThread() {
  if (thread_.joinable()) {
    stop_now();
    thread_.join();
  }
  // A worker that never started its thread: its generations go on this thread.
  current_.reset();
  retiring_.clear();
  if (loop_) loop_->set_wake_handler(nullptr);
}

codecs::Status WorkerThread::start(std::shared_ptr<const config::Config> config,
                                   ListenerSockets sockets) {
  auto loop = net::EventLoop::create();
  if (!loop) return codecs::unexpected(loop.error());
  loop_ = std::move(*loop);
  writer_ = std::make_unique<AccessLogWriter>(log_);
  auto worker =
      std::make_unique<Worker>(*loop_, std::move(config), writer_.get(), limiter_, health_);
  if (auto s = worker->start(std::move(sockets)); !s) return s;
  for (size_t i = 0; i < worker->config().listeners.size(); ++i) ports_.push_back(worker->port(i));
  current_ = std::move(worker);
  loop_->set_wake_handler(&mailbox_handler_);
  if (hub_) {
    publish_timer_ = std::make_unique<net::Timer>(loop_->timers(), [this] {
      publish();
      publish_timer_->arm(kMetricsPublishMs);
    });
    publish();
    publish_timer_->arm(kMetricsPublishMs);
  }
  thread_ = std::thread([this] { run(); });
  return codecs::ok();
}

void WorkerThread::run() {
  for (;;) {
    // A bounded wait: the shutdown deadline and reaping are checked at least every 100 ms.
    auto status = loop_->run_once(100);
    // One flush of the access log per iteration keeps lines batched without delaying them.
    writer_->flush();
    if (!status) {
      log_error("worker " + std::to_string(index_) + ": " + codecs::describe(status.error()));
      break;
    }
    if (loop_->stopping() || reap()) break;
    if (shutting_down_ && loop_->now_ms() >= shutdown_at_ms_) {
      size_t open = 0;
      for (const auto& w : retiring_) open += w->sessions();
      if (current_) open += current_->sessions();
      log_warning("worker " + std::to_string(index_) + ": shutdown deadline, closing " +
                  std::to_string(open) + " connection(s)");
      break;
    }
  }
  // Sessions still open (deadline, stop_now) close here, on their own thread.
  if (current_) retire(std::move(current_));
  while (!retiring_.empty()) {
    fold_metrics(*retiring_.back());
    retiring_.pop_back();
  }
  publish();  // the totals stay on the admin endpoint while the other workers finish
  publish_timer_.reset();
  writer_->flush();
  finished_.store(true, std::memory_order_release);
  notify_();
}

void WorkerThread::retire(std::unique_ptr<Worker> w) {
  retiring_.push_back(std::move(w));
}

bool WorkerThread::reap() {
  for (auto it = retiring_.begin(); it != retiring_.end();) {
    if ((*it)->sessions() == 0) {
      fold_metrics(**it);
      it = retiring_.erase(it);
    } else {
      ++it;
    }
  }
  if (!shutting_down_) return false;
  return retiring_.empty() && (!current_ || current_->sessions() == 0);
}

void WorkerThread::reload(std::shared_ptr<const config::Config> config, ListenerSockets fresh) {
  {
    std::lock_guard lock(mu_);
    mailbox_.push_back(Command{Command::Kind::Reload, std::move(config), std::move(fresh), 0});
  }
  loop_->wake();
}

void WorkerThread::shutdown(uint64_t deadline_ms) {
  {
    std::lock_guard lock(mu_);
    mailbox_.push_back(Command{Command::Kind::Shutdown, nullptr, {}, deadline_ms});
  }
  loop_->wake();
}

void WorkerThread::publish_metrics() {
  {
    std::lock_guard lock(mu_);
    mailbox_.push_back(Command{Command::Kind::Publish, nullptr, {}, 0});
  }
  loop_->wake();
}

void WorkerThread::fold_metrics(Worker& w) {
  accepted_ += w.accepted();
  requests_ += w.requests();
  if (!hub_) return;
  const Registry& r = w.metrics_snapshot(/*ended=*/true);
  if (ended_metrics_) {
    ended_metrics_->merge_from(r);
  } else {
    ended_metrics_.emplace(r);
  }
}

void WorkerThread::publish() {
  if (!hub_) return;
  // Every generation builds the same families in the same order (ProxyMetrics), so series add
  // up by their labels even when a reload changed the clusters.
  std::optional<Registry> sum = ended_metrics_;
  auto add = [&sum](const Registry& r) {
    if (sum) {
      sum->merge_from(r);
    } else {
      sum.emplace(r);
    }
  };
  if (current_) add(current_->metrics_snapshot());
  for (auto& w : retiring_) add(w->metrics_snapshot());
  if (sum) hub_->publish(index_, *sum);
}

void WorkerThread::stop_now() {
  if (loop_) loop_->stop();
}

void WorkerThread::join() {
  if (thread_.joinable()) thread_.join();
}

std::optional<codecs::Status> WorkerThread::take_reload_result() {
  std::lock_guard lock(mu_);
  auto r = std::move(reload_result_);
  reload_result_.reset();
  return r;
}

void WorkerThread::on_mailbox() {
  std::vector<Command> commands;
  {
    std::lock_guard lock(mu_);
    commands.swap(mailbox_);
  }
  for (auto& c : commands) {
    switch (c.kind) {
      case Command::Kind::Reload:
        apply_reload(c);
        publish();
        break;
      case Command::Kind::Shutdown:
        begin_shutdown(c.deadline_ms);
        break;
      case Command::Kind::Publish:
        publish();
        break;
    }
  }
}

void WorkerThread::apply_reload(Command& c) {
  codecs::Status result = codecs::ok();
  if (shutting_down_ || !current_) {
    result = codecs::unexpected(codecs::Error::none("proxy: shutting down"));
  } else {
    auto next = std::make_unique<Worker>(*loop_, c.config, writer_.get(), limiter_, health_);
    // Name resolution and TLS contexts first: a failure there leaves the old generation as it is.
    result = next->prepare();
    if (result) {
      std::set<std::string> keep;
      for (const auto& l : c.config->listeners) keep.insert(Worker::listener_key(l));
      ListenerSockets sockets = current_->release_listeners(keep);
      sockets.merge(c.sockets);
      result = next->listen(sockets);
      if (result) {
        retire(std::move(current_));
        current_ = std::move(next);
      } else {
        // Give every socket back to the old generation, which listens again as before.
        ListenerSockets back = next->release_listeners(keep);
        back.merge(sockets);
        next.reset();
        if (auto s = current_->listen(back); !s) {
          log_error("worker " + std::to_string(index_) +
                    ": listeners lost after a failed reload: " + codecs::describe(s.error()));
        }
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    reload_result_ = std::move(result);
  }
  notify_();
}

void WorkerThread::begin_shutdown(uint64_t deadline_ms) {
  if (shutting_down_) return;
  shutting_down_ = true;
  shutdown_at_ms_ = loop_->now_ms() + deadline_ms;
  if (current_) current_->drain();
  for (auto& w : retiring_) w->drain();
}

}  // namespace crossmux::mux::proxy
