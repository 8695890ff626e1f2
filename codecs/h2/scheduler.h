// RFC 9218 extensible priorities: the Priority field value parser and the outbound DATA scheduler.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace crossmux::codecs::h2 {

struct Priority {
  uint8_t urgency = 3;  // 0 (highest) .. 7
  bool incremental = false;
  bool operator==(const Priority&) const = default;
};

// Parses an RFC 9218 §4 Priority field value ("u=1, i") on top of `base`: u and i members
// override, unknown members and malformed members are ignored (§4, "MUST ignore").
Priority parse_priority(std::string_view value, Priority base = {});

// Picks the next stream to send DATA for. Lower urgency first; within one urgency, non-
// incremental streams one at a time in stream id order, then incremental streams round-robin
// (RFC 9218 §10). A stream is present at most once; the caller pushes it again after a frame if
// it still has data and window.
class Scheduler {
 public:
  void push(uint32_t stream_id, Priority p);
  // Removes and returns the next stream id, or 0 when empty.
  uint32_t pop();
  // Drops a stream wherever it is (reset, closed, reprioritized).
  void remove(uint32_t stream_id, Priority p);
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

 private:
  // Incremental streams round-robin as a FIFO in a vector from `head` (std::deque would allocate
  // ~600 bytes per level up front, 4.6 KiB per idle connection). Sequential streams are a vector
  // sorted by descending id, the next one last: unlike a std::set (a node per push), it keeps its
  // storage, so a busy connection's pushes allocate nothing; it holds at most the concurrent
  // streams, so the shifts of an insert stay short.
  struct Level {
    std::vector<uint32_t> sequential;
    std::vector<uint32_t> incremental;
    size_t head = 0;
    bool incremental_empty() const { return head == incremental.size(); }
  };
  std::array<Level, 8> levels_;
  size_t size_ = 0;
};

}  // namespace crossmux::codecs::h2
