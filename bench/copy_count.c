// LD_PRELOAD shim for bench/body_copies.sh: counts the bytes a process copies with memcpy/memmove.
//
// Every memcpy, memmove, mempcpy and their _chk forms that reach libc through the dynamic linker
// (calls from the program, libstdc++, OpenSSL, ...) add their length to counters in the file named
// by COPY_COUNT_FILE (mapped shared, so a reader sees them while the process runs): four unsigned
// 64-bit little-endian words, [all bytes, all calls, bytes in calls of >= 1024 bytes, such calls].
// Copies the compiler inlines (short fixed lengths) and copies inside libc itself (realloc) are
// not seen; crossmux's buffers grow by new + memcpy, which is seen.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef void* (*copy_fn)(void*, const void*, size_t);

static uint64_t* counters;  // NULL until the constructor ran (or when COPY_COUNT_FILE is unset)
static copy_fn real_memcpy, real_memmove, real_mempcpy;

// Used while dlsym itself copies, before the real functions are known. The loop must not be
// turned back into a memcpy call (built with -fno-builtin -fno-tree-loop-distribute-patterns).
static void* byte_copy(void* d, const void* s, size_t n) {
  unsigned char* dst = d;
  const unsigned char* src = s;
  if (dst < src) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else {
    for (size_t i = n; i > 0; --i) dst[i - 1] = src[i - 1];
  }
  return d;
}

static void count(size_t n) {
  if (!counters) return;
  __atomic_fetch_add(&counters[0], n, __ATOMIC_RELAXED);
  __atomic_fetch_add(&counters[1], 1, __ATOMIC_RELAXED);
  if (n >= 1024) {
    __atomic_fetch_add(&counters[2], n, __ATOMIC_RELAXED);
    __atomic_fetch_add(&counters[3], 1, __ATOMIC_RELAXED);
  }
}

__attribute__((constructor)) static void init(void) {
  real_memcpy = (copy_fn)dlsym(RTLD_NEXT, "memcpy");
  real_memmove = (copy_fn)dlsym(RTLD_NEXT, "memmove");
  real_mempcpy = (copy_fn)dlsym(RTLD_NEXT, "mempcpy");
  const char* path = getenv("COPY_COUNT_FILE");
  if (!path) return;
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) return;
  if (ftruncate(fd, 4 * sizeof(uint64_t)) == 0) {
    void* m = mmap(NULL, 4 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) counters = m;
  }
  close(fd);
}

void* memcpy(void* d, const void* s, size_t n) {
  count(n);
  return real_memcpy ? real_memcpy(d, s, n) : byte_copy(d, s, n);
}
void* memmove(void* d, const void* s, size_t n) {
  count(n);
  return real_memmove ? real_memmove(d, s, n) : byte_copy(d, s, n);
}
void* mempcpy(void* d, const void* s, size_t n) {
  count(n);
  if (real_mempcpy) return real_mempcpy(d, s, n);
  return (unsigned char*)byte_copy(d, s, n) + n;
}
void* __memcpy_chk(void* d, const void* s, size_t n, size_t dlen) {
  (void)dlen;
  return memcpy(d, s, n);
}
void* __memmove_chk(void* d, const void* s, size_t n, size_t dlen) {
  (void)dlen;
  return memmove(d, s, n);
}
void* __mempcpy_chk(void* d, const void* s, size_t n, size_t dlen) {
  (void)dlen;
  return mempcpy(d, s, n);
}
