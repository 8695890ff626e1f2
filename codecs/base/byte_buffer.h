// ByteBuffer: a growable, caller-owned output buffer that encoders append to.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "codecs/base/bytes.h"

namespace crossmux::codecs {

// Contiguous bytes [read position, size). Encoders append at the end; a writer drains from the
// front with consume(). Growth doubles; consumed space is reclaimed by compaction when the buffer
// would otherwise have to grow. Not copyable (it owns the memory), movable.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t capacity) { reserve(capacity); }
  ByteBuffer(ByteBuffer&& o) noexcept
      : data_(std::move(o.data_)), cap_(o.cap_), begin_(o.begin_), end_(o.end_) {
    o.cap_ = o.begin_ = o.end_ = 0;
  }
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    data_ = std::move(o.data_);
    cap_ = o.cap_;
    begin_ = o.begin_;
    end_ = o.end_;
    o.cap_ = o.begin_ = o.end_ = 0;
    return *this;
  }

  const uint8_t* data() const { return data_.get() + begin_; }
  uint8_t* data() { return data_.get() + begin_; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return end_ == begin_; }
  size_t capacity() const { return cap_; }
  Bytes bytes() const { return Bytes(data(), size()); }
  std::string_view view() const { return as_chars(bytes()); }

  // Makes room for n more bytes and returns where they go; commit(k <= n) makes them part of the
  // contents. Pointers into the buffer are invalidated by prepare().
  uint8_t* prepare(size_t n) {
    if (cap_ - end_ < n) grow(n);
    return data_.get() + end_;
  }
  void commit(size_t n) { end_ += n; }

  void append(const void* p, size_t n) {
    if (n == 0) return;
    std::memcpy(prepare(n), p, n);
    end_ += n;
  }
  void append(Bytes b) { append(b.data(), b.size()); }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push_back(uint8_t b) {
    *prepare(1) = b;
    ++end_;
  }

  // Drops n bytes from the front (they were written to the peer).
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Truncates the contents to n bytes (n <= size()).
  void resize(size_t n) { end_ = begin_ + n; }
  void clear() { begin_ = end_ = 0; }
  void reserve(size_t n) {
    if (cap_ - begin_ < n) grow(n - size());
  }

 private:
  void grow(size_t need) {
    size_t live = size();
    if (begin_ > 0 && cap_ - live >= need && begin_ >= live) {
      std::memmove(data_.get(), data_.get() + begin_, live);
      begin_ = 0;
      end_ = live;
      return;
    }
    size_t cap = cap_ ? cap_ * 2 : 256;
    while (cap < live + need) cap *= 2;
    std::unique_ptr<uint8_t[]> fresh(new uint8_t[cap]);
    if (live) std::memcpy(fresh.get(), data_.get() + begin_, live);
    data_ = std::move(fresh);
    cap_ = cap;
    begin_ = 0;
    end_ = live;
  }

  std::unique_ptr<uint8_t[]> data_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace crossmux::codecs
