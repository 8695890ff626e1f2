// The fuzzing loop of `crossmux fuzz`: cases from the corpus and the generators, sent to every
// target, judged by the oracles; findings confirmed, minimised, saved as replayable cases, conform
// cases and scenarios; a progress line; a report at the end.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "fuzz/net/exchange.h"
#include "fuzz/net/net_case.h"
#include "fuzz/net/target.h"
#include "fuzz/net/verdict.h"

namespace crossmux::fuzz::net {

struct EngineOptions {
  Proto proto = Proto::H2;
  std::vector<Target> targets;  // one, or several for differential mode
  std::string exec;             // one target: the command that starts it (restarted on crash)
  ExchangeOptions exchange;
  int probe_timeout_ms = 1000;  // the liveness probe's deadline
  int probe_every = 1;     // the liveness probe after every Nth case (and after suspicious ones)
  double seconds = 60;     // stop after this long (0: no time bound)
  uint64_t max_execs = 0;  // stop after this many cases (0: no bound)
  double rate = 0;         // at most this many cases per second (0: unbounded)
  uint64_t seed = 1;
  std::vector<std::string> corpus_dirs;
  size_t max_seed_files = 400;  // per directory
  // Also seed with the bytes the conform cases send (conform_seeds.h), recorded at the start
  // against an in-process origin, before the time bound starts.
  bool conform_seeds = true;
  std::string out_dir = "crossmux-fuzz";
  std::string origin_record;  // proxies: the record file of the origin behind them
  bool minimize = true;
  size_t minimize_budget = 150;  // candidate runs per finding
  size_t max_findings = 0;       // stop after this many distinct findings (0: no bound)
  Bounds bounds;
  bool progress = true;
  // fuzz/tools/report.py, the renderer shared with scripts/fuzz_overnight.sh (run with python3
  // on the output directory); empty: the data is written and the command to render it printed.
  std::string report_tool;
};

// Fuzzes until a bound is reached (time, count, findings; Ctrl-C also stops it and still writes
// the report). Returns 0 when nothing was found, 1 when something was, 2 when the targets could
// not be fuzzed (not serving at the start, or the target command failed).
int run_fuzz(const EngineOptions& o, std::ostream& out);

// Sends one case to every target and prints what each did and what the oracles say. Returns 1
// when an oracle fires, else 0 (2 on setup errors).
int replay_case(const EngineOptions& o, const NetCase& c, std::ostream& out);

}  // namespace crossmux::fuzz::net
