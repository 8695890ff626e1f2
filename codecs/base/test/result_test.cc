// Result/Status semantics and error formatting.
#include "codecs/base/result.h"

#include <gtest/gtest.h>

#include <string>

namespace crossmux::codecs {
namespace {

constexpr char kErrTooBig[] = "value too big";

Result<int> half(int v) {
  if (v % 2 != 0) return unexpected(Error::h2(Scope::Stream, H2Code::ProtocolError, kErrTooBig, 3));
  return v / 2;
}

TEST(Result, HoldsValueOrError) {
  auto good = half(8);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 4);
  auto bad = half(7);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().scope, Scope::Stream);
  EXPECT_EQ(bad.error().h2_code(), H2Code::ProtocolError);
  EXPECT_EQ(bad.error().detail, kErrTooBig);  // identity: named static detail strings
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, StatusDefaultsToOk) {
  Status s;
  EXPECT_TRUE(s.has_value());
  Status e = unexpected(Error::http(431, kErrTooBig));
  EXPECT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, 431u);
  EXPECT_EQ(e.error().scope, Scope::Connection);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  auto p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Error, FormatsForHumans) {
  auto e = Error::h2(Scope::Connection, H2Code::FlowControlError, "window overflow", 0);
  EXPECT_EQ(to_string(e), "connection FLOW_CONTROL_ERROR (client): window overflow");
  auto s = Error::h2(Scope::Stream, H2Code::Cancel, "x", 5, Side::Backend);
  EXPECT_EQ(to_string(s), "stream CANCEL (backend): x [stream 5]");
  EXPECT_EQ(to_string(Error::http(400, "bad host")), "connection 400 (client): bad host");
  EXPECT_EQ(to_string(static_cast<H2Code>(0x77)), "UNKNOWN");
  EXPECT_EQ(to_string(H2Code::Http11Required), "HTTP_1_1_REQUIRED");
}

}  // namespace
}  // namespace crossmux::codecs
