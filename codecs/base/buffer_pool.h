// Fixed-size pooled buffers with start/head/end cursors, and the pool that counts what it lends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "codecs/base/bytes.h"

namespace crossmux::codecs {

class BufferPool;

// A fixed-capacity buffer borrowed from a BufferPool; returned to it on destruction.
//
//   0 <= start <= head <= end <= capacity
//   [start, head)  parsed bytes still referenced by views (released with release())
//   [head, end)    received bytes not yet parsed (advance_head() once parsed)
//   [end, cap)     free space for the next read (commit() after writing into writable())
//
// The buffer never grows: a peer that needs more than one buffer of unparsed data must be refused
// by the codec's limits. shift() moves live bytes back to offset 0 once nothing before `start`
// is referenced, so bodies of any size stream through one buffer.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(PooledBuffer&& o) noexcept { *this = std::move(o); }
  PooledBuffer& operator=(PooledBuffer&& o) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  ~PooledBuffer() { reset(); }

  bool valid() const { return mem_ != nullptr; }
  size_t capacity() const { return cap_; }
  size_t start() const { return start_; }
  size_t head() const { return head_; }
  size_t end() const { return end_; }

  const uint8_t* base() const { return mem_; }
  Bytes parsed() const { return Bytes(mem_ + start_, head_ - start_); }
  Bytes unparsed() const { return Bytes(mem_ + head_, end_ - head_); }
  MutableBytes writable() { return MutableBytes(mem_ + end_, cap_ - end_); }
  size_t free_space() const { return cap_ - end_; }
  bool empty() const { return start_ == end_; }

  // Every mutator keeps the cursor invariant; it returns false (and changes nothing) when the
  // request would break it.
  bool commit(size_t n);        // end += n
  bool advance_head(size_t n);  // head += n
  bool release(size_t n);       // start += n
  // Moves [start, end) to offset 0. Views into the buffer are invalidated.
  void shift();
  // Empties the buffer but keeps it.
  void clear() { start_ = head_ = end_ = 0; }
  // Gives the memory back to the pool now.
  void reset();

 private:
  friend class BufferPool;
  PooledBuffer(BufferPool* pool, uint8_t* mem, size_t cap) : pool_(pool), mem_(mem), cap_(cap) {}

  BufferPool* pool_ = nullptr;
  uint8_t* mem_ = nullptr;
  size_t cap_ = 0;
  size_t start_ = 0;
  size_t head_ = 0;
  size_t end_ = 0;
};

// Hands out fixed-size buffers up to a budget (a count of buffers), keeps returned buffers on a
// free list, and counts everything so a test or a metric can see what is held. Single-threaded:
// one pool per worker. The pool must outlive every buffer it lent.
class BufferPool {
 public:
  // 16 KiB frame payload + 9-byte frame header, as RFC 9113 §4.2's minimum MAX_FRAME_SIZE needs.
  static constexpr size_t kDefaultBufferSize = 16384 + 9;

  BufferPool(size_t buffer_size, size_t max_buffers);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer, or nullopt when max_buffers are already lent (the caller answers 503 or stops
  // reading, never allocates around the budget).
  std::optional<PooledBuffer> acquire();

  size_t buffer_size() const { return buffer_size_; }
  size_t max_buffers() const { return max_buffers_; }
  size_t in_use() const { return in_use_; }
  size_t high_water() const { return high_water_; }
  size_t total_acquired() const { return total_acquired_; }
  size_t free_listed() const { return free_.size(); }

 private:
  friend class PooledBuffer;
  void give_back(uint8_t* mem);

  size_t buffer_size_;
  size_t max_buffers_;
  size_t in_use_ = 0;
  size_t high_water_ = 0;
  size_t total_acquired_ = 0;
  std::vector<uint8_t*> free_;
};

}  // namespace crossmux::codecs
