// Hierarchical timer wheel: placement by the highest bit where expiry and now differ, stepping.
#include "mux/net/timer_wheel.h"

#include <algorithm>
#include <bit>

namespace crossmux::mux::net {

Timer::Timer(TimerWheel& wheel, std::function<void()> on_fire)
    : wheel_(&wheel), on_fire_(std::move(on_fire)) {}

void Timer::arm(uint64_t delay_ms) {
  if (armed_) wheel_->remove(*this);
  expires_ = wheel_->now_ + std::min(delay_ms, TimerWheel::kMaxDelayMs);
  armed_ = true;
  ++wheel_->count_;
  wheel_->insert(*this);
}

void Timer::cancel() {
  if (!armed_) return;
  wheel_->remove(*this);
}

TimerWheel::TimerWheel(uint64_t now_ms) : now_(now_ms) {}

// A timer goes to the level of the highest bit in which its expiry differs from now: everything
// above that bit is equal, so its slot at that level is strictly ahead of now's slot, and it is
// reached (and cascaded down or fired) exactly when the clock enters that slot.
void TimerWheel::insert(Timer& t) {
  if (t.expires_ <= now_) {
    t.slot_ = kExpiredSlot;
    expired_.push_back(t);
    return;
  }
  const unsigned high_bit = 63u - static_cast<unsigned>(std::countl_zero(t.expires_ ^ now_));
  const unsigned level = high_bit / kLevelBits;
  const unsigned slot = static_cast<unsigned>(t.expires_ >> (level * kLevelBits)) & (kSlots - 1);
  t.slot_ = static_cast<uint16_t>(level * kSlots + slot);
  slots_[t.slot_].push_back(t);
  occupied_[level] |= uint64_t{1} << slot;
  const unsigned shift = level * kLevelBits;
  next_hint_ = std::min(next_hint_, (t.expires_ >> shift) << shift);  // when the slot is entered
}

void TimerWheel::remove(Timer& t) {
  t.unlink();
  t.armed_ = false;
  --count_;
  if (t.slot_ != kExpiredSlot && !slots_[t.slot_].linked()) {
    occupied_[t.slot_ / kSlots] &= ~(uint64_t{1} << (t.slot_ % kSlots));
  }
}

std::optional<uint64_t> TimerWheel::next_wheel_tick() const {
  std::optional<uint64_t> best;
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    const unsigned shift = level * kLevelBits;
    const uint64_t block = now_ >> shift;
    const unsigned cur = static_cast<unsigned>(block) & (kSlots - 1);
    // Rotate so bit 0 is the slot right after now's; the first set bit is the next slot reached.
    const uint64_t ahead = std::rotr(occupied_[level], static_cast<int>((cur + 1) % kSlots));
    const uint64_t distance = static_cast<uint64_t>(std::countr_zero(ahead)) + 1;
    const uint64_t tick = (block + distance) << shift;
    if (!best || tick < *best) best = tick;
  }
  return best;
}

std::optional<uint64_t> TimerWheel::next_timeout() const {
  if (expired_.linked()) return 0;
  auto tick = next_wheel_tick();
  if (!tick) return std::nullopt;
  return *tick - now_;
}

// Moves the clock to `tick` and takes every slot the clock entered on the way, at every level.
void TimerWheel::step_to(uint64_t tick, size_t& fired) {
  Link pending;
  for (unsigned level = 0; level < kLevels; ++level) {
    const unsigned shift = level * kLevelBits;
    const uint64_t from = now_ >> shift;
    const uint64_t to = tick >> shift;
    if (from == to) break;  // higher levels did not move either
    uint64_t passed = ~uint64_t{0};
    if (to - from < kSlots) {
      const uint64_t run = (uint64_t{1} << (to - from)) - 1;
      passed = std::rotl(run, static_cast<int>((from + 1) % kSlots));
    }
    uint64_t take = occupied_[level] & passed;
    occupied_[level] &= ~take;
    while (take != 0) {
      const auto slot = static_cast<unsigned>(std::countr_zero(take));
      take &= take - 1;
      pending.splice_back(slots_[level * kSlots + slot]);
    }
  }
  now_ = tick;
  fire_or_reinsert(pending, fired);
}

void TimerWheel::fire_or_reinsert(Link& pending, size_t& fired) {
  while (pending.linked()) {
    Timer& t = timer_of(*pending.next);
    t.unlink();
    if (t.expires_ <= now_) {
      t.armed_ = false;
      --count_;
      ++fired;
      t.on_fire_();  // may arm, cancel or destroy any timer; `pending` stays consistent
    } else {
      insert(t);
    }
  }
}

size_t TimerWheel::advance(uint64_t now_ms) {
  const uint64_t target = std::max(now_ms, now_);
  size_t fired = 0;
  Link due;  // timers armed at or before now: snapshot, so re-arming 0 waits for the next call
  due.splice_back(expired_);
  fire_or_reinsert(due, fired);
  // Step from one wheel event to the next, so timers fire in expiry order and each callback sees
  // now() equal to its own expiry.
  while (next_hint_ <= target) {
    const auto tick = next_wheel_tick();
    next_hint_ = tick.value_or(UINT64_MAX);
    if (!tick || *tick > target) break;
    step_to(*tick, fired);
  }
  now_ = target;
  return fired;
}

}  // namespace crossmux::mux::net
