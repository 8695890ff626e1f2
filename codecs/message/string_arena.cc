// Chunked bump allocation for StringArena.
#include "codecs/message/string_arena.h"

namespace crossmux::codecs {

char* StringArena::allocate(size_t n) {
  copied_ += n;
  if (!chunks_.empty() && chunks_[current_].size - used_ >= n) {
    char* p = chunks_[current_].mem.get() + used_;
    used_ += n;
    return p;
  }
  // Reuse a later chunk kept from before clear(), else allocate one big enough.
  while (current_ + 1 < chunks_.size()) {
    ++current_;
    used_ = 0;
    if (chunks_[current_].size >= n) {
      used_ = n;
      return chunks_[current_].mem.get();
    }
  }
  size_t size = n > chunk_size_ ? n : chunk_size_;
  chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size});
  current_ = chunks_.size() - 1;
  used_ = n;
  return chunks_[current_].mem.get();
}

size_t StringArena::bytes_reserved() const {
  size_t total = 0;
  for (const auto& c : chunks_) total += c.size;
  return total;
}

}  // namespace crossmux::codecs
