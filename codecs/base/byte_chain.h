// ByteChain: output bytes as a sequence of buffers, so a body buffer a reader filled reaches the
// socket as it is (one writev) instead of being copied into a contiguous output buffer.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/bytes.h"

namespace crossmux::codecs {

// Parts are either written into (framing: heads, frame headers, chunk lines) or adopted (a body
// buffer taken whole, never written into again). The bytes in order are the parts' contents in
// order. Consumed parts keep their storage as spares for the next written part, so a connection
// that streams does not allocate per write. Not copyable, movable.
class ByteChain {
 public:
  // Bodies shorter than this are copied into the written part rather than adopted: a part of
  // their own would cost more (an iovec, a buffer) than the copy saves.
  static constexpr size_t kMinAdopt = 1024;
  // Spare storages kept for later written parts; beyond this, consumed storage is freed.
  static constexpr size_t kMaxSpares = 2;

  ByteChain() = default;
  ByteChain(ByteChain&&) noexcept = default;
  ByteChain& operator=(ByteChain&&) noexcept = default;

  bool empty() const {
    for (size_t i = first_; i < parts_.size(); ++i) {
      if (parts_[i].size() != 0) return false;
    }
    return true;
  }
  size_t size() const {
    size_t n = 0;
    for (size_t i = first_; i < parts_.size(); ++i) n += parts_[i].size();
    return n;
  }
  // Parts not yet consumed.
  size_t parts() const { return parts_.size() - first_; }

  // The part framing bytes are appended to: the last part when it is a written one, else a new
  // one (on a spare storage when there is one). Appending to it keeps the order.
  ByteBuffer& tail() {
    if (first_ == parts_.size() || parts_.back().adopted) {
      parts_.emplace_back();
      parts_.back().bytes = take_spare();
    }
    return parts_.back().bytes;
  }
  void append(Bytes b) {
    if (!b.empty()) tail().append(b);
  }
  void append(std::string_view s) { append(as_bytes(s)); }

  // `body`'s bytes go next. From kMinAdopt octets on, its storage becomes a part of its own (no
  // copy; `body` is left without storage); shorter ones are copied and `body` keeps its storage
  // (cleared) for reuse.
  void adopt(ByteBuffer& body) {
    if (body.size() < kMinAdopt) {
      append(body.bytes());
      body.clear();
      return;
    }
    own(body);
  }
  // `body`'s bytes go next as a part of their own whatever their size (`body` is left without
  // storage): for a buffer that views (adopt_view) point into.
  void own(ByteBuffer& body) {
    Part p;
    p.bytes = std::move(body);
    p.adopted = true;
    parts_.push_back(std::move(p));
    body = ByteBuffer();
  }
  // `bytes` go next without a copy and without storage of their own: they live in a buffer that
  // the caller adopts later in this chain (adopt() after every view into it). Parts are consumed
  // in order, so that buffer outlives each view; splice() and clear() keep or drop them together.
  void adopt_view(Bytes bytes) {
    if (bytes.empty()) return;
    Part p;
    p.adopted = true;
    p.is_view = true;
    p.view = bytes;
    parts_.push_back(std::move(p));
  }

  // Moves every part of `from` to the end of this chain (no byte is copied); `from` is left
  // empty and gets a spare storage of ours if it has none, for its next written part.
  void splice(ByteChain& from) {
    if (from.empty()) return;
    if (first_ == parts_.size()) {
      compact();
      std::swap(parts_, from.parts_);
      std::swap(first_, from.first_);
    } else {
      for (size_t i = from.first_; i < from.parts_.size(); ++i) {
        parts_.push_back(std::move(from.parts_[i]));
      }
      from.parts_.clear();
      from.first_ = 0;
    }
    if (from.spares_.empty() && !spares_.empty()) {
      from.spares_.push_back(std::move(spares_.back()));
      spares_.pop_back();
    }
  }

  // The first parts' bytes, as many as fit in `into`; returns how many were filled.
  size_t gather(std::span<Bytes> into) const {
    size_t k = 0;
    for (size_t i = first_; i < parts_.size() && k < into.size(); ++i) {
      if (parts_[i].size() != 0) into[k++] = parts_[i].data();
    }
    return k;
  }
  // Calls f(Bytes) on each part's bytes in order, starting `from` octets in.
  template <typename F>
  void for_each(size_t from, F&& f) const {
    for (size_t i = first_; i < parts_.size(); ++i) {
      Bytes b = parts_[i].data();
      if (from >= b.size()) {
        from -= b.size();
        continue;
      }
      f(b.subspan(from));
      from = 0;
    }
  }
  // The first part's bytes (what gather() puts first).
  Bytes front() const {
    for (size_t i = first_; i < parts_.size(); ++i) {
      if (parts_[i].size() != 0) return parts_[i].data();
    }
    return {};
  }

  // Drops `n` bytes from the front (they were written to the peer). Emptied parts' storage
  // becomes a spare.
  void consume(size_t n) {
    while (first_ < parts_.size()) {
      Part& p = parts_[first_];
      const size_t take = n < p.size() ? n : p.size();
      p.drop(take);
      n -= take;
      if (p.size() != 0) break;
      keep_spare(std::move(p.bytes));
      ++first_;
    }
    if (first_ == parts_.size()) {
      parts_.clear();
      first_ = 0;
    } else if (first_ >= 16) {
      compact();
    }
  }

  // Appends every byte to `out` (one copy) and empties the chain: for writers that need the
  // bytes contiguous.
  void move_to(ByteBuffer& out) {
    for (size_t i = first_; i < parts_.size(); ++i) out.append(parts_[i].data());
    clear();
  }
  // Drops every byte (storages become spares while there is room).
  void clear() {
    for (size_t i = first_; i < parts_.size(); ++i) keep_spare(std::move(parts_[i].bytes));
    parts_.clear();
    first_ = 0;
  }

  // A spare storage (empty, with capacity), or an empty buffer without storage.
  ByteBuffer take_spare() {
    if (spares_.empty()) return ByteBuffer();
    ByteBuffer b = std::move(spares_.back());
    spares_.pop_back();
    return b;
  }
  size_t spares() const { return spares_.size(); }
  // Keeps `b`'s storage (emptied) as a spare, or frees it when there are enough.
  void give_spare(ByteBuffer&& b) { keep_spare(std::move(b)); }

 private:
  // A written or adopted part owns `bytes`; a view part (adopt_view) has no storage and reads
  // `view` from a buffer that a later part owns.
  struct Part {
    ByteBuffer bytes;
    bool adopted = false;
    bool is_view = false;
    Bytes view;
    Bytes data() const { return is_view ? view : bytes.bytes(); }
    size_t size() const { return is_view ? view.size() : bytes.size(); }
    void drop(size_t n) {
      if (is_view) {
        view = view.subspan(n);
      } else {
        bytes.consume(n);
      }
    }
  };
  void keep_spare(ByteBuffer&& b) {
    if (b.capacity() == 0 || spares_.size() >= kMaxSpares) return;
    b.clear();
    spares_.push_back(std::move(b));
  }
  void compact() {
    parts_.erase(parts_.begin(), parts_.begin() + static_cast<std::ptrdiff_t>(first_));
    first_ = 0;
  }

  std::vector<Part> parts_;  // [first_, end) hold the bytes
  size_t first_ = 0;
  std::vector<ByteBuffer> spares_;
};

}  // namespace crossmux::codecs
