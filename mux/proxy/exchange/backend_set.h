// BackendSet: the backends of a cluster one request already went to (Route::tried).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace crossmux::mux::proxy {

// Backends (indexes into one cluster) a request already went to: a bit each, the first 64 in
// the object itself, so the usual request allocates nothing for it; more in a vector.
class BackendSet {
 public:
  void insert(size_t i) {
    uint64_t& word = i < 64 ? low_ : high_word(i);
    const uint64_t bit = uint64_t{1} << (i % 64);
    if ((word & bit) == 0) ++count_;
    word |= bit;
  }
  bool contains(size_t i) const {
    if (i < 64) return (low_ >> i) & 1;
    const size_t w = i / 64 - 1;
    return w < high_.size() && ((high_[w] >> (i % 64)) & 1);
  }
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  void clear() {
    low_ = 0;
    high_.clear();
    count_ = 0;
  }

 private:
  uint64_t& high_word(size_t i) {
    const size_t w = i / 64 - 1;
    if (high_.size() <= w) high_.resize(w + 1, 0);
    return high_[w];
  }
  uint64_t low_ = 0;
  std::vector<uint64_t> high_;
  size_t count_ = 0;
};

}  // namespace crossmux::mux::proxy
