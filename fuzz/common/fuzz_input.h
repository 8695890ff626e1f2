// FuzzInput: a structured reader so one fuzz input chooses settings, content and read boundaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace crossmux::fuzz {

// Reads typed values from the front of the input; once exhausted every take returns zero/empty,
// so a target never has to check for the end (the input, not the reader, decides coverage).
class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t remaining() const { return size_ - pos_; }
  bool empty() const { return pos_ >= size_; }

  uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
  bool boolean() { return (u8() & 1) != 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) << 16 | u16(); }
  // A value in [lo, hi] (inclusive), consuming a fixed number of bytes.
  uint32_t range(uint32_t lo, uint32_t hi) {
    if (hi <= lo) return lo;
    uint64_t span = static_cast<uint64_t>(hi) - lo + 1;
    uint32_t v = span <= 256 ? u8() : span <= 65536 ? u16() : u32();
    return lo + static_cast<uint32_t>(v % span);
  }
  // Up to n bytes.
  std::span<const uint8_t> bytes(size_t n) {
    n = n < remaining() ? n : remaining();
    std::span<const uint8_t> out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  // A length-prefixed (u16) chunk.
  std::span<const uint8_t> chunk() { return bytes(u16()); }
  std::span<const uint8_t> rest() { return bytes(remaining()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Calls f(piece) for consecutive pieces of `payload` whose sizes come from `sizes` (cycled; 0 means
// "the rest"), so one input exercises arbitrary read boundaries deterministically. The piece
// numbered `max_pieces` takes the rest: a target that does much work per piece stays fast when a
// short input asks for a large payload in two-byte pieces.
template <class F>
void for_each_piece(std::span<const uint8_t> payload, std::span<const uint8_t> sizes,
                    size_t max_pieces, F&& f) {
  size_t at = 0, i = 0;
  while (at < payload.size()) {
    size_t n = sizes.empty() || i + 1 >= max_pieces ? payload.size() : sizes[i % sizes.size()];
    ++i;
    if (n == 0 || n > payload.size() - at) n = payload.size() - at;
    f(payload.subspan(at, n));
    at += n;
  }
}

template <class F>
void for_each_piece(std::span<const uint8_t> payload, std::span<const uint8_t> sizes, F&& f) {
  for_each_piece(payload, sizes, SIZE_MAX, std::forward<F>(f));
}

// The same pieces as a vector.
inline std::vector<std::span<const uint8_t>> split_by(std::span<const uint8_t> payload,
                                                      std::span<const uint8_t> sizes) {
  std::vector<std::span<const uint8_t>> out;
  for_each_piece(payload, sizes, [&](std::span<const uint8_t> piece) { out.push_back(piece); });
  return out;
}

}  // namespace crossmux::fuzz
