// EventLoop: run queue without epoll events, fairness, removal during dispatch, edge discipline,
// timers in the loop, cross-thread stop and wake-up.
#include "mux/net/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <thread>

#include "mux/net/net_errors.h"
#include "mux/net/socket.h"

namespace crossmux::mux::net {
namespace {

std::unique_ptr<EventLoop> make_loop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.has_value());
  return std::move(loop).value();
}

class Counter final : public Handler {
 public:
  explicit Counter(std::function<void()> body = {}) : body_(std::move(body)) {}
  void on_ready() override {
    ++runs;
    if (body_) body_();
  }
  int runs = 0;

 private:
  std::function<void()> body_;
};

TEST(EventLoop, ScheduledHandlerRunsWithoutAnyEpollEvent) {
  auto loop = make_loop();
  Counter c;
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(c.runs, 0);
  loop->schedule(c);
  loop->schedule(c);  // idempotent while queued
  EXPECT_TRUE(c.scheduled());
  // A long max wait: a non-empty run queue must make epoll_wait return at once.
  ASSERT_TRUE(loop->run_once(60000));
  EXPECT_EQ(c.runs, 1);
  EXPECT_FALSE(c.scheduled());
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(c.runs, 1);
}

TEST(EventLoop, HandOffToAnotherHandlerRunsInTheSameTurn) {
  auto loop = make_loop();
  Counter writer;
  Counter reader([&] { loop->schedule(writer); });  // a client leg waking its backend leg
  loop->schedule(reader);
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(reader.runs, 1);
  EXPECT_EQ(writer.runs, 1);  // no second poll (system call) in between
  EXPECT_EQ(loop->iterations(), 1u);
}

TEST(EventLoop, HandlerReschedulingItselfRunsAtMostRunPhasesTimesPerTurn) {
  auto loop = make_loop();
  Counter* self = nullptr;
  Counter busy([&] { loop->schedule(*self); });
  self = &busy;
  Counter other;
  loop->schedule(busy);
  loop->schedule(other);
  ASSERT_TRUE(loop->run_once(0));  // returns: the busy handler does not keep the turn
  EXPECT_EQ(busy.runs, EventLoop::kRunPhases);
  EXPECT_EQ(other.runs, 1);
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(busy.runs, 2 * EventLoop::kRunPhases);
  EXPECT_EQ(other.runs, 1);
}

// The poller is not starved either: a handler that always has more work still lets an fd's edge
// reach its own handler in the next turn.
TEST(EventLoop, BusyHandlerDoesNotStarveThePoller) {
  auto loop = make_loop();
  Counter* self = nullptr;
  Counter busy([&] { loop->schedule(*self); });
  self = &busy;
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Fd a(sv[0]);
  Fd b(sv[1]);
  Counter reader;
  auto watch = IoWatch::create(*loop, a.get(), reader).value();
  ASSERT_TRUE(loop->run_once(50));  // the initial writable edge
  EXPECT_EQ(reader.runs, 1);
  loop->schedule(busy);
  ASSERT_TRUE(loop->run_once(0));
  ASSERT_EQ(::send(b.get(), "x", 1, MSG_NOSIGNAL), 1);
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(reader.runs, 2);
  EXPECT_TRUE(watch->readable());
  EXPECT_TRUE(busy.scheduled());
}

TEST(EventLoop, DestroyedOrRetiredHandlersDoNotRun) {
  auto loop = make_loop();
  auto victim = std::make_unique<Counter>();
  auto retired = std::make_unique<Counter>();
  Counter* retired_raw = retired.get();
  Counter killer([&] {
    victim.reset();  // queued behind us: unlinked by its destructor
    loop->retire(std::move(retired));
  });
  loop->schedule(killer);
  loop->schedule(*victim);
  loop->schedule(*retired_raw);
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(killer.runs, 1);
  EXPECT_EQ(victim, nullptr);
  EXPECT_FALSE(loop->has_queued());
}

TEST(EventLoop, HandlerMayRetireItself) {
  auto loop = make_loop();
  int runs = 0;
  std::unique_ptr<Handler> owned;
  owned = std::make_unique<Counter>([&] {
    ++runs;
    loop->retire(std::move(owned));
  });
  loop->schedule(*owned);
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(owned, nullptr);
}

// Sozu #1227 (C1): the writable edge was consumed long ago; data produced internally later must
// still go out. The readiness bit stays set until a write returns WouldBlock, and schedule() is
// the only wake-up needed.
class Writer final : public Handler {
 public:
  Writer(EventLoop& loop, int fd) : fd_(fd) { watch_ = IoWatch::create(loop, fd, *this).value(); }
  void on_ready() override {
    ++runs;
    if (pending_.empty() || !watch_->writable()) return;
    const ssize_t n = ::send(fd_, pending_.data(), pending_.size(), MSG_NOSIGNAL);
    if (n > 0) pending_.erase(0, static_cast<size_t>(n));
  }
  std::string pending_;
  int runs = 0;
  std::unique_ptr<IoWatch> watch_;

 private:
  int fd_;
};

