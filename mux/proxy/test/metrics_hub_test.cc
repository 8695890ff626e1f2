// MetricsHub: per-worker snapshots, merging, replacement, and use from several threads at once.
#include "mux/proxy/ops/metrics_hub.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace crossmux::mux::proxy {
namespace {

// The families every worker builds, in the same order.
struct WorkerMetrics {
  Registry r;
  Family& requests = r.counter("req_total", "Requests.", {"class"});
  Family& open = r.gauge("open", "Open connections.");
  Family& latency = r.histogram("lat_seconds", "Latency.", {}, {0.1, 1});
};

TEST(MetricsHub, MergesTheLatestSnapshotOfEachWorker) {
  MetricsHub hub(3);
  EXPECT_FALSE(hub.merged().has_value());
  EXPECT_EQ(hub.render(), "");
  WorkerMetrics a, b;
  a.requests.add({"2xx"}, 5);
  a.open.set({}, 2);
  a.latency.observe({}, 0.05);
  b.requests.add({"2xx"}, 7);
  b.requests.add({"4xx"}, 2);
  b.open.set({}, 3);
  b.latency.observe({}, 0.5);
  hub.publish(0, a.r);
  hub.publish(2, b.r);  // worker 1 never published: it simply adds nothing
  auto m = hub.merged();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->find("req_total")->value({"2xx"}), 12);
  EXPECT_EQ(m->find("req_total")->value({"4xx"}), 2);
  EXPECT_EQ(m->find("open")->value({}), 5);
  EXPECT_EQ(m->find("lat_seconds")->count({}), 2u);
  const std::string text = hub.render();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("req_total{class=\"2xx\"} 12\n"), std::string::npos) << text;

  // A new snapshot replaces the worker's previous one (totals are not added twice), and later
  // changes to a worker's registry are invisible until it publishes again.
  a.requests.add({"2xx"}, 1);
  EXPECT_EQ(hub.merged()->find("req_total")->value({"2xx"}), 12);
  hub.publish(0, a.r);
  EXPECT_EQ(hub.merged()->find("req_total")->value({"2xx"}), 13);
  EXPECT_EQ(hub.publications(0), 2u);
  EXPECT_EQ(hub.publications(1), 0u);
}

TEST(MetricsHub, HandlesUpdateTheirSeriesAndCopiesAreIndependent) {
  WorkerMetrics w;
  Family::Handle h = w.requests.handle({"5xx"});
  Family::Handle lat = w.latency.handle({});
  EXPECT_EQ(w.requests.value({"5xx"}), 0);  // created at zero
  h.add();
  h.add(2);
  lat.observe(0.05);
  lat.observe(2);
  Registry copy(w.r);
  h.add();
  EXPECT_EQ(w.requests.value({"5xx"}), 4);
  EXPECT_EQ(copy.find("req_total")->value({"5xx"}), 3);
  EXPECT_EQ(copy.find("lat_seconds")->count({}), 2u);
  EXPECT_EQ(copy.render().find("lat_seconds_bucket{le=\"1\"} 1\n") != std::string::npos, true);
}

TEST(MetricsHub, WorkersPublishWhileTheAdminRenders) {
  constexpr int kWorkers = 4, kRounds = 300;
  MetricsHub hub(kWorkers);
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWorkers; ++i) {
    threads.emplace_back([&hub, i] {
      WorkerMetrics w;
      Family::Handle h = w.requests.handle({"2xx"});
      for (int round = 0; round < kRounds; ++round) {
        h.add();
        hub.publish(static_cast<size_t>(i), w.r);
      }
    });
  }
  std::thread admin([&] {
    double last = 0;
    while (!done.load()) {
      auto m = hub.merged();
      if (!m) continue;
      // Snapshots only move forward: the merged total never goes back.
      const double v = m->find("req_total")->value({"2xx"});
      EXPECT_GE(v, last);
      last = v;
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  admin.join();
  EXPECT_EQ(hub.merged()->find("req_total")->value({"2xx"}), kWorkers * kRounds);
}

}  // namespace
}  // namespace crossmux::mux::proxy
