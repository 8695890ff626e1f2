// Chunked bump allocation for StringArena.
#include "codecs/message/string_arena.h"

#include <new>

namespace crossmux::codecs {

StringArena::Chunk* StringArena::new_chunk(size_t size) {
  void* mem = ::operator new(sizeof(Chunk) + size);
  return new (mem) Chunk{nullptr, size};
}

void StringArena::release(Chunk* c) {
  while (c != nullptr) {
    Chunk* next = c->next;
    ::operator delete(c);
    c = next;
  }
}

void StringArena::steal(StringArena& o) noexcept {
  chunk_size_ = o.chunk_size_;
  first_ = o.first_;
  last_ = o.last_;
  current_ = o.current_;
  used_ = o.used_;
  copied_ = o.copied_;
  o.first_ = o.last_ = o.current_ = nullptr;
  o.used_ = o.copied_ = 0;
}

char* StringArena::allocate(size_t n) {
  copied_ += n;
  if (current_ != nullptr && current_->size - used_ >= n) {
    char* p = current_->bytes() + used_;
    used_ += n;
    return p;
  }
  // Reuse a later chunk kept from before clear(), else allocate one big enough.
  while (current_ != nullptr && current_->next != nullptr) {
    current_ = current_->next;
    used_ = 0;
    if (current_->size >= n) {
      used_ = n;
      return current_->bytes();
    }
  }
  Chunk* c = new_chunk(n > chunk_size_ ? n : chunk_size_);
  if (last_ == nullptr) {
    first_ = c;
  } else {
    last_->next = c;
  }
  last_ = current_ = c;
  used_ = n;
  return c->bytes();
}

size_t StringArena::bytes_reserved() const {
  size_t total = 0;
  for (const Chunk* c = first_; c != nullptr; c = c->next) total += c->size;
  return total;
}

}  // namespace crossmux::codecs
