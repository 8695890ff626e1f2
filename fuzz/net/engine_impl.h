// The Engine behind run_fuzz() and replay_case(), shared by engine.cc (the loop, observing and
// judging) and engine_findings.cc (confirming, minimising, saving and reporting findings).
#pragma once

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "fuzz/net/engine.h"
#include "fuzz/net/mutator.h"
#include "fuzz/net/origin_record.h"

namespace crossmux::fuzz::net {

// One distinct finding, as saved.
struct Saved {
  std::string id;
  Finding f;
  NetCase minimal;
  size_t original_units = 0;
  double seconds = 0;  // time to find, from the start of the run
  uint64_t exec = 0;   // the case number that found it
  size_t hits = 1;     // how many cases hit it
  bool confirmed = false;
  bool rerun = false;  // run again to confirm (not for memory growth, nor a crash without --exec)
  size_t tries = 0;    // minimisation runs
  std::vector<std::string> what;  // what every target did with the minimal case
};

// A point of the progress curve (one per second).
struct Sample {
  double seconds;
  uint64_t execs;
  size_t corpus;
  size_t behaviours;
  size_t findings;
};

class Engine {
 public:
  Engine(const EngineOptions& o, std::ostream& out);
  ~Engine();
  // Starts the target command, checks every target serves, loads the corpus. False with a
  // reason in `error`.
  bool setup(std::string& error, bool load_corpus);
  int loop();
  int replay(const NetCase& c);

  // engine.cc
  Observation observe(size_t i, const NetCase& c, bool probe);
  std::vector<Observation> observe_all(const NetCase& c, bool probe);
  std::vector<Finding> judge_all(const NetCase& c, const std::vector<Observation>& obs) const;
  void execute(const CorpusEntry& e);
  bool ensure_up(size_t i);
  double elapsed() const;
  bool done() const;
  void progress(bool final);

  // engine_findings.cc
  void on_finding(const Finding& f, const NetCase& c, const std::vector<Observation>& obs);
  bool reproduces(const Finding& f, const NetCase& c);
  void save(Saved& s, const std::vector<Observation>& obs);

  // report.cc
  void write_reports();
  void render(const std::filesystem::path& dir);
  std::vector<std::string> describe(const NetCase& c, const std::vector<Observation>& obs) const;
  size_t target_index(const std::string& name) const;

  const EngineOptions& o_;
  std::ostream& out_;
  std::vector<Target> targets_;
  std::unique_ptr<Supervisor> sup_;
  std::unique_ptr<RecordTail> record_;
  Mutator mut_;
  std::vector<CorpusEntry> corpus_;
  std::vector<std::string> seed_notes_;
  size_t seeds_ = 0;
  std::set<std::string> behaviours_;
  std::vector<Bounds> bounds_;  // per target
  std::map<std::string, Saved> saved_;
  std::vector<std::string> order_;  // keys of saved_, in the order found
  std::map<std::string, uint64_t> kind_counts_;
  std::vector<Sample> samples_;
  uint64_t execs_ = 0, serial_ = 0, reruns_ = 0;
  // Where the time goes: exchanges, liveness probes, confirming and minimising findings.
  double exchange_s_ = 0, probe_s_ = 0, findings_s_ = 0;
  uint64_t deadlines_ = 0;  // exchanges that ran into the deadline
  std::chrono::steady_clock::time_point start_;
  std::time_t started_ = 0;
  double last_progress_ = -1;
  std::string stop_reason_;
  bool tty_ = false;
};

}  // namespace crossmux::fuzz::net
