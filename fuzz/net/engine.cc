// The fuzzing loop: setup, choosing cases, observing every target, judging, corpus feedback,
// the progress line.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <sstream>
#include <thread>

#include "fuzz/net/conform_seeds.h"
#include "fuzz/net/engine_impl.h"
#include "fuzz/net/seeds.h"

namespace crossmux::fuzz::net {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

// The corpus stays bounded: beyond this, a new case replaces a random one (seeds excepted).
constexpr size_t kMaxCorpus = 4096;
// RSS is a baseline once the target warmed up: the largest value over the first cases.
constexpr uint64_t kWarmupCases = 50;

}  // namespace

Engine::Engine(const EngineOptions& o, std::ostream& out)
    : o_(o),
      out_(out),
      targets_(o.targets),
      mut_(o.proto, o.seed, o.targets.empty() ? "" : o.targets[0].authority()),
      bounds_(o.targets.size(), o.bounds) {
  tty_ = isatty(STDERR_FILENO) != 0;
}

Engine::~Engine() = default;

bool Engine::setup(std::string& error, bool load_corpus) {
  if (!o_.exec.empty()) {
    sup_ = std::make_unique<Supervisor>(o_.exec, targets_[0].host, targets_[0].port);
    if (!sup_->start(error)) return false;
    targets_[0].pid = sup_->pid();
  }
  for (size_t i = 0; i < targets_.size(); ++i) {
    auto live = probe_liveness(targets_[i], o_.proto, o_.probe_timeout_ms);
    if (live.state != Liveness::Alive) {
      error = targets_[i].name + " does not answer a normal " +
              std::string(o_.proto == Proto::H2 ? "HTTP/2" : "HTTP/1.1") +
              " request: " + live.detail;
      return false;
    }
    bounds_[i].baseline_status = live.status;
  }
  if (!o_.origin_record.empty()) {
    record_ = std::make_unique<RecordTail>(o_.origin_record);
    record_->mark();
  }
  if (load_corpus) {
    corpus_ = builtin_seeds(o_.proto, targets_[0].authority());
    auto loaded = load_seeds(o_.proto, o_.corpus_dirs, mut_, o_.max_seed_files, seed_notes_);
    corpus_.insert(corpus_.end(), loaded.begin(), loaded.end());
    if (o_.conform_seeds) {
      auto conform = conform_seeds(o_.proto, targets_[0].authority(), seed_notes_);
      corpus_.insert(corpus_.end(), conform.begin(), conform.end());
    }
    seeds_ = corpus_.size();
  }
  return true;
}

double Engine::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

bool Engine::done() const {
  if (g_stop || !stop_reason_.empty()) return true;
  if (o_.seconds > 0 && elapsed() >= o_.seconds) return true;
  if (o_.max_execs > 0 && execs_ >= o_.max_execs) return true;
  return o_.max_findings > 0 && saved_.size() >= o_.max_findings;
}

bool Engine::ensure_up(size_t i) {
  const bool running = !sup_ || i != 0 || sup_->running();
  if (running &&
      probe_liveness(targets_[i], o_.proto, o_.probe_timeout_ms).state == Liveness::Alive) {
    return true;
  }
  if (!sup_ || i != 0) return false;
  std::string error;
  if (!sup_->restart(error)) {
    stop_reason_ = "the target command could not be restarted: " + error;
    return false;
  }
  targets_[0].pid = sup_->pid();
  return true;
}

Observation Engine::observe(size_t i, const NetCase& c, bool probe) {
  Observation ob;
  const Target& t = targets_[i];
  if (t.pid > 0) {
    ob.watched = true;
    ob.before = sample_process(t.pid);
  }
  if (record_) record_->mark();
  ob.x = run_exchange(t, c, o_.exchange, ++serial_);
  exchange_s_ += ob.x.elapsed_ms / 1000;
  deadlines_ += ob.x.timed_out;
  const bool suspicious =
      !ob.x.connected || ob.x.closed || ob.x.timed_out || !ob.x.violations.empty();
  if (probe || suspicious) {
    const auto before = std::chrono::steady_clock::now();
    ob.probed = true;
    ob.live = probe_liveness(t, o_.proto, o_.probe_timeout_ms);
    probe_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
  }
  if (ob.watched) {
    // A server that failed the probe may be on its way out: give it a moment to be gone.
    if (ob.probed && ob.live.state != Liveness::Alive) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ob.after = sample_process(t.pid);
    if (sup_ && i == 0 && !sup_->running()) ob.after.alive = false;
  }
  if (record_) {
    ob.recorded = true;
    ob.forwarded = record_->read_new();
  }
  return ob;
}

std::vector<Observation> Engine::observe_all(const NetCase& c, bool probe) {
  std::vector<Observation> obs;
  for (size_t i = 0; i < targets_.size(); ++i) obs.push_back(observe(i, c, probe));
  return obs;
}

std::vector<Finding> Engine::judge_all(const NetCase& c,
                                       const std::vector<Observation>& obs) const {
  std::vector<Finding> out;
  std::vector<Verdict> verdicts;
  for (size_t i = 0; i < targets_.size(); ++i) {
    auto f = judge(targets_[i], c, obs[i], bounds_[i]);
    out.insert(out.end(), f.begin(), f.end());
    verdicts.push_back(normalise(c, obs[i]));
  }
  if (targets_.size() > 1) {
    Finding d = compare(targets_, verdicts);
    if (!d.rule.empty()) out.push_back(std::move(d));
  }
  return out;
}

