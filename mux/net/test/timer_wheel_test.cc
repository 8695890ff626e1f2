// Timer wheel: firing order across levels, cancel, re-arm, RAII, next_timeout, and a property.
#include "mux/net/timer_wheel.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace crossmux::mux::net {
namespace {

struct Fired {
  int id;
  uint64_t at;
};

TEST(TimerWheel, FiresInExpiryOrderAcrossLevelsAtExactTicks) {
  TimerWheel wheel(1000);
  std::vector<Fired> fired;
  const std::vector<uint64_t> delays = {300000, 1, 4096, 64, 63, 65, 4095, 0, 262144, 1};
  std::vector<std::unique_ptr<Timer>> timers;
  for (size_t i = 0; i < delays.size(); ++i) {
    const int id = static_cast<int>(i);
    timers.push_back(std::make_unique<Timer>(wheel, [&, id] {
      fired.push_back({id, wheel.now()});
    }));
    timers.back()->arm(delays[i]);
  }
  EXPECT_EQ(wheel.armed_count(), delays.size());
  EXPECT_EQ(wheel.advance(1000 + 500000), delays.size());
  ASSERT_EQ(fired.size(), delays.size());
  for (size_t i = 0; i < fired.size(); ++i) {
    EXPECT_EQ(fired[i].at, 1000 + delays[static_cast<size_t>(fired[i].id)])
        << "timer " << fired[i].id;
    if (i > 0) {
      EXPECT_LE(fired[i - 1].at, fired[i].at);
    }
  }
  // Equal expiries fire in arming order.
  auto first = std::find_if(fired.begin(), fired.end(), [](const Fired& f) { return f.id == 1; });
  auto second = std::find_if(fired.begin(), fired.end(), [](const Fired& f) { return f.id == 9; });
  EXPECT_LT(first, second);
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_FALSE(wheel.next_timeout().has_value());
}

TEST(TimerWheel, DoesNotFireEarly) {
  TimerWheel wheel(0);
  int n = 0;
  Timer t(wheel, [&] { ++n; });
  t.arm(100);
  EXPECT_EQ(wheel.advance(99), 0u);
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(t.armed());
  EXPECT_EQ(wheel.next_timeout(), std::optional<uint64_t>(1));
  EXPECT_EQ(wheel.advance(100), 1u);
  EXPECT_EQ(n, 1);
  EXPECT_FALSE(t.armed());
}

TEST(TimerWheel, CancelAndDestructionPreventFiring) {
  TimerWheel wheel(5);
  int fired = 0;
  Timer cancelled(wheel, [&] { ++fired; });
  cancelled.arm(10);
  cancelled.cancel();
  cancelled.cancel();  // idempotent
  {
    Timer dropped(wheel, [&] { ++fired; });
    dropped.arm(10000);
  }
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_EQ(wheel.advance(1000000), 0u);
  EXPECT_EQ(fired, 0);
}

TEST(TimerWheel, RearmMovesTheDeadline) {
  TimerWheel wheel(0);
  uint64_t at = 0;
  Timer t(wheel, [&] { at = wheel.now(); });
  t.arm(5000);
  t.arm(20);
  EXPECT_EQ(wheel.armed_count(), 1u);
  wheel.advance(10);
  t.arm(100);  // from now = 10
  wheel.advance(5000);
  EXPECT_EQ(at, 110u);
}

TEST(TimerWheel, CallbackMayCancelAnotherDueTimerAndRearmItself) {
  TimerWheel wheel(0);
  int second_fired = 0;
  int first_fired = 0;
  auto second = std::make_unique<Timer>(wheel, [&] { ++second_fired; });
  Timer first(wheel, [&] {
    ++first_fired;
    second.reset();  // destroyed while due in the same advance
    if (first_fired < 3) first.arm(10);
  });
  first.arm(10);
  second->arm(10);
  wheel.advance(1000);
  EXPECT_EQ(first_fired, 3);
  EXPECT_EQ(second_fired, 0);
}

TEST(TimerWheel, ZeroDelayArmedInsideCallbackWaitsForNextAdvance) {
  TimerWheel wheel(0);
  int n = 0;
  Timer t(wheel, [&] {
    ++n;
    t.arm(0);
  });
  t.arm(0);
  EXPECT_EQ(wheel.next_timeout(), std::optional<uint64_t>(0));
  EXPECT_EQ(wheel.advance(0), 1u);
  EXPECT_EQ(wheel.advance(0), 1u);
  EXPECT_EQ(n, 2);
  t.cancel();
}

TEST(TimerWheel, ClockGoingBackwardsStandsStill) {
  TimerWheel wheel(1000);
  int n = 0;
  Timer t(wheel, [&] { ++n; });
  t.arm(5);
  wheel.advance(10);
  EXPECT_EQ(wheel.now(), 1000u);
  EXPECT_EQ(n, 0);
  wheel.advance(1005);
  EXPECT_EQ(n, 1);
}

// Any set of delays and any sequence of clock steps: every timer fires exactly once, and its
// callback sees now() equal to its expiry (the wheel steps through deadlines inside advance()).
RC_GTEST_PROP(TimerWheelProperty, FiresEachTimerOnceNeverEarly, ()) {
  const auto start = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 40);
  const auto delays = *rc::gen::container<std::vector<uint64_t>>(
      rc::gen::oneOf(rc::gen::inRange<uint64_t>(0, 70), rc::gen::inRange<uint64_t>(0, 1u << 20)));
  const bool exact = *rc::gen::arbitrary<bool>();
  TimerWheel wheel(start);
  std::vector<int> count(delays.size(), 0);
  std::vector<uint64_t> fired_at(delays.size(), 0);
  std::vector<std::unique_ptr<Timer>> timers;
  for (size_t i = 0; i < delays.size(); ++i) {
    timers.push_back(std::make_unique<Timer>(wheel, [&, i] {
      ++count[i];
      fired_at[i] = wheel.now();
    }));
    timers.back()->arm(delays[i]);
  }
  while (wheel.armed_count() > 0) {
    const auto next = wheel.next_timeout();
    RC_ASSERT(next.has_value());
    const uint64_t step = exact ? *next : *rc::gen::inRange<uint64_t>(0, 5000);
    wheel.advance(wheel.now() + step);
  }
  for (size_t i = 0; i < delays.size(); ++i) {
    RC_ASSERT(count[i] == 1);
    RC_ASSERT(fired_at[i] == start + delays[i]);
  }
}

}  // namespace
}  // namespace crossmux::mux::net
