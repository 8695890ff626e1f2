// What an idle HTTP/2 connection costs: a proxy holds thousands of them, so the heap behind a
// server Connection that got the preface and an empty SETTINGS must stay small (issue: ≤ 16 KiB per
// idle connection for the whole proxy). Counts live heap bytes through replaced allocation
// functions (this test binary only); no timing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "codecs/h2/connection.h"
#include "codecs/message/recording_sink.h"

namespace {
// Live bytes allocated through operator new. Each block carries its size in a 16-byte header so
// sized and unsized deletes both subtract it. The replacements are not inlined: GCC would then
// follow the header arithmetic into the callers and warn about it (-Warray-bounds,
// -Wmismatched-new-delete) as if the blocks came from the standard operator new.
size_t g_live = 0;
constexpr size_t kHeader = 16;
}  // namespace

__attribute__((noinline)) void* operator new(size_t n) {
  auto* p = static_cast<unsigned char*>(std::malloc(n + kHeader));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, &n, sizeof n);
  g_live += n;
  return p + kHeader;
}
__attribute__((noinline)) void operator delete(void* q) noexcept {
  if (!q) return;
  auto* p = static_cast<unsigned char*>(q) - kHeader;
  size_t n;
  std::memcpy(&n, p, sizeof n);
  g_live -= n;
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* q, size_t) noexcept {
  operator delete(q);
}

namespace crossmux::codecs::h2 {
namespace {

Bytes as_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(H2IdleMemory, ServerConnectionAfterPrefaceIsSmall) {
  RecordingSink sink;
  const size_t before = g_live;
  auto conn = std::make_unique<Connection>(Role::Server, sink);
  std::string in(kConnectionPreface);
  in += std::string("\0\0\0\x04\0\0\0\0\0", 9);  // empty SETTINGS
  auto fed = conn->feed(as_bytes(in));
  ASSERT_TRUE(fed.has_value());
  EXPECT_EQ(*fed, in.size());
  ByteBuffer out;
  conn->take_output(out);
  const size_t cost = g_live - before;
  // HPACK tables, their encoder index and the scheduler's queues are allocated on first use;
  // what remains is the Connection object and a few small buffers (about 4.8 KiB today).
  EXPECT_LE(cost, 8u * 1024) << "idle server connection holds " << cost << " heap bytes";
}

TEST(H2IdleMemory, ClientConnectionBeforeFirstRequestIsSmall) {
  RecordingSink sink;
  const size_t before = g_live;
  auto conn = std::make_unique<Connection>(Role::Client, sink);
  ByteBuffer out;
  conn->take_output(out);
  const size_t cost = g_live - before;
  EXPECT_LE(cost, 8u * 1024) << "idle client connection holds " << cost << " heap bytes";
}

}  // namespace
}  // namespace crossmux::codecs::h2
