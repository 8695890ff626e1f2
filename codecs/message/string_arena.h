// StringArena: stable storage for strings a codec had to materialise (HPACK output, joined values).
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace crossmux::codecs {

// Bump allocator in chunks; views it returns stay valid until clear() or destruction. Copies are
// counted so nothing is hidden: bytes_copied() is what a zero-copy path avoided or paid. Each
// chunk is one heap allocation (its bookkeeping sits in front of its bytes, in a list), so an
// arena that needs one chunk costs one allocation.
class StringArena {
 public:
  explicit StringArena(size_t chunk_size = 1024) : chunk_size_(chunk_size) {}
  StringArena(StringArena&& o) noexcept { steal(o); }
  StringArena& operator=(StringArena&& o) noexcept {
    if (this != &o) {
      release(first_);
      steal(o);
    }
    return *this;
  }
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;
  ~StringArena() { release(first_); }

  // Copies s into the arena and returns the stable view (an empty one for an empty s: nothing
  // to keep, no chunk opened for it).
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = allocate(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Room for n bytes, valid until clear(); the caller fills it.
  char* allocate(size_t n);
  // Before the first allocation: makes the first chunk exactly `n` bytes (rounded up to 16) for
  // a caller that knows its total, e.g. a head taking ownership of its fields, so that all of it
  // lands in one chunk. Small blocks stay in malloc's per-thread caches; a fixed 1 KiB block per
  // head did not.
  void reserve(size_t n) {
    if (first_ != nullptr || n == 0) return;
    first_ = last_ = current_ = new_chunk((n + 15) & ~size_t{15});
  }
  // Returns the last allocation's unused tail (n bytes) to the arena.
  void shrink_last(size_t n) {
    used_ -= n;
    copied_ -= n;
  }

  // Keeps the first chunk for reuse; oversized ones are dropped so one huge message does not pin
  // memory. Inline: a decoder clears per message, nearly always with one chunk or none.
  void clear() {
    if (first_ != nullptr && first_->next != nullptr) {
      release(first_->next);
      first_->next = nullptr;
    }
    last_ = current_ = first_;
    used_ = 0;
    copied_ = 0;
  }
  size_t bytes_copied() const { return copied_; }
  size_t bytes_reserved() const;

 private:
  // Header of a chunk; its `size` bytes follow it in the same allocation.
  struct Chunk {
    Chunk* next;
    size_t size;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
  };
  static Chunk* new_chunk(size_t size);
  static void release(Chunk* c);  // frees c and every chunk after it
  void steal(StringArena& o) noexcept;

  size_t chunk_size_ = 1024;
  Chunk* first_ = nullptr;
  Chunk* last_ = nullptr;
  Chunk* current_ = nullptr;  // the chunk being filled
  size_t used_ = 0;           // bytes used in *current_
  size_t copied_ = 0;
};

}  // namespace crossmux::codecs
