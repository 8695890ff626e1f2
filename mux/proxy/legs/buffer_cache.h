// BufferCache: a worker's spare connection buffers. A connection gives its read and write
// buffers back whenever it has no exchange in flight (so an idle connection holds none), and the
// next read or write takes one from here instead of from malloc: 16 KiB+ blocks are beyond
// malloc's per-thread caches, and freeing and re-allocating them for every request was the
// largest user-space cost of a busy proxy. Bounded by total bytes; single-threaded (one per
// worker).
#pragma once

#include <cstddef>
#include <vector>

#include "codecs/base/byte_buffer.h"

namespace crossmux::mux::proxy {

class BufferCache {
 public:
  // Buffers larger than `max_buffer` are freed rather than kept; at most `max_bytes` are kept.
  explicit BufferCache(size_t max_bytes = 4 << 20, size_t max_buffer = 64 << 10)
      : max_bytes_(max_bytes), max_buffer_(max_buffer) {}

  // A spare (empty, with capacity) buffer, or an empty one without storage.
  codecs::ByteBuffer take() {
    if (spare_.empty()) return codecs::ByteBuffer();
    codecs::ByteBuffer b = std::move(spare_.back());
    spare_.pop_back();
    bytes_ -= b.capacity();
    return b;
  }
  // Keeps `b`'s storage for a later take() (its contents are dropped), or frees it.
  void give(codecs::ByteBuffer&& b) {
    const size_t cap = b.capacity();
    if (cap == 0) return;
    if (cap > max_buffer_ || bytes_ + cap > max_bytes_) {
      codecs::ByteBuffer drop(std::move(b));
      return;
    }
    b.clear();
    bytes_ += cap;
    spare_.push_back(std::move(b));
  }
  size_t bytes() const { return bytes_; }
  size_t count() const { return spare_.size(); }

 private:
  size_t max_bytes_;
  size_t max_buffer_;
  size_t bytes_ = 0;
  std::vector<codecs::ByteBuffer> spare_;
};

}  // namespace crossmux::mux::proxy