void Engine::execute(const CorpusEntry& e) {
  ++execs_;
  const bool probe = o_.probe_every <= 1 || execs_ % static_cast<uint64_t>(o_.probe_every) == 0;
  auto obs = observe_all(e.c, probe);
  for (size_t i = 0; i < targets_.size(); ++i) {
    // Until warmed up, the baseline is the largest RSS seen (pools grow on first use).
    if (obs[i].watched && execs_ <= kWarmupCases) {
      bounds_[i].rss_baseline_kb = std::max(bounds_[i].rss_baseline_kb, obs[i].after.rss_kb);
    }
  }
  std::vector<Finding> findings = judge_all(e.c, obs);
  if (execs_ <= kWarmupCases) {
    std::erase_if(findings, [](const Finding& f) { return f.kind == Kind::Memory; });
  }
  // Behavioural feedback (no coverage from a black box): a case whose answers look new stays.
  std::string fp;
  for (const auto& ob : obs) fp += fingerprint(ob) + "|";
  if (behaviours_.insert(fp).second && execs_ > seeds_) {
    if (corpus_.size() < kMaxCorpus) {
      corpus_.push_back(e);
    } else {
      corpus_[seeds_ + mut_.rng().below(corpus_.size() - seeds_)] = e;
    }
  }
  for (const auto& f : findings) {
    if (done()) break;
    on_finding(f, e.c, obs);
  }
  // A target that crashed or stopped serving is restarted (with --exec) before the next case,
  // whether its finding was new or not; without --exec the run ends.
  for (const auto& f : findings) {
    if (f.kind != Kind::Crash && f.kind != Kind::Liveness) continue;
    const size_t i = target_index(f.target);
    if (!ensure_up(i) && stop_reason_.empty()) {
      stop_reason_ = f.target + " no longer serves (run with --exec COMMAND to have it restarted)";
    }
  }
}

int Engine::loop() {
  start_ = std::chrono::steady_clock::now();
  started_ = std::time(nullptr);
  auto old_int = std::signal(SIGINT, on_signal);
  auto old_term = std::signal(SIGTERM, on_signal);
  g_stop = 0;
  for (const auto& n : seed_notes_) out_ << "seeds: " << n << "\n";
  out_ << "fuzzing " << targets_.size() << " target(s) over " << to_string(o_.proto) << " with "
       << corpus_.size() << " seed case(s); findings go to " << o_.out_dir << "/" << std::endl;
  size_t next_seed = 0;
  while (!done()) {
    if (o_.rate > 0) {
      const double due = static_cast<double>(execs_) / o_.rate;
      const double now = elapsed();
      if (due > now) std::this_thread::sleep_for(std::chrono::duration<double>(due - now));
    }
    CorpusEntry e;
    // Every seed runs once as it is first; then mutants, and one case in five fresh from the
    // generator.
    if (next_seed < seeds_) {
      e = corpus_[next_seed++];
    } else if (corpus_.empty() || mut_.rng().chance(20)) {
      e = mut_.generate();
    } else {
      e = mut_.mutate(corpus_[mut_.rng().below(corpus_.size())], corpus_);
    }
    if (e.c.units.empty()) continue;
    execute(e);
    progress(false);
  }
  progress(true);
  if (g_stop) stop_reason_ = "interrupted";
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  write_reports();
  return saved_.empty() ? 0 : 1;
}

void Engine::progress(bool final) {
  const double now = elapsed();
  if (!final && now - last_progress_ < 1.0) return;
  last_progress_ = now;
  samples_.push_back({now, execs_, corpus_.size(), behaviours_.size(), saved_.size()});
  if (!o_.progress) return;
  // On a terminal one line rewritten in place; in a log one line every 10 s.
  if (!final && !tty_ && samples_.size() % 10 != 0) return;
  std::ostringstream line;
  line << "[" << std::setw(5) << static_cast<long>(now) << "s] " << execs_ << " execs ("
       << std::fixed << std::setprecision(0) << (now > 0 ? static_cast<double>(execs_) / now : 0)
       << "/s) | corpus " << corpus_.size() << " | behaviours " << behaviours_.size()
       << " | findings " << saved_.size();
  if (!kind_counts_.empty()) {
    line << " (";
    bool first = true;
    for (const auto& [k, n] : kind_counts_) {
      line << (first ? "" : ", ") << k << " " << n;
      first = false;
    }
    line << ")";
  }
  std::string text = line.str();
  if (tty_ && !final) {
    std::fprintf(stderr, "\r%-110s", text.c_str());
  } else {
    std::fprintf(stderr, "%s%s\n", tty_ ? "\r" : "", text.c_str());
  }
  std::fflush(stderr);
}

int Engine::replay(const NetCase& c) {
  start_ = std::chrono::steady_clock::now();
  auto obs = observe_all(c, true);
  for (const auto& line : describe(c, obs)) out_ << line << "\n";
  auto findings = judge_all(c, obs);
  for (const auto& f : findings) {
    out_ << "FINDING " << to_string(f.kind) << " " << f.rule << " @ " << f.target << ": "
         << f.summary << "\n";
    for (const auto& d : f.details) out_ << "  " << d << "\n";
  }
  if (findings.empty()) out_ << "no oracle fired\n";
  return findings.empty() ? 0 : 1;
}

int run_fuzz(const EngineOptions& o, std::ostream& out) {
  Engine e(o, out);
  std::string error;
  if (!e.setup(error, true)) {
    out << "crossmux fuzz: " << error << "\n";
    return 2;
  }
  return e.loop();
}

int replay_case(const EngineOptions& o, const NetCase& c, std::ostream& out) {
  Engine e(o, out);
  std::string error;
  if (!e.setup(error, false)) {
    out << "crossmux fuzz: " << error << "\n";
    return 2;
  }
  return e.replay(c);
}

}  // namespace crossmux::fuzz::net
