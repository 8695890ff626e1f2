// LoadBalancer: weighted round robin spread, least connections, retry exclusion, down marking.
#include "mux/proxy/pool/load_balancer.h"

#include <gtest/gtest.h>

#include <map>

namespace crossmux::mux::proxy {
namespace {

config::Cluster cluster(config::LoadBalancing lb, std::vector<uint32_t> weights) {
  config::Cluster c;
  c.load_balancing = lb;
  for (size_t i = 0; i < weights.size(); ++i) {
    c.backends.push_back({{"127.0.0.1", static_cast<uint16_t>(9000 + i)}, weights[i]});
  }
  return c;
}

TEST(LoadBalancer, SmoothWeightedRoundRobin) {
  auto c = cluster(config::LoadBalancing::RoundRobin, {5, 1, 1});
  LoadBalancer lb(c);
  std::string seq;
  for (int i = 0; i < 7; ++i) seq += static_cast<char>('a' + *lb.pick());
  // nginx's smooth WRR interleaves instead of sending five in a row to the heavy backend.
  EXPECT_EQ(seq, "aabacaa");  // the sequence nginx documents for weights 5,1,1
}

TEST(LoadBalancer, RoundRobinEqualWeightsCycles) {
  auto c = cluster(config::LoadBalancing::RoundRobin, {1, 1, 1});
  LoadBalancer lb(c);
  std::map<size_t, int> hits;
  for (int i = 0; i < 300; ++i) ++hits[*lb.pick()];
  EXPECT_EQ(hits[0], 100);
  EXPECT_EQ(hits[1], 100);
  EXPECT_EQ(hits[2], 100);
}

TEST(LoadBalancer, LeastConnectionsPrefersIdleBackends) {
  auto c = cluster(config::LoadBalancing::LeastConnections, {1, 1, 2});
  LoadBalancer lb(c);
  lb.on_open(0);
  lb.on_open(1);
  lb.on_open(2);
  EXPECT_EQ(*lb.pick(), 2u) << "1 active at weight 2 beats 1 active at weight 1";
  lb.on_open(2);
  lb.on_open(2);
  EXPECT_EQ(*lb.pick(), 0u);
  lb.on_close(2);
  lb.on_close(2);
  lb.on_close(2);
  EXPECT_EQ(lb.active(2), 0u);
  EXPECT_EQ(*lb.pick(), 2u);
}

TEST(LoadBalancer, RetriesExcludeTriedAndSkipDown) {
  auto c = cluster(config::LoadBalancing::RoundRobin, {1, 1, 1});
  LoadBalancer lb(c);
  lb.mark_down(1);
  BackendSet tried;
  size_t last = 0;
  for (int i = 0; i < 3; ++i) {
    auto b = lb.pick(tried);
    ASSERT_TRUE(b);
    tried.insert(*b);
    last = *b;
  }
  EXPECT_EQ(last, 1u) << "a down backend is tried only after every up one";
  EXPECT_EQ(tried.size(), 3u);
  EXPECT_FALSE(lb.pick(tried)) << "every backend tried";
  lb.mark_up(1);
  EXPECT_FALSE(lb.down(1));
}

// Indexes past the 64 kept inline count the same, and a cluster of 100 is tried through once.
TEST(LoadBalancer, TriedSetsHoldEveryIndexOfLargeClusters) {
  BackendSet set;
  for (size_t i : {3, 70, 70, 130}) set.insert(i);
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.contains(70) && set.contains(130) && set.contains(3));
  EXPECT_FALSE(set.contains(6) || set.contains(71) || set.contains(64) || set.contains(1000));
  set.clear();
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.contains(70));

  LoadBalancer lb(cluster(config::LoadBalancing::RoundRobin, std::vector<uint32_t>(100, 1)));
  BackendSet tried;
  for (int i = 0; i < 100; ++i) {
    auto b = lb.pick(tried);
    ASSERT_TRUE(b);
    ASSERT_FALSE(tried.contains(*b)) << "backend " << *b << " picked twice";
    tried.insert(*b);
  }
  EXPECT_FALSE(lb.pick(tried)) << "every backend tried";
}

// A backend an active health check took out of rotation is never picked, unlike one merely
// marked down after a connect failure (tried again when nothing else is left).
TEST(LoadBalancer, OutOfRotationIsNeverPicked) {
  for (auto policy : {config::LoadBalancing::RoundRobin, config::LoadBalancing::LeastConnections}) {
    auto c = cluster(policy, {1, 1, 1});
    LoadBalancer lb(c);
    std::atomic<bool> up0{true}, up1{false};
    lb.watch_health(0, &up0);
    lb.watch_health(1, &up1);
    for (int i = 0; i < 12; ++i) EXPECT_NE(*lb.pick(), 1u);
    up0 = false;
    lb.mark_down(2);  // passive: still tried when it is the only one left
    for (int i = 0; i < 4; ++i) EXPECT_EQ(*lb.pick(), 2u);
    BackendSet tried_2;
    tried_2.insert(2);
    EXPECT_FALSE(lb.pick(tried_2));  // every backend in rotation was tried
    up1 = true;                      // back in rotation
    EXPECT_EQ(*lb.pick(tried_2), 1u);
  }
}

}  // namespace
}  // namespace crossmux::mux::proxy
