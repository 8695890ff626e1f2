// The word-at-a-time tests against their octet-by-octet definitions.
#include "codecs/base/swar.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>
#include <tuple>

#include "codecs/base/token.h"

namespace crossmux::codecs::swar {
namespace {

// Octets at the edges of every class the tests tell apart (controls, space, DEL, capitals, the
// octets 0x20 away from capitals that are not letters, obs-text).
constexpr std::array<uint8_t, 24> kEdges = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x0e, 0x1f, 0x20,
                                            0x21, 0x40, 0x41, 0x5a, 0x5b, 0x60, 0x61, 0x7a,
                                            0x7b, 0x7e, 0x7f, 0x80, 0x81, 0xc1, 0xda, 0xff};

uint64_t word_of(const std::array<uint8_t, 8>& b) {
  uint64_t w;
  std::memcpy(&w, b.data(), 8);
  return w;
}

// Every word with two edge octets anywhere (the rest 'x'), then random words.
template <class Check>
void for_words(Check&& check) {
  for (size_t i = 0; i < 8; ++i) {
    for (size_t j = i; j < 8; ++j) {
      for (uint8_t a : kEdges) {
        for (uint8_t b : kEdges) {
          std::array<uint8_t, 8> o;
          o.fill('x');
          o[i] = a;
          o[j] = b;
          check(o);
        }
      }
    }
  }
  std::mt19937_64 rng(19);
  for (int k = 0; k < 200000; ++k) {
    std::array<uint8_t, 8> o;
    const uint64_t r = rng();
    for (size_t i = 0; i < 8; ++i) o[i] = static_cast<uint8_t>(r >> (8 * i));
    check(o);
  }
}

TEST(Swar, AnyBelowAndAnyEqualSayExactlyWhetherSomeOctetQualifies) {
  for_words([](const std::array<uint8_t, 8>& o) {
    const uint64_t w = word_of(o);
    for (uint8_t n : {uint8_t{0x0e}, uint8_t{0x20}, uint8_t{0x80}}) {
      bool some = false;
      for (uint8_t c : o) some |= c < n;
      ASSERT_EQ(any_below(w, n) != 0, some) << std::hex << w << " below " << int(n);
    }
    for (uint8_t v : {uint8_t{0x00}, uint8_t{0x0a}, uint8_t{0x7f}}) {
      bool some = false;
      for (uint8_t c : o) some |= c == v;
      ASSERT_EQ(any_equal(w, v) != 0, some) << std::hex << w << " equal " << int(v);
    }
  });
}

TEST(Swar, InRangeAndEqualOctetsMarkExactlyTheOctetsThatQualify) {
  for_words([](const std::array<uint8_t, 8>& o) {
    const uint64_t w = word_of(o);
    const uint64_t letters = in_range(w, 'a', 'z'), capitals = in_range(w, 'A', 'Z');
    const uint64_t digits = in_range(w, '0', '9'), dashes = equal_octets(w, '-');
    const uint64_t nuls = equal_octets(w, 0);
    for (size_t i = 0; i < 8; ++i) {
      const uint8_t c = o[i];
      const auto bit = [&](uint64_t m) { return ((m >> (8 * i)) & 0xff) != 0; };
      ASSERT_EQ(bit(letters), c >= 'a' && c <= 'z') << int(c) << " at " << i;
      ASSERT_EQ(bit(capitals), c >= 'A' && c <= 'Z') << int(c) << " at " << i;
      ASSERT_EQ(bit(digits), c >= '0' && c <= '9') << int(c) << " at " << i;
      ASSERT_EQ(bit(dashes), c == '-') << int(c) << " at " << i;
      ASSERT_EQ(bit(nuls), c == 0) << int(c) << " at " << i;
    }
  });
}

TEST(Swar, TokensAndCapitalsAreFoundAtEveryPosition) {
  for (size_t len = 1; len <= 19; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'n');
        s[pos] = static_cast<char>(c);
        ASSERT_EQ(is_token(s), kTokenChars[c]) << "len " << len << " pos " << pos << " " << c;
        ASSERT_EQ(has_ascii_upper(s), c >= 'A' && c <= 'Z') << "len " << len << " pos " << pos;
      }
    }
  }
  EXPECT_FALSE(is_token(""));
  static_assert(is_token("content-length") && !is_token("a b"));  // usable at compile time
}

TEST(Swar, AsciiLowerFoldsCapitalsAndNothingElse) {
  for_words([](const std::array<uint8_t, 8>& o) {
    const uint64_t lowered = ascii_lower(word_of(o));
    for (size_t i = 0; i < 8; ++i) {
      const auto expect = static_cast<uint8_t>(ascii_lower(static_cast<char>(o[i])));
      ASSERT_EQ(static_cast<uint8_t>(lowered >> (8 * i)), expect) << "octet " << int(o[i]);
    }
  });
  EXPECT_EQ(ascii_lower('A'), 'a');
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('@'), '@');
  EXPECT_EQ(ascii_lower('['), '[');
  EXPECT_EQ(ascii_lower('\xc1'), '\xc1');
}

TEST(Swar, IequalsFoldsOnlyAsciiLettersAtEveryPosition) {
  // Lengths around the word size; at each position an octet and its case partner (equal), then
  // an octet 0x20 away that is not its case partner (different: '@' / '`', '[' / '{', 0xc1 /
  // 0xe1), then a plain mismatch.
  for (size_t len = 1; len <= 19; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      std::string a(len, 'k'), b(len, 'K');
      EXPECT_TRUE(iequals(a, b)) << len;
      for (auto [x, y, same] : {std::tuple{'Q', 'q', true}, std::tuple{'@', '`', false},
                                std::tuple{'[', '{', false}, std::tuple{'\xc1', '\xe1', false},
                                std::tuple{'a', 'b', false}, std::tuple{'-', '-', true}}) {
        a[pos] = x;
        b[pos] = y;
        EXPECT_EQ(iequals(a, b), same) << "len " << len << " pos " << pos << " " << x << y;
        EXPECT_EQ(iequals(b, a), same);
      }
    }
  }
  EXPECT_FALSE(iequals("host", "hos"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
}

TEST(Swar, NoneOfChecksEveryOctetAtEveryPosition) {
  const auto flag = [](uint64_t w) { return any_below(w, 0x20) | any_equal(w, 0x7f); };
  const auto bad = [](uint8_t c) { return (c < 0x20 && c != '\t') || c == 0x7f; };
  for (size_t len = 0; len <= 19; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string s(len, 'v');
        s[pos] = static_cast<char>(c);
        ASSERT_EQ(none_of(s, flag, bad), !bad(static_cast<uint8_t>(c)))
            << "len " << len << " pos " << pos << " octet " << c;
      }
    }
  }
}

}  // namespace
}  // namespace crossmux::codecs::swar
