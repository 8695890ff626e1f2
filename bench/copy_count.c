// LD_PRELOAD shim for bench/body_copies.sh and bench/alloc_count.sh: counts copies and allocations.
//
// Every memcpy, memmove, mempcpy and their _chk forms that reach libc through the dynamic linker
// (calls from the program, libstdc++, OpenSSL, ...) add their length to counters in the file named
// by COPY_COUNT_FILE (mapped shared, so a reader sees them while the process runs): unsigned 64-bit
// little-endian words, [0] all bytes copied, [1] copy calls, [2] bytes in copies of >= 1024 bytes,
// [3] such copies, [4] allocations (malloc, calloc, realloc, aligned forms, operator new), [5]
// bytes they asked for, [6] frees of a non-null pointer. Every allocation goes to glibc's
// allocator, also in a program linked with jemalloc (the shipped crossmux): the shim defines
// operator new and delete too, which jemalloc would otherwise take without passing through here.
// Copies the compiler inlines (short fixed lengths) and copies inside libc itself (realloc) are
// not seen; crossmux's buffers grow by new + memcpy, which is seen.
//
// With ALLOC_BACKTRACE_EVERY=N as well, every Nth allocation writes its call stack (glibc's
// backtrace_symbols_fd: "binary(+offset)" lines, then a line "--") to the file named by
// ALLOC_BACKTRACE_FILE; bench/alloc_count.sh --where turns them into function names.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { kWords = 8 };

typedef void* (*copy_fn)(void*, const void*, size_t);

static uint64_t* counters;  // NULL until the constructor ran (or when COPY_COUNT_FILE is unset)
static copy_fn real_memcpy, real_memmove, real_mempcpy;
static uint64_t backtrace_every;  // 0: no call stacks
static int backtrace_fd = -1;
static __thread int in_backtrace;  // backtrace() may allocate: those allocations are not sampled

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

static void count_alloc(size_t n) {
  if (!counters) return;
  uint64_t k = __atomic_fetch_add(&counters[4], 1, __ATOMIC_RELAXED);
  __atomic_fetch_add(&counters[5], n, __ATOMIC_RELAXED);
  if (backtrace_every && k % backtrace_every == 0 && !in_backtrace) {
    in_backtrace = 1;
    void* frames[32];
    int depth = backtrace(frames, 32);
    backtrace_symbols_fd(frames, depth, backtrace_fd);
    (void)!write(backtrace_fd, "--\n", 3);
    in_backtrace = 0;
  }
}

__attribute__((constructor)) static void init(void) {
  real_memcpy = (copy_fn)dlsym(RTLD_NEXT, "memcpy");
  real_memmove = (copy_fn)dlsym(RTLD_NEXT, "memmove");
  real_mempcpy = (copy_fn)dlsym(RTLD_NEXT, "mempcpy");
  const char* path = getenv("COPY_COUNT_FILE");
  if (!path) return;
  const char* every = getenv("ALLOC_BACKTRACE_EVERY");
  const char* where = getenv("ALLOC_BACKTRACE_FILE");
  if (every && where) {
    void* frames[2];
    backtrace(frames, 2);  // loads libgcc_s now, not inside the first sampled allocation
    backtrace_fd = open(where, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (backtrace_fd >= 0) backtrace_every = strtoull(every, NULL, 10);
  }
  int fd = open(path, O_RDWR | O_CREAT, 0644);
  if (fd < 0) return;
  if (ftruncate(fd, kWords * sizeof(uint64_t)) == 0) {
    void* m = mmap(NULL, kWords * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
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

// The allocator: glibc's own entry points (__libc_*), so no dlsym (which allocates) is needed.
extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

void* malloc(size_t n) {
  count_alloc(n);
  return __libc_malloc(n);
}
void* calloc(size_t k, size_t n) {
  count_alloc(k * n);
  return __libc_calloc(k, n);
}
void* realloc(void* p, size_t n) {
  count_alloc(n);
  return __libc_realloc(p, n);
}
void* memalign(size_t a, size_t n) {
  count_alloc(n);
  return __libc_memalign(a, n);
}
void* aligned_alloc(size_t a, size_t n) {
  return memalign(a, n);
}
int posix_memalign(void** p, size_t a, size_t n) {
  *p = memalign(a, n);
  return *p ? 0 : 12;  // ENOMEM
}
void free(void* p) {
  if (p && counters) __atomic_fetch_add(&counters[6], 1, __ATOMIC_RELAXED);
  __libc_free(p);
}
void* valloc(size_t n) {
  return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

// C++ operator new and delete (their mangled names; libstdc++'s would reach malloc anyway, but a
// program linked with jemalloc gets jemalloc's, which do not). Sizes and alignments as asked;
// failure aborts (nothing throws from C).
static void* must(void* p) {
  if (!p) abort();
  return p;
}
void* _Znwm(size_t n) {
  return must(malloc(n));
}
void* _Znam(size_t n) {
  return must(malloc(n));
}
void* _ZnwmRKSt9nothrow_t(size_t n, const void* t) {
  return malloc(n);
}
void* _ZnamRKSt9nothrow_t(size_t n, const void* t) {
  return malloc(n);
}
void* _ZnwmSt11align_val_t(size_t n, size_t a) {
  return must(memalign(a, n));
}
void* _ZnamSt11align_val_t(size_t n, size_t a) {
  return must(memalign(a, n));
}
void* _ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void* t) {
  return memalign(a, n);
}
void* _ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t a, const void* t) {
  return memalign(a, n);
}
void _ZdlPv(void* p) {
  free(p);
}
void _ZdaPv(void* p) {
  free(p);
}
void _ZdlPvm(void* p, size_t n) {
  free(p);
}
void _ZdaPvm(void* p, size_t n) {
  free(p);
}
void _ZdlPvRKSt9nothrow_t(void* p, const void* t) {
  free(p);
}
void _ZdaPvRKSt9nothrow_t(void* p, const void* t) {
  free(p);
}
void _ZdlPvSt11align_val_t(void* p, size_t a) {
  free(p);
}
void _ZdaPvSt11align_val_t(void* p, size_t a) {
  free(p);
}
void _ZdlPvmSt11align_val_t(void* p, size_t n, size_t a) {
  free(p);
}
void _ZdaPvmSt11align_val_t(void* p, size_t n, size_t a) {
  free(p);
}
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void* p, size_t a, const void* t) {
  free(p);
}
void _ZdaPvSt11align_val_tRKSt9nothrow_t(void* p, size_t a, const void* t) {
  free(p);
}
