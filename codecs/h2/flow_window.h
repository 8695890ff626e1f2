// Signed HTTP/2 flow-control windows (RFC 9113 §6.9): what one side may still send.
#pragma once

#include <cstdint>

#include "codecs/h2/frame.h"

namespace crossmux::codecs::h2 {

// A window may go negative after a SETTINGS_INITIAL_WINDOW_SIZE decrease (§6.9.2) and must never
// exceed 2^31-1 (§6.9.1).
class FlowWindow {
 public:
  explicit FlowWindow(int64_t initial = 65535) : window_(initial) {}

  int64_t available() const { return window_; }
  // Positive room, 0 when exhausted or negative.
  uint32_t room() const { return window_ > 0 ? static_cast<uint32_t>(window_) : 0; }

  // Takes n octets; false (window unchanged) when n exceeds the window.
  bool take(uint32_t n) {
    if (static_cast<int64_t>(n) > window_) return false;
    window_ -= n;
    return true;
  }
  // Adds a WINDOW_UPDATE increment or a SETTINGS delta; false (unchanged) past 2^31-1.
  bool adjust(int64_t delta) {
    if (window_ + delta > static_cast<int64_t>(kMaxWindow)) return false;
    window_ += delta;
    return true;
  }

 private:
  int64_t window_;
};

// Receive side: the window the peer sees, plus octets the application consumed that have not
// been returned yet. Credit goes back in one WINDOW_UPDATE once half the target is owed.
class RecvWindow {
 public:
  explicit RecvWindow(uint32_t target = 65535) : window_(target), target_(target) {}

  // Charges an arriving DATA frame (padding included); false when it exceeds the window.
  bool receive(uint32_t n) { return window_.take(n); }
  // Records n consumed octets; returns the WINDOW_UPDATE increment due now (0 = none yet).
  uint32_t consume(uint32_t n) {
    owed_ += n;
    // Also due when the window is exhausted, whatever the target.
    if (owed_ == 0 ||
        (owed_ < (static_cast<uint64_t>(target_) + 1) / 2 && window_.available() > 0)) {
      return 0;
    }
    return release();
  }
  // Returns every owed octet now (used when the target itself grows).
  uint32_t release() {
    int64_t now = window_.available();
    uint64_t room = static_cast<uint64_t>(kMaxWindow - (now > 0 ? now : 0));
    uint32_t inc = static_cast<uint32_t>(owed_ < room ? owed_ : room);
    window_.adjust(inc);
    owed_ -= inc;
    return inc;
  }
  // Applies a change of our SETTINGS_INITIAL_WINDOW_SIZE once the peer acknowledged it (§6.9.2).
  // Returns the WINDOW_UPDATE increment due now: credit owed under the old, larger target may
  // already cross the new threshold, and no further DATA may come to trigger it.
  uint32_t retarget(uint32_t target) {
    window_.adjust(static_cast<int64_t>(target) - target_);
    target_ = target;
    return consume(0);
  }
  int64_t available() const { return window_.available(); }
  uint64_t owed() const { return owed_; }
  uint32_t target() const { return target_; }

 private:
  FlowWindow window_;
  uint32_t target_;
  uint64_t owed_ = 0;
};

}  // namespace crossmux::codecs::h2
