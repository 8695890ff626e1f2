// Tests of HPACK prefix integers and Huffman coding, with vectors and rapidcheck properties.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "codecs/hpack/hpack_errors.h"
#include "codecs/hpack/huffman.h"
#include "codecs/hpack/integer.h"
#include "codecs/hpack/test/test_util.h"

namespace crossmux::codecs::hpack {
namespace {

using testing::unhex;

struct IntResult {
  const char* err;
  uint32_t value;
  size_t consumed;
};

IntResult decode_int(const std::vector<uint8_t>& in, unsigned prefix) {
  const uint8_t* p = in.data();
  uint32_t v = 0;
  const char* err = decode_integer(p, in.data() + in.size(), prefix, v);
  return {err, v, static_cast<size_t>(p - in.data())};
}

// RFC 7541 C.1.1-C.1.3.
TEST(HpackInteger, RfcExamples) {
  uint8_t buf[kMaxIntegerBytes];
  EXPECT_EQ(encode_integer(buf, 10, 5, 0), 1u);
  EXPECT_EQ(buf[0], 0x0a);
  ASSERT_EQ(encode_integer(buf, 1337, 5, 0), 3u);
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 3), (std::vector<uint8_t>{0x1f, 0x9a, 0x0a}));
  EXPECT_EQ(encode_integer(buf, 42, 8, 0), 1u);
  EXPECT_EQ(buf[0], 42);

  auto r = decode_int({0x1f, 0x9a, 0x0a}, 5);
  EXPECT_EQ(r.err, nullptr);
  EXPECT_EQ(r.value, 1337u);
  EXPECT_EQ(r.consumed, 3u);
}

TEST(HpackInteger, LargestValueAndLimits) {
  uint8_t buf[kMaxIntegerBytes];
  const size_t n = encode_integer(buf, UINT32_MAX, 5, 0x20);
  EXPECT_EQ(n, 6u);
  auto r = decode_int(std::vector<uint8_t>(buf, buf + n), 5);
  EXPECT_EQ(r.err, nullptr);
  EXPECT_EQ(r.value, UINT32_MAX);
  // Attacks §2.14: many continuation octets overflow 2^32-1.
  EXPECT_EQ(decode_int(unhex("1fffffffffffffffff7f"), 5).err, kIntegerOverflow);
  // 2^32 exactly.
  EXPECT_EQ(decode_int(unhex("1fe1ffffff0f"), 5).err, kIntegerOverflow);
  // A small value padded with redundant zero groups: longer than any legal encoding.
  EXPECT_EQ(decode_int(unhex("1f808080808000"), 5).err, kIntegerTooLong);
  EXPECT_EQ(decode_int(unhex("1f80808080"), 5).err, kTruncated);
  EXPECT_EQ(decode_int(unhex("1f"), 5).err, kTruncated);
}

RC_GTEST_PROP(HpackInteger, RoundTrip, (uint32_t value, uint8_t prefix_seed, uint8_t flags)) {
  const unsigned prefix = 1 + prefix_seed % 8;
  const uint8_t high = prefix == 8 ? 0 : static_cast<uint8_t>(flags & ~((1u << prefix) - 1));
  uint8_t buf[kMaxIntegerBytes];
  const size_t n = encode_integer(buf, value, prefix, high);
  RC_ASSERT(n <= kMaxIntegerBytes);
  RC_ASSERT((buf[0] & ~((1u << prefix) - 1) & 0xff) == high);
  auto r = decode_int(std::vector<uint8_t>(buf, buf + n), prefix);
  RC_ASSERT(r.err == nullptr);
  RC_ASSERT(r.value == value);
  RC_ASSERT(r.consumed == n);
  RC_ASSERT(integer_size(value, prefix) == n);
}

std::string testing_hex(const uint8_t* p, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += "0123456789abcdef"[p[i] >> 4];
    out += "0123456789abcdef"[p[i] & 15];
  }
  return out;
}

struct HuffResult {
  const char* err;
  std::string text;
};

HuffResult huff_decode(const std::vector<uint8_t>& in) {
  std::string out(huffman_decoded_bound(in.size()), '\0');
  size_t n = 0;
  const char* err = huffman_decode(in.data(), in.size(), out.data(), n);
  out.resize(err ? 0 : n);
  return {err, out};
}

std::vector<uint8_t> huff_encode(std::string_view s) {
  const size_t size = huffman_encoded_size(s);
  std::vector<uint8_t> out(size + kHuffmanEncodeSlack);
  EXPECT_EQ(huffman_encode(s, out.data()), size);
  out.resize(size);
  return out;
}