TEST(EventLoop, InternallyProducedOutputNeedsNoEpollEdge) {
  auto loop = make_loop();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Fd a(sv[0]);
  Fd b(sv[1]);
  Writer w(*loop, a.get());
  ASSERT_TRUE(loop->run_once(50));  // consumes the initial EPOLLOUT edge
  EXPECT_EQ(w.runs, 1);
  EXPECT_TRUE(w.watch_->writable());
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(w.runs, 1);  // no new edge, nothing runs
  w.pending_ = "produced later";
  loop->schedule(w);
  ASSERT_TRUE(loop->run_once(0));
  char buf[64] = {};
  ASSERT_EQ(::recv(b.get(), buf, sizeof buf, 0), 14);
  EXPECT_EQ(std::string(buf), "produced later");
}

TEST(EventLoop, ReadinessBitClearedByWouldBlockOrShortRead) {
  auto loop = make_loop();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Fd a(sv[0]);
  Fd b(sv[1]);
  TcpStream s(std::move(a));  // read() semantics over any stream socket
  Counter c;
  auto watch = IoWatch::create(*loop, s.fd(), c).value();
  ASSERT_EQ(::send(b.get(), "0123456789", 10, 0), 10);
  ASSERT_TRUE(loop->run_once(50));
  EXPECT_TRUE(watch->readable());
  uint8_t buf[8];
  IoResult r = s.read(buf);
  watch->note(r);
  EXPECT_EQ(r.bytes, 8u);
  EXPECT_FALSE(r.exhausted);
  EXPECT_TRUE(watch->readable());  // a full read keeps the bit: more may wait
  r = s.read(buf);
  watch->note(r);
  EXPECT_EQ(r.bytes, 2u);
  EXPECT_TRUE(r.exhausted);
  EXPECT_FALSE(watch->readable());  // a short read emptied the socket: no EAGAIN call needed
  // The next edge sets it again; WouldBlock clears it too.
  ASSERT_EQ(::send(b.get(), "x", 1, 0), 1);
  ASSERT_TRUE(loop->run_once(50));
  EXPECT_TRUE(watch->readable());
  uint8_t one[1];
  r = s.read(one);
  watch->note(r);
  EXPECT_EQ(r.bytes, 1u);
  EXPECT_TRUE(watch->readable());
  r = s.read(buf);
  watch->note(r);
  EXPECT_TRUE(r.would_block());
  EXPECT_EQ(r.blocked_on, Direction::Read);
  EXPECT_FALSE(watch->readable());
  // Bytes and the FIN in one edge: the short read must not clear the bit, or the close would
  // never be seen.
  ASSERT_EQ(::send(b.get(), "yz", 2, 0), 2);
  ::close(b.release());
  ASSERT_TRUE(loop->run_once(50));
  EXPECT_TRUE(watch->readable());
  EXPECT_TRUE(watch->hangup());
  r = s.read(buf);
  watch->note(r);
  EXPECT_EQ(r.bytes, 2u);
  EXPECT_TRUE(watch->readable());
  EXPECT_EQ(s.read(buf).status, IoStatus::Closed);
}

TEST(EventLoop, WatchRegistrationFailureIsAValue) {
  auto loop = make_loop();
  Counter c;
  auto bad = IoWatch::create(*loop, -1, c);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().detail, errors::kEpoll);
  EXPECT_EQ(bad.error().code, static_cast<uint32_t>(EBADF));
  EXPECT_EQ(loop->watches(), 0u);
}

TEST(EventLoop, TimersFireFromTheLoopAndCancelledOnesDoNot) {
  auto loop = make_loop();
  std::vector<int> order;
  Timer late(loop->timers(), [&] {
    order.push_back(2);
    loop->stop();
  });
  Timer early(loop->timers(), [&] { order.push_back(1); });
  Timer cancelled(loop->timers(), [&] { order.push_back(3); });
  late.arm(3);
  early.arm(1);
  cancelled.arm(2);
  cancelled.cancel();
  ASSERT_TRUE(loop->run());
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, StopFromAnotherThreadInterruptsAnIdleWait) {
  auto loop = make_loop();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    loop->stop();
  });
  ASSERT_TRUE(loop->run());  // no timers, no fds: only the eventfd can end this wait
  t.join();
  EXPECT_FALSE(loop->stopping());
}

TEST(EventLoop, WakeSchedulesTheWakeHandler) {
  auto loop = make_loop();
  Counter on_wake([&] { loop->stop(); });
  loop->set_wake_handler(&on_wake);
  std::thread t([&] { loop->wake(); });
  ASSERT_TRUE(loop->run());
  t.join();
  EXPECT_EQ(on_wake.runs, 1);
}

TEST(EventLoop, ClockIsCachedPerIteration) {
  auto loop = make_loop();
  const auto before = loop->now();
  EXPECT_EQ(loop->now(), before);
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(loop->now(), before);
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_GT(loop->now(), before);
  EXPECT_GE(loop->now_ms(), 2u);
}

}  // namespace
}  // namespace crossmux::mux::net
