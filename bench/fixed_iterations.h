// Fixed iteration counts for instruction counting: with CROSSMUX_BENCH_ITERATIONS=N in the
// environment every benchmark that applies fixed_iterations runs exactly N iterations, so
// bench/codec_icount.sh can difference two callgrind runs into instructions per iteration.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdlib>

namespace crossmux::bench {

// For Benchmark::Apply(): sets the iteration count when the environment asks for one.
inline void fixed_iterations(benchmark::internal::Benchmark* b) {
  const char* n = std::getenv("CROSSMUX_BENCH_ITERATIONS");
  if (n != nullptr && std::atoll(n) > 0) b->Iterations(std::atoll(n));
}

}  // namespace crossmux::bench
