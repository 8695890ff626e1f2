// StringArena: stable storage for strings a codec had to materialise (HPACK output, joined values).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace crossmux::codecs {

// Bump allocator in chunks; views it returns stay valid until clear() or destruction. Copies are
// counted so nothing is hidden: bytes_copied() is what a zero-copy path avoided or paid.
class StringArena {
 public:
  explicit StringArena(size_t chunk_size = 1024) : chunk_size_(chunk_size) {}
  StringArena(StringArena&&) noexcept = default;
  StringArena& operator=(StringArena&&) noexcept = default;
  StringArena(const StringArena&) = delete;
  StringArena& operator=(const StringArena&) = delete;

  // Copies s into the arena and returns the stable view.
  std::string_view copy(std::string_view s) {
    char* p = allocate(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  // Room for n bytes, valid until clear(); the caller fills it.
  char* allocate(size_t n);
  // Before the first allocation: makes the first chunk exactly `n` bytes (when smaller than the
  // chunk size) for a caller that knows its total, e.g. a head taking ownership of its fields.
  // Small blocks stay in malloc's per-thread caches; a fixed 1 KiB block per head did not.
  void reserve(size_t n) {
    if (!chunks_.empty() || n == 0 || n >= chunk_size_) return;
    n = (n + 15) & ~size_t{15};
    chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[n]), n});
  }
  // Returns the last allocation's unused tail (n bytes) to the arena.
  void shrink_last(size_t n) {
    used_ -= n;
    copied_ -= n;
  }

  // Keeps the first chunk for reuse; oversized ones are dropped so one huge message does not pin
  // memory. Inline: a decoder clears per message, nearly always with one chunk or none.
  void clear() {
    if (chunks_.size() > 1) chunks_.resize(1);
    current_ = 0;
    used_ = 0;
    copied_ = 0;
  }
  size_t bytes_copied() const { return copied_; }
  size_t bytes_reserved() const;

 private:
  struct Chunk {
    std::unique_ptr<char[]> mem;
    size_t size;
  };
  size_t chunk_size_;
  std::vector<Chunk> chunks_;
  size_t current_ = 0;  // index of the chunk being filled
  size_t used_ = 0;     // bytes used in chunks_[current_]
  size_t copied_ = 0;
};

}  // namespace crossmux::codecs
