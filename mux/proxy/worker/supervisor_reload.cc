// Supervisor: configuration reloads — the same checks as startup, then every worker switches;
// the outcome goes to the log, to the waiting `crossmux proxy --reload` and to systemd.
#include <string>

#include "mux/config/config_parser.h"
#include "mux/proxy/ops/log.h"
#include "mux/proxy/ops/preflight.h"
#include "mux/proxy/ops/reload_reply.h"
#include "mux/proxy/worker/supervisor.h"

namespace crossmux::mux::proxy {

void Supervisor::reload(pid_t waiter) {
  if (shutting_down_) {
    send_reload_outcome(waiter, {false, "the proxy is shutting down\n"});
    return;
  }
  if (reloading_) {
    // Decided one at a time: the file is read again once the reload under way is decided.
    reload_again_ = true;
    if (waiter > 0) next_waiters_.push_back(waiter);
    return;
  }
  if (waiter > 0) reload_waiters_.push_back(waiter);
  start_reload();
}

void Supervisor::start_reload() {
  reloading_ = true;
  reload_problems_.clear();
  notifier_.reloading();
  if (!options_.load_config) {
    finish_reload(false, {"the embedded default has no configuration file to read again"});
    return;
  }
  log_notice("reloading the configuration");
  std::vector<std::string> problems;
  auto next = options_.load_config(problems);
  if (next) {
    PreflightOptions o;
    o.startup = false;
    for (const auto& [key, port] : ports_) o.held.insert(key);
    for (const auto& e : preflight(*next, o)) {
      problems.push_back(config::format_error(next->where.source, e));
    }
  }
  if (!next || !problems.empty()) {
    finish_reload(false, problems);
    return;
  }
  const auto& g = next->global;
  const auto& old = config_->global;
  if (g.workers != old.workers || g.access_log != old.access_log ||
      g.access_log_format != old.access_log_format ||
      g.access_log_fields != old.access_log_fields ||
      (g.admin ? g.admin->to_string() : "") != (old.admin ? old.admin->to_string() : "")) {
    log_warning(
        "global.workers, admin, access_log, access_log_format and access_log_fields take effect "
        "at the next restart");
  }
  std::set<std::string> bound;
  for (const auto& l : next->listeners) {
    if (ports_.contains(Worker::listener_key(l))) bound.insert(Worker::listener_key(l));
  }
  auto fresh = bind_listeners(*next, bound, problems);
  if (!fresh) {
    finish_reload(false, problems);
    return;
  }
  std::map<std::string, uint16_t> ports;
  for (const auto& l : next->listeners) {
    const std::string key = Worker::listener_key(l);
    const auto it = (*fresh)[0].find(key);
    ports[key] = it != (*fresh)[0].end() ? it->second.port() : ports_[key];
    if (it != (*fresh)[0].end()) {
      log_info("listener " + l.name + " on " +
               config::Address{l.address.host, ports[key]}.to_string());
    }
  }
  ports_ = std::move(ports);
  limiter_.set_limits(next->limits.max_connections, next->limits.max_connections_per_ip);
  config_ = next;
  checker_ = std::make_unique<HealthChecker>(*loop_, next, board_);
  if (checker_->probes() > 0) {
    log_info("health checks on " + std::to_string(checker_->probes()) + " backend(s)");
  }
  reload_pending_ = workers_.size();
  for (size_t w = 0; w < workers_.size(); ++w) workers_[w]->reload(next, std::move((*fresh)[w]));
}

void Supervisor::collect_news() {
  for (auto& w : workers_) {
    auto r = w->take_reload_result();
    if (!r) continue;
    if (reload_pending_ > 0) --reload_pending_;
    if (!*r) {
      reload_problems_.push_back("worker " + std::to_string(w->index()) + ": " +
                                 codecs::describe(r->error()));
    }
    if (reload_pending_ == 0 && reloading_) {
      if (!reload_problems_.empty()) {
        reload_problems_.push_back(
            "the workers above keep serving the previous configuration; the others switched");
      }
      finish_reload(reload_problems_.empty(), reload_problems_, true);
    }
  }
}

void Supervisor::finish_reload(bool accepted, const std::vector<std::string>& messages,
                               bool workers_switched) {
  std::string text;
  for (const auto& m : messages) {
    log_error(m);
    text += m + "\n";
  }
  ++(accepted ? facts_.reloads_accepted : facts_.reloads_rejected);
  if (accepted) {
    log_notice("configuration reloaded");
  } else if (workers_switched) {
    log_error("reload failed on some workers");
  } else {
    log_error("reload rejected, the running configuration is unchanged");
  }
  for (pid_t waiter : reload_waiters_) send_reload_outcome(waiter, {accepted, text});
  reload_waiters_.clear();
  notifier_.ready(accepted ? "serving; configuration reloaded"
                           : "serving; last reload rejected (see the log)");
  reloading_ = false;
  if (reload_again_) {
    reload_again_ = false;
    reload_waiters_ = std::move(next_waiters_);
    next_waiters_.clear();
    start_reload();
  }
}

}  // namespace crossmux::mux::proxy
