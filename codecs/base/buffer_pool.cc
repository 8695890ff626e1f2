// Pooled buffer cursor operations and the counting pool.
#include "codecs/base/buffer_pool.h"

#include <cassert>
#include <cstring>

namespace crossmux::codecs {

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    pool_ = o.pool_;
    mem_ = o.mem_;
    cap_ = o.cap_;
    start_ = o.start_;
    head_ = o.head_;
    end_ = o.end_;
    o.pool_ = nullptr;
    o.mem_ = nullptr;
    o.cap_ = o.start_ = o.head_ = o.end_ = 0;
  }
  return *this;
}

bool PooledBuffer::commit(size_t n) {
  if (n > cap_ - end_) return false;
  end_ += n;
  return true;
}

bool PooledBuffer::advance_head(size_t n) {
  if (n > end_ - head_) return false;
  head_ += n;
  return true;
}

bool PooledBuffer::release(size_t n) {
  if (n > head_ - start_) return false;
  start_ += n;
  if (start_ == end_) start_ = head_ = end_ = 0;  // cheap reset when drained
  return true;
}

void PooledBuffer::shift() {
  if (start_ == 0) return;
  std::memmove(mem_, mem_ + start_, end_ - start_);
  head_ -= start_;
  end_ -= start_;
  start_ = 0;
}

void PooledBuffer::reset() {
  if (mem_ != nullptr && pool_ != nullptr) pool_->give_back(mem_);
  pool_ = nullptr;
  mem_ = nullptr;
  cap_ = start_ = head_ = end_ = 0;
}

BufferPool::BufferPool(size_t buffer_size, size_t max_buffers)
    : buffer_size_(buffer_size), max_buffers_(max_buffers) {}

BufferPool::~BufferPool() {
  assert(in_use_ == 0 && "a PooledBuffer outlived its pool");
  for (uint8_t* m : free_) delete[] m;
}

std::optional<PooledBuffer> BufferPool::acquire() {
  if (in_use_ >= max_buffers_) return std::nullopt;
  uint8_t* mem;
  if (!free_.empty()) {
    mem = free_.back();
    free_.pop_back();
  } else {
    mem = new uint8_t[buffer_size_];
  }
  ++in_use_;
  ++total_acquired_;
  if (in_use_ > high_water_) high_water_ = in_use_;
  return PooledBuffer(this, mem, buffer_size_);
}

void BufferPool::give_back(uint8_t* mem) {
  assert(in_use_ > 0);
  --in_use_;
  free_.push_back(mem);
}

}  // namespace crossmux::codecs
