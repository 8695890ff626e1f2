// Shared benchmark main pieces: the build flags in the run's context, and a summary of ours vs
// reference ratios (fastest repetition of each) printed after the runs.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace crossmux::bench {

// The compiler and optimisation flags the benchmark binary was built with (bench/CMakeLists.txt
// defines CROSSMUX_BENCH_BUILD_FLAGS from the configured build), so every run states them.
inline void add_build_context() {
#ifdef CROSSMUX_BENCH_BUILD_FLAGS
  benchmark::AddCustomContext("build_flags", CROSSMUX_BENCH_BUILD_FLAGS);
#endif
}

// Pairs each benchmark whose name contains `ours` with the one where `theirs` replaces it, and
// prints CPU time per iteration of both and theirs / ours. With --benchmark_repetitions the
// fastest repetition counts: the machine is shared and noise only ever adds time.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter(std::string ours, std::string theirs, std::string theirs_label)
      : ours_(std::move(ours)), theirs_(std::move(theirs)), label_(std::move(theirs_label)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      const double ns = r.GetAdjustedCPUTime();
      const std::string name = r.run_name.str();
      const auto old = best_.find(name);
      if (old == best_.end() || ns < old->second) best_[name] = ns;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void print_summary() const {
    std::printf("\n%-34s %12s %12s %8s\n", "case", "ours ns", (label_ + " ns").c_str(), "speedup");
    for (const auto& [name, ours] : best_) {
      const size_t at = name.find(ours_);
      if (at == std::string::npos) continue;
      std::string other = name;
      other.replace(at, ours_.size(), theirs_);
      const auto theirs = best_.find(other);
      if (theirs == best_.end()) continue;
      std::printf("%-34s %12.0f %12.0f %7.2fx\n", name.c_str(), ours, theirs->second,
                  theirs->second / ours);
    }
  }

 private:
  std::string ours_, theirs_, label_;
  std::map<std::string, double> best_;
};

// A main() body: runs the registered benchmarks with the build flags in the context, then prints
// the ratio summary.
inline int run_with_ratios(int argc, char** argv, const char* ours, const char* theirs,
                           const char* theirs_label) {
  add_build_context();
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter(ours, theirs, theirs_label);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}

}  // namespace crossmux::bench
