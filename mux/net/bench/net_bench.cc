// Benchmarks for mux/net: timer arm/cancel and expiry against std::multimap timers, run queue.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "mux/net/event_loop.h"
#include "mux/net/timer_wheel.h"

namespace crossmux::mux::net {
namespace {

// Re-arming a timer among `n` armed ones: what every read/write does to a connection's idle timer.
void BM_WheelRearm(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  TimerWheel wheel(0);
  std::vector<std::unique_ptr<Timer>> timers;
  std::mt19937 rng(1);
  for (size_t i = 0; i < n; ++i) {
    timers.push_back(std::make_unique<Timer>(wheel, [] {}));
    timers.back()->arm(rng() % 60000);
  }
  size_t i = 0;
  for (auto _ : state) {
    timers[i]->arm(30000 + (i & 1023));
    i = i + 1 == n ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WheelRearm)->Arg(1000)->Arg(100000);

// Baseline: the ordered-map timer queue (erase + insert by deadline) many event loops use.
void BM_MultimapRearm(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::multimap<uint64_t, size_t> queue;
  std::vector<std::multimap<uint64_t, size_t>::iterator> handles;
  std::mt19937 rng(1);
  for (size_t i = 0; i < n; ++i) handles.push_back(queue.emplace(rng() % 60000, i));
  size_t i = 0;
  for (auto _ : state) {
    queue.erase(handles[i]);
    handles[i] = queue.emplace(30000 + (i & 1023), i);
    i = i + 1 == n ? 0 : i + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MultimapRearm)->Arg(1000)->Arg(100000);

// Arming `n` timers over a minute and advancing the clock a millisecond at a time until all fired.
// Timers live in their connections, so they are created once; each round only arms them.
void BM_WheelExpireAll(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::mt19937 rng(2);
  std::vector<uint64_t> delays(n);
  for (auto& d : delays) d = 1 + rng() % 60000;
  TimerWheel wheel(0);
  size_t fired = 0;
  std::vector<std::unique_ptr<Timer>> timers;
  for (size_t i = 0; i < n; ++i) timers.push_back(std::make_unique<Timer>(wheel, [&] { ++fired; }));
  for (auto _ : state) {
    fired = 0;
    for (size_t i = 0; i < n; ++i) timers[i]->arm(delays[i]);
    for (uint64_t t = wheel.now() + 1; fired < n; ++t) wheel.advance(t);
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_WheelExpireAll)->Arg(10000);

void BM_MultimapExpireAll(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  std::mt19937 rng(2);
  std::vector<uint64_t> delays(n);
  for (auto& d : delays) d = 1 + rng() % 60000;
  for (auto _ : state) {
    std::multimap<uint64_t, size_t> queue;
    size_t fired = 0;
    for (size_t i = 0; i < n; ++i) queue.emplace(delays[i], i);
    for (uint64_t t = 1; !queue.empty(); ++t) {
      while (!queue.empty() && queue.begin()->first <= t) {
        queue.erase(queue.begin());
        ++fired;
      }
    }
    benchmark::DoNotOptimize(fired);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_MultimapExpireAll)->Arg(10000);

class Nop final : public Handler {
 public:
  void on_ready() override { ++runs; }
  uint64_t runs = 0;
};

// schedule() + one loop iteration (epoll_wait with timeout 0 included) for `n` handlers.
void BM_RunQueue(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  auto loop = EventLoop::create().value();
  std::vector<Nop> handlers(n);
  for (auto _ : state) {
    for (auto& h : handlers) loop->schedule(h);
    (void)loop->run_once(0);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_RunQueue)->Arg(1)->Arg(1000);

}  // namespace
}  // namespace crossmux::mux::net

BENCHMARK_MAIN();
