// The one Content-Length parser (RFC 9110 §8.6): digits, the 2^63-1 bound, identical lists.
#include "codecs/base/content_length.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace crossmux::codecs {
namespace {

using V = ContentLengthVerdict;

TEST(ContentLength, DigitsWithLeadingZerosAreLengths) {
  EXPECT_EQ(parse_content_length("0").value, 0u);
  EXPECT_TRUE(parse_content_length("005").ok());
  EXPECT_EQ(parse_content_length("005").value, 5u);
  EXPECT_EQ(parse_content_length("00000000000000000000000000007").value, 7u);
  EXPECT_FALSE(parse_content_length("5").list);
}

TEST(ContentLength, BoundIsTwoToTheSixtyThreeMinusOne) {
  ContentLength max = parse_content_length("9223372036854775807");
  EXPECT_TRUE(max.ok());
  EXPECT_EQ(max.value, kMaxContentLength);
  EXPECT_EQ(parse_content_length("9223372036854775808").verdict, V::Overflow);
  EXPECT_EQ(parse_content_length("18446744073709551621").verdict, V::Overflow);
  EXPECT_EQ(parse_content_length("0009223372036854775807").value, kMaxContentLength);
  // An overflowing element followed by a non-digit is invalid, not an overflow.
  EXPECT_EQ(parse_content_length("99999999999999999999x").verdict, V::Invalid);
}

TEST(ContentLength, NotDigitsIsInvalid) {
  for (const char* v : {"", " ", "+5", "-1", "0x5", "5 5", "5;", "1e3", "\t5", "5\t", "５"}) {
    EXPECT_EQ(parse_content_length(v).verdict, V::Invalid) << v;
  }
}

TEST(ContentLength, IdenticalListsCollapseOthersDoNot) {
  ContentLength l = parse_content_length("5, 5,5 ,\t5");
  EXPECT_TRUE(l.ok());
  EXPECT_TRUE(l.list);
  EXPECT_EQ(l.value, 5u);
  EXPECT_EQ(parse_content_length("05, 5").value, 5u);  // the same value, spelled twice
  EXPECT_EQ(parse_content_length("5, 6").verdict, V::Conflicting);
  EXPECT_EQ(parse_content_length("5, , 5").verdict, V::Invalid);
  EXPECT_EQ(parse_content_length("5,").verdict, V::Invalid);
  EXPECT_EQ(parse_content_length(",5").verdict, V::Invalid);
}

// Any value the parser accepts is the decimal number its digits spell, whatever the zeros.
RC_GTEST_PROP(ContentLength, AcceptedValuesAreTheirDigits, (uint64_t n, uint8_t zeros)) {
  n &= kMaxContentLength;
  const std::string text = std::string(zeros % 40, '0') + std::to_string(n);
  const ContentLength cl = parse_content_length(text);
  RC_ASSERT(cl.ok());
  RC_ASSERT(cl.value == n);
  RC_ASSERT(!cl.list);
}

}  // namespace
}  // namespace crossmux::codecs
