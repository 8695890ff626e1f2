// BufferPool budget accounting and PooledBuffer cursor invariants (as properties).
#include "codecs/base/buffer_pool.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <string>

namespace crossmux::codecs {
namespace {

TEST(BufferPool, EnforcesBudgetAndCountsLoans) {
  BufferPool pool(64, 2);
  auto a = pool.acquire();
  auto b = pool.acquire();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(pool.in_use(), 2u);
  EXPECT_FALSE(pool.acquire().has_value()) << "budget of 2 must refuse a third buffer";
  a->reset();
  EXPECT_EQ(pool.in_use(), 1u);
  auto c = pool.acquire();
  ASSERT_TRUE(c);
  EXPECT_EQ(pool.total_acquired(), 3u);
  EXPECT_EQ(pool.high_water(), 2u);
  EXPECT_EQ(pool.free_listed(), 0u) << "the returned buffer is reused, not reallocated";
}

TEST(BufferPool, MovedBufferReturnsOnce) {
  BufferPool pool(32, 1);
  {
    auto a = pool.acquire();
    PooledBuffer moved = std::move(*a);
    EXPECT_FALSE(a->valid());
    EXPECT_TRUE(moved.valid());
    EXPECT_EQ(pool.in_use(), 1u);
  }
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.free_listed(), 1u);
}

TEST(PooledBuffer, CursorsTrackReadParseRelease) {
  BufferPool pool(16, 1);
  auto b = pool.acquire();
  auto w = b->writable();
  std::memcpy(w.data(), "GET / HTTP/1.1", 14);
  ASSERT_TRUE(b->commit(14));
  EXPECT_FALSE(b->commit(3)) << "cannot commit past capacity";
  ASSERT_TRUE(b->advance_head(4));
  EXPECT_EQ(as_chars(b->parsed()), "GET ");
  EXPECT_EQ(as_chars(b->unparsed()), "/ HTTP/1.1");
  EXPECT_FALSE(b->release(5)) << "cannot release unparsed bytes";
  ASSERT_TRUE(b->release(4));
  b->shift();
  EXPECT_EQ(b->start(), 0u);
  EXPECT_EQ(as_chars(b->unparsed()), "/ HTTP/1.1");
  EXPECT_EQ(b->free_space(), 6u);
}

// Property: whatever sequence of operations runs, 0 <= start <= head <= end <= capacity holds, and
// the bytes between start and end are exactly the committed bytes not yet released (a model).
RC_GTEST_PROP(PooledBuffer, CursorInvariantHolds, ()) {
  BufferPool pool(64, 1);
  auto b = pool.acquire();
  std::string model;      // bytes in [start, end)
  size_t model_head = 0;  // head - start
  const auto steps = *rc::gen::inRange(1, 200);
  for (int i = 0; i < steps; ++i) {
    const int op = *rc::gen::inRange(0, 4);
    const size_t n = *rc::gen::inRange<size_t>(0, 80);
    if (op == 0) {
      bool ok = n <= b->free_space();
      std::string bytes(n, static_cast<char>('a' + i % 26));
      if (ok) std::memcpy(b->writable().data(), bytes.data(), n);
      RC_ASSERT(b->commit(n) == ok);
      if (ok) model += bytes;
    } else if (op == 1) {
      bool ok = n <= model.size() - model_head;
      RC_ASSERT(b->advance_head(n) == ok);
      if (ok) model_head += n;
    } else if (op == 2) {
      bool ok = n <= model_head;
      RC_ASSERT(b->release(n) == ok);
      if (ok) {
        model.erase(0, n);
        model_head -= n;
      }
    } else {
      b->shift();
      RC_ASSERT(b->start() == 0u);
    }
    RC_ASSERT(b->start() <= b->head());
    RC_ASSERT(b->head() <= b->end());
    RC_ASSERT(b->end() <= b->capacity());
    RC_ASSERT(b->end() - b->start() == model.size());
    RC_ASSERT(b->head() - b->start() == model_head);
    std::string live(reinterpret_cast<const char*>(b->base()) + b->start(), model.size());
    RC_ASSERT(live == model);
  }
}

}  // namespace
}  // namespace crossmux::codecs
