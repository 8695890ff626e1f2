// Counting replacements of the global allocation functions, for test binaries that check what a
// warm path allocates (codecs/hpack/test/alloc_test.cc, mux/net/test/uring_alloc_test.cc).
// The replacements are defined here, not inline: include this header from exactly one source
// file of a binary, and only in a binary of its own (they count every allocation of it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace crossmux::counting_new {
inline std::atomic<size_t> g_allocations{0};      // calls of operator new
inline std::atomic<size_t> g_allocated_bytes{0};  // bytes they asked for

// True when this binary's allocations reach the counter (the replacements below are the ones
// linked in), so that a check of "no allocation" cannot pass by counting nothing. The block
// escapes through an empty asm: the compiler may not remove the pair.
bool counting_is_live();
}  // namespace crossmux::counting_new

// GCC takes the free() of these replacements for a mismatch with operator new (they are the pair).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(size_t n) {
  crossmux::counting_new::g_allocations.fetch_add(1, std::memory_order_relaxed);
  crossmux::counting_new::g_allocated_bytes.fetch_add(n, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

bool crossmux::counting_new::counting_is_live() {
  const size_t before = g_allocations.load();
  void* p = ::operator new(32);
  asm volatile("" : : "r"(p) : "memory");
  ::operator delete(p);
  return g_allocations.load() > before;
}
