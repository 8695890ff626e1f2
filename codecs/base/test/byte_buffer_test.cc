// ByteBuffer append/consume behaviour, checked as a property against std::string.
#include "codecs/base/byte_buffer.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace crossmux::codecs {
namespace {

TEST(ByteBuffer, AppendConsumeAndBigEndianHelpers) {
  ByteBuffer b;
  b.append(std::string_view("hello"));
  uint8_t* p = b.prepare(4);
  store_u32be(p, 0x01020304);
  b.commit(4);
  EXPECT_EQ(b.size(), 9u);
  EXPECT_EQ(load_u32be(b.data() + 5), 0x01020304u);
  b.consume(5);
  EXPECT_EQ(load_u24be(b.data() + 1), 0x020304u);
  b.consume(4);
  EXPECT_TRUE(b.empty());
}

// Model: any sequence of appends and consumes leaves the same bytes as a std::string would.
RC_GTEST_PROP(ByteBuffer, BehavesLikeAString,
              (const std::vector<std::pair<std::string, uint8_t>>& ops)) {
  ByteBuffer b;
  std::string model;
  for (const auto& [data, drop] : ops) {
    b.append(std::string_view(data));
    model += data;
    size_t n = std::min<size_t>(drop, model.size());
    b.consume(n);
    model.erase(0, n);
    RC_ASSERT(b.view() == model);
  }
}

}  // namespace
}  // namespace crossmux::codecs
