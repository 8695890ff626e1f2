// Hierarchical timer wheel with millisecond ticks: O(1) arm and cancel, timers as RAII handles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

namespace crossmux::mux::net {

class TimerWheel;

namespace detail {
// Node of an intrusive circular doubly-linked list; a lone node points at itself.
struct TimerLink {
  TimerLink* prev = this;
  TimerLink* next = this;
  bool linked() const { return next != this; }
  void unlink() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
  // Moves every node of `from` (a sentinel) to the end of this list in O(1).
  void splice_back(TimerLink& from) {
    if (!from.linked()) return;
    TimerLink* first = from.next;
    TimerLink* last = from.prev;
    first->prev = prev;
    prev->next = first;
    last->next = this;
    prev = last;
    from.prev = from.next = &from;
  }
  void push_back(TimerLink& n) {
    n.prev = prev;
    n.next = this;
    prev->next = &n;
    prev = &n;
  }
};
}  // namespace detail

// A timer owned by whoever needs it (a connection, a stream). It fires at most once per arm();
// destroying it cancels it. Not copyable or movable (the wheel links it intrusively).
class Timer : private detail::TimerLink {
 public:
  // `on_fire` runs on the wheel's thread from TimerWheel::advance(); it may arm, cancel or destroy
  // any timer, including this one.
  Timer(TimerWheel& wheel, std::function<void()> on_fire);
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms to fire `delay_ms` after the wheel's current tick. Re-arming an armed timer moves it.
  // Delays above TimerWheel::kMaxDelayMs are clamped to it. A delay of 0 fires on the next
  // advance() (never inside the advance() that is running, so a callback re-arming 0 cannot spin).
  void arm(uint64_t delay_ms);
  // Disarms; a no-op when not armed.
  void cancel();
  bool armed() const { return armed_; }
  // Absolute tick (milliseconds on the wheel's clock) at which it fires; meaningful when armed.
  uint64_t expires() const { return expires_; }

 private:
  friend class TimerWheel;
  TimerWheel* wheel_;
  std::function<void()> on_fire_;
  uint64_t expires_ = 0;
  uint16_t slot_ = 0;  // index into TimerWheel::slots_, or TimerWheel::kExpiredSlot
  bool armed_ = false;
};

// Levels of 64 slots (like the Linux kernel / W. Ahern's timeout.c): level k holds timers whose
// expiry differs from "now" first in bits [6k, 6k+6). Eleven levels cover the whole 64-bit tick
// space, so no delay needs an overflow list. Each level keeps a 64-bit occupancy mask, so the next
// deadline is found with a few bit scans, and advance() only visits slots that time passed.
// Single-threaded; the wheel must outlive its timers. The clock is whatever the owner passes in
// (the EventLoop feeds it its cached monotonic milliseconds; tests feed a fake clock).
class TimerWheel {
 public:
  static constexpr unsigned kLevelBits = 6;
  static constexpr unsigned kLevels = 11;
  static constexpr unsigned kSlots = 1u << kLevelBits;
  // Keeps now + delay far from overflow (2^62 ms is about 146 million years).
  static constexpr uint64_t kMaxDelayMs = uint64_t{1} << 62;

  explicit TimerWheel(uint64_t now_ms = 0);
  ~TimerWheel() = default;
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  uint64_t now() const { return now_; }
  // Moves the clock to `now_ms` (a clock going backwards is treated as standing still) and fires
  // every timer whose expiry is <= now_ms, in expiry order (ties in arming order). While a callback
  // runs, now() is that timer's expiry, so timers it arms are relative to it. Returns how many
  // fired.
  size_t advance(uint64_t now_ms);
  // Milliseconds until the wheel next needs advance() (an upper bound on the wait that will not
  // miss a timer; it may wake early to cascade a level), or nullopt when no timer is armed.
  std::optional<uint64_t> next_timeout() const;
  size_t armed_count() const { return count_; }

 private:
  friend class Timer;
  using Link = detail::TimerLink;
  static constexpr uint16_t kExpiredSlot = kLevels * kSlots;

  void insert(Timer& t);
  void remove(Timer& t);
  void step_to(uint64_t tick, size_t& fired);
  void fire_or_reinsert(Link& pending, size_t& fired);
  std::optional<uint64_t> next_wheel_tick() const;
  static Timer& timer_of(Link& l) { return static_cast<Timer&>(l); }

  uint64_t now_;
  size_t count_ = 0;
  uint64_t occupied_[kLevels] = {};
  Link slots_[kLevels * kSlots];
  Link expired_;  // timers whose expiry is already <= now: fire on the next advance()
  // A lower bound on next_wheel_tick() (inserts lower it, cancels leave it), so advancing the
  // clock by small steps between deadlines costs one comparison.
  uint64_t next_hint_ = UINT64_MAX;
};

}  // namespace crossmux::mux::net
