// BlockArena: chunked storage for the strings of one decoded header block, reused across blocks.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace crossmux::codecs::hpack {

// Bytes handed out stay where they are until reset(): chunks never move, so earlier views remain
// valid while later strings are added. reset() keeps the chunks for the next block, so a decoder
// in steady state does not allocate. The first chunk is small (most blocks decode a few hundred
// octets of Huffman strings), later ones kChunkSize.
class BlockArena {
 public:
  static constexpr size_t kFirstChunkSize = 512;
  static constexpr size_t kChunkSize = 4096;

  // Room for `n` contiguous bytes; commit(k <= n) keeps the first k of them.
  char* reserve(size_t n) {
    if (chunk_ < chunks_.size() && chunks_[chunk_].size - used_ >= n) {
      return chunks_[chunk_].data.get() + used_;
    }
    return reserve_slow(n);
  }
  void commit(size_t n) { used_ += n; }

  struct Mark {
    size_t chunk;
    size_t used;
  };
  Mark mark() const { return Mark{chunk_, used_}; }
  // Forgets everything reserved after `m` (a field that crossed a limit).
  void rewind(Mark m) {
    chunk_ = m.chunk;
    used_ = m.used;
  }
  void reset() {
    chunk_ = 0;
    used_ = 0;
  }
  // Bytes held by the arena's chunks.
  size_t capacity() const {
    size_t total = 0;
    for (const Chunk& c : chunks_) total += c.size;
    return total;
  }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size;
  };

  char* reserve_slow(size_t n) {
    // Move to the next chunk big enough; a too-small spare chunk is replaced.
    if (chunk_ < chunks_.size() && used_ > 0) ++chunk_;
    used_ = 0;
    if (chunk_ < chunks_.size() && chunks_[chunk_].size < n) {
      chunks_[chunk_] = Chunk{std::unique_ptr<char[]>(new char[n]), n};
    }
    if (chunk_ == chunks_.size()) {
      const size_t chunk = chunks_.empty() ? kFirstChunkSize : kChunkSize;
      const size_t size = n > chunk ? n : chunk;
      chunks_.push_back(Chunk{std::unique_ptr<char[]>(new char[size]), size});
    }
    return chunks_[chunk_].data.get();
  }

  std::vector<Chunk> chunks_;
  size_t chunk_ = 0;
  size_t used_ = 0;
};

}  // namespace crossmux::codecs::hpack
