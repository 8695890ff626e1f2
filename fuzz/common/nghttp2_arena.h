// Nghttp2Arena: nghttp2's allocator (nghttp2_mem) for fuzz targets that build an nghttp2 session
// per input. Blocks are carved from one buffer that every execution reuses, free only poisons, and
// rewind() at the start of an execution forgets all of it: nghttp2's many small allocations (the
// session, its HPACK tables, a 16 KiB frame buffer, streams, header buffers) cost no malloc, no
// ASan bookkeeping and no fresh pages. An execution that outgrows the buffer falls back to malloc
// for the rest (freed at the next rewind). nghttp2 is not instrumented, so nothing is lost for its
// own code; our adapter's reads of nghttp2 memory stay checked: a block's rounding, a freed block
// and everything not handed out in this execution are poisoned.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CROSSMUX_ARENA_ASAN 1
#endif
#endif
#if !defined(CROSSMUX_ARENA_ASAN) && defined(__SANITIZE_ADDRESS__)
#define CROSSMUX_ARENA_ASAN 1
#endif
#ifdef CROSSMUX_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace crossmux::fuzz {

class Nghttp2Arena {
 public:
  static constexpr size_t kCapacity = 1u << 20;

  Nghttp2Arena() : buf_(static_cast<uint8_t*>(std::aligned_alloc(kAlign, kCapacity))) {
    mem_ = nghttp2_mem{this, &Nghttp2Arena::malloc_cb, &Nghttp2Arena::free_cb,
                       &Nghttp2Arena::calloc_cb, &Nghttp2Arena::realloc_cb};
    poison(buf_, kCapacity);
  }
  ~Nghttp2Arena() {
    rewind();
    std::free(buf_);
  }
  Nghttp2Arena(const Nghttp2Arena&) = delete;
  Nghttp2Arena& operator=(const Nghttp2Arena&) = delete;

  nghttp2_mem* mem() { return &mem_; }

  // Forgets every block: call when no session using this arena is alive (start of an input).
  void rewind() {
    poison(buf_, used_);
    used_ = 0;
    for (void* p : fallback_) std::free(p);
    fallback_.clear();
  }

 private:
  // Each block is preceded by its size (for realloc), keeping 16-byte alignment.
  static constexpr size_t kAlign = 16;
  static constexpr size_t kHeader = 16;

  void* allocate(size_t size) {
    const size_t need = kHeader + (size + kAlign - 1) / kAlign * kAlign;
    uint8_t* block;
    if (kCapacity - used_ >= need) {
      block = buf_ + used_;
      used_ += need;
      unpoison(block, kHeader + size);  // the rounding stays poisoned: overreads are caught
    } else {
      block = static_cast<uint8_t*>(std::malloc(need));
      if (block == nullptr) return nullptr;
      fallback_.push_back(block);
    }
    std::memcpy(block, &size, sizeof size);
    return block + kHeader;
  }
  static size_t size_of(void* p) {
    size_t size;
    std::memcpy(&size, static_cast<uint8_t*>(p) - kHeader, sizeof size);
    return size;
  }

  static void* malloc_cb(size_t size, void* self) {
    return static_cast<Nghttp2Arena*>(self)->allocate(size);
  }
  // Freed blocks are not reused before the next input, but they are poisoned so that a read
  // after nghttp2 freed them is still caught.
  static void free_cb(void* p, void* self) { static_cast<Nghttp2Arena*>(self)->release(p); }
  void release(void* p) {
    if (p == nullptr) return;
    auto* b = static_cast<uint8_t*>(p);
    if (b >= buf_ && b < buf_ + kCapacity) poison(b, size_of(p));
  }
  static void* calloc_cb(size_t n, size_t size, void* self) {
    if (size != 0 && n > SIZE_MAX / size) return nullptr;
    void* p = static_cast<Nghttp2Arena*>(self)->allocate(n * size);
    if (p != nullptr) std::memset(p, 0, n * size);
    return p;
  }
  static void* realloc_cb(void* p, size_t size, void* self) {
    void* fresh = static_cast<Nghttp2Arena*>(self)->allocate(size);
    if (fresh != nullptr && p != nullptr) {
      const size_t old = size_of(p);
      std::memcpy(fresh, p, old < size ? old : size);
      static_cast<Nghttp2Arena*>(self)->release(p);
    }
    return fresh;
  }

  static void poison([[maybe_unused]] void* p, [[maybe_unused]] size_t n) {
#ifdef CROSSMUX_ARENA_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
  }
  static void unpoison([[maybe_unused]] void* p, [[maybe_unused]] size_t n) {
#ifdef CROSSMUX_ARENA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
  }

  uint8_t* buf_;
  size_t used_ = 0;
  std::vector<void*> fallback_;
  nghttp2_mem mem_{};
};

}  // namespace crossmux::fuzz