// RFC 7541 C.4 and C.6 Huffman strings.
TEST(HpackHuffman, RfcVectors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"},
      {"no-cache", "a8eb10649cbf"},
      {"custom-key", "25a849e95ba97d7f"},
      {"custom-value", "25a849e95bb8e8b4bf"},
      {"302", "6402"},
      {"private", "aec3771a4b"},
      {"Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"},
      {"https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"},
      {"gzip", "9bd9ab"},
      {"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
       "94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d500"
       "7"},
  };
  for (auto [text, hex] : cases) {
    EXPECT_EQ(huff_encode(text), unhex(hex)) << text;
    auto r = huff_decode(unhex(hex));
    EXPECT_EQ(r.err, nullptr) << text;
    EXPECT_EQ(r.text, text);
  }
}

TEST(HpackHuffman, EveryOctetRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (int i = 255; i >= 0; --i) all.push_back(static_cast<char>(i));
  auto r = huff_decode(huff_encode(all));
  EXPECT_EQ(r.err, nullptr);
  EXPECT_EQ(r.text, all);
  EXPECT_EQ(huff_decode({}).text, "");
}

// h2spec hpack/5.2/1-3 and attacks §2.14.
TEST(HpackHuffman, RejectsBadPaddingAndEos) {
  // The h2spec string, encoded by us, then mutated.
  std::vector<uint8_t> good = huff_encode("x-test");
  ASSERT_EQ(huff_decode(good).err, nullptr);
  std::vector<uint8_t> longer = good;
  longer.push_back(0xff);  // an extra all-ones octet: 8+ bits of padding
  EXPECT_EQ(huff_decode(longer).err, kHuffmanPaddingTooLong);
  // 'a' is 00011 (5 bits): padded with three 0-bits instead of ones.
  EXPECT_EQ(huff_decode({0x18}).err, kHuffmanPaddingNotEos);
  EXPECT_EQ(huff_decode({0x1f}).text, "a");
  // The full 30-bit EOS code followed by 2 one bits of padding.
  EXPECT_EQ(huff_decode({0xff, 0xff, 0xff, 0xff}).err, kHuffmanEos);
  // 'a' then EOS (5 + 30 bits) then 5 bits of padding.
  EXPECT_EQ(huff_decode({0x1f, 0xff, 0xff, 0xff, 0xff}).err, kHuffmanEos);
  // A lone all-ones octet is 8 bits of padding.
  EXPECT_EQ(huff_decode({0xff}).err, kHuffmanPaddingTooLong);
  // Seven bits of ones is legal padding after a whole symbol; "0" is 00000 then 111.
  EXPECT_EQ(huff_decode({0x07}).text, "0");
}

RC_GTEST_PROP(HpackHuffman, RoundTrip, (const std::string& s)) {
  auto r = huff_decode(huff_encode(s));
  RC_ASSERT(r.err == nullptr);
  RC_ASSERT(r.text == s);
}

// The one-pass encoder agrees with the two-pass one: same octets when shorter, 0 otherwise.
RC_GTEST_PROP(HpackHuffman, EncodeIfShorterAgrees, (const std::string& s)) {
  std::vector<uint8_t> out(s.size() + kHuffmanEncodeSlack);
  const size_t n = huffman_encode_if_shorter(s, out.data());
  const std::vector<uint8_t> full = huff_encode(s);
  if (full.size() < s.size()) {
    RC_ASSERT(n == full.size());
    RC_ASSERT(std::vector<uint8_t>(out.begin(), out.begin() + n) == full);
  } else {
    RC_ASSERT(n == 0u);
  }
}

TEST(HpackHuffman, EncodeIfShorterEdges) {
  uint8_t out[16 + kHuffmanEncodeSlack];
  EXPECT_EQ(huffman_encode_if_shorter("", out), 0u);
  EXPECT_EQ(huffman_encode_if_shorter("a", out), 0u);   // 5 bits still take one octet
  EXPECT_EQ(huffman_encode_if_shorter("aa", out), 0u);  // 10 bits: two octets
  ASSERT_EQ(huffman_encode_if_shorter("aaaa", out), 3u);
  EXPECT_EQ(testing_hex(out, 3), "18c63f");
  EXPECT_EQ(huffman_encode_if_shorter(std::string(8, '\0'), out), 0u);
}

// Any input decodes or fails cleanly, and what decodes re-encodes to the same octets when the
// padding was canonical.
RC_GTEST_PROP(HpackHuffman, ArbitraryInputIsSafe, (const std::vector<uint8_t>& in)) {
  auto r = huff_decode(in);
  if (r.err == nullptr) {
    RC_ASSERT(huff_encode(r.text) == in);
  }
}

}  // namespace
}  // namespace crossmux::codecs::hpack
