// Buffer budgets: the body bytes a worker, and each client connection, hold for their exchanges
// (limits.max_buffers, limits.max_buffers_per_connection). Every Half charges what it holds to
// both through a BufferShare, so the totals are exact at any moment and return to zero when the
// exchanges are gone.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

namespace crossmux::mux::proxy {

// The unit of limits.max_buffers and limits.max_buffers_per_connection: one HTTP/2 frame's
// payload at the default SETTINGS_MAX_FRAME_SIZE.
inline constexpr size_t kBufferBytes = 16 * 1024;

// One budget. A budget is soft: charging past the limit succeeds (bytes already read must go
// somewhere) and calls the owner's pressure callback once per crossing; the owner relieves it
// (Worker: stalled exchanges get kStallGraceUnderPressureMs instead of
// timeouts.flow_control_stall). Single-threaded, like the worker that owns it.
class BufferBudget {
 public:
  explicit BufferBudget(size_t limit = SIZE_MAX) : limit_(limit) {}
  BufferBudget(const BufferBudget&) = delete;
  BufferBudget& operator=(const BufferBudget&) = delete;
  ~BufferBudget() { assert(held_ == 0 && "a BufferShare outlived its budget"); }

  void set_limit(size_t limit) { limit_ = limit; }
  size_t limit() const { return limit_; }
  size_t held() const { return held_; }
  bool over() const { return held_ > limit_; }
  // Times held() rose past limit() (each crossing once).
  uint64_t overruns() const { return overruns_; }
  // Called right after held() rises past limit(). It must not destroy charging objects (it runs
  // inside Half::append); re-arming timers is what it is for.
  void on_pressure(std::function<void()> f) { on_pressure_ = std::move(f); }

 private:
  friend class BufferShare;
  void add(size_t n) {
    const bool was_over = over();
    held_ += n;
    if (!was_over && over()) {
      ++overruns_;
      if (on_pressure_) on_pressure_();
    }
  }
  void sub(size_t n) {
    assert(n <= held_);
    held_ -= n;
  }

  size_t limit_;
  size_t held_ = 0;
  uint64_t overruns_ = 0;
  std::function<void()> on_pressure_;
};

// What one holder (a Half) charges to its budgets: set() replaces the charge, the destructor
// gives it back. Unbound (no budgets) it only remembers the charge, for Halves outside a worker
// (tests, fuzz harnesses). Movable (the charge moves with it), never assigned: a Half that starts
// over keeps its budgets and calls Half::reset().
class BufferShare {
 public:
  BufferShare() = default;
  BufferShare(BufferShare&& o) noexcept
      : worker_(std::exchange(o.worker_, nullptr)),
        connection_(std::exchange(o.connection_, nullptr)),
        charged_(std::exchange(o.charged_, 0)) {}
  BufferShare& operator=(BufferShare&&) = delete;
  ~BufferShare() { set(0); }

  // Charges from now on go to `worker` and `connection` (either may be null); what is charged
  // already moves there.
  void bind(BufferBudget* worker, BufferBudget* connection) {
    const size_t n = charged_;
    set(0);
    worker_ = worker;
    connection_ = connection;
    set(n);
  }
  void set(size_t n) {
    if (n == charged_) return;
    for (BufferBudget* b : {worker_, connection_}) {
      if (b == nullptr) continue;
      if (n > charged_) {
        b->add(n - charged_);
      } else {
        b->sub(charged_ - n);
      }
    }
    charged_ = n;
  }
  size_t charged() const { return charged_; }

 private:
  BufferBudget* worker_ = nullptr;
  BufferBudget* connection_ = nullptr;
  size_t charged_ = 0;
};

}  // namespace crossmux::mux::proxy
