// HPACK encoder: representation choices, sensitive fields, table size signalling, table index.
#include "codecs/hpack/encoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/hpack/decoder.h"
#include "codecs/hpack/test/test_util.h"

namespace crossmux::codecs::hpack {
namespace {

std::string encode_hex(Encoder& enc, std::vector<Field> fields) {
  ByteBuffer out;
  enc.encode(fields, out);
  return testing::hex(out.data(), out.size());
}

TEST(HpackEncoder, RepeatedFieldBecomesIndexed) {
  Encoder enc;
  enc.set_huffman(false);
  EXPECT_EQ(encode_hex(enc, {{"x-a", "b"}}), "4003782d610162");
  EXPECT_EQ(encode_hex(enc, {{"x-a", "b"}}), "be");
  // Same name, new value: the dynamic name index is used.
  EXPECT_EQ(encode_hex(enc, {{"x-a", "c"}}), "7e0163");
  EXPECT_EQ(encode_hex(enc, {{"x-a", "b"}, {"x-a", "c"}}), "bfbe");
}

TEST(HpackEncoder, SensitiveFieldsAreNeverIndexed) {
  Encoder enc;
  enc.set_huffman(false);
  // authorization: static name 23 as a 4-bit never-indexed prefix: 0x1f 0x08.
  EXPECT_EQ(encode_hex(enc, {{"authorization", "Basic x"}}), "1f080742617369632078");
  EXPECT_EQ(encode_hex(enc, {{"proxy-authorization", "k"}}), "1f22016b");
  EXPECT_EQ(encode_hex(enc, {{"cookie", "short=1"}}), "1f110773686f72743d31");
  EXPECT_EQ(encode_hex(enc, {{"x-secret", "v", true}}), "1008782d7365637265740176");
  EXPECT_EQ(enc.table().count(), 0u);
  // A sensitive field that matches the static table exactly still is not indexed.
  EXPECT_EQ(encode_hex(enc, {{":method", "GET", true}}), "1203474554");
  // Long cookies are worth indexing.
  const std::string cookie(30, 'c');
  EXPECT_EQ(encode_hex(enc, {{"cookie", cookie}}).substr(0, 4), "601e");
  EXPECT_EQ(encode_hex(enc, {{"cookie", cookie}}), "be");
  // RFC 7541 §7.1.3: the guessable ones are those under 20 octets (kFieldHpackNeverIndexShort):
  // 19 octets stay never-indexed, 20 are indexed.
  EXPECT_EQ(encode_hex(enc, {{"cookie", std::string(19, 'd')}}).substr(0, 6), "1f1113");
  EXPECT_EQ(encode_hex(enc, {{"cookie", std::string(20, 'e')}}).substr(0, 4), "6014");
}

TEST(HpackEncoder, UniqueValuedFieldsAreNotIndexed) {
  Encoder enc;
  enc.set_huffman(false);
  for (const char* name : {":path", "content-length", "etag", "set-cookie", "location", "age",
                           "if-modified-since", "if-none-match"}) {
    const std::string once = encode_hex(enc, {{name, "12345"}});
    EXPECT_EQ(encode_hex(enc, {{name, "12345"}}), once) << name;
    EXPECT_EQ(once.substr(0, 1), "0") << name;  // literal without indexing
  }
  EXPECT_EQ(enc.table().count(), 0u);
  // Entries over 3/4 of the table are not indexed either.
  const std::string big(3100, 'b');
  encode_hex(enc, {{"x-big", big}});
  EXPECT_EQ(enc.table().count(), 0u);
}

// A field its producer marked unique (the proxy's request id) is a literal without indexing (RFC
// 7541 §6.2.2: "0000" then the name), not a never-indexed one, and leaves the table alone; the
// same name unmarked is indexed.
TEST(HpackEncoder, FieldsMarkedUniqueAreLiteralsWithoutIndexing) {
  Encoder enc;
  enc.set_huffman(false);
  EXPECT_EQ(encode_hex(enc, {{"x-id", "1", false, true}}), "0004782d69640131");
  EXPECT_EQ(encode_hex(enc, {{"x-id", "2", false, true}}), "0004782d69640132");
  EXPECT_EQ(enc.table().count(), 0u);
  EXPECT_EQ(encode_hex(enc, {{"x-id", "3"}}), "4004782d69640133");
  EXPECT_EQ(enc.table().count(), 1u);
  // Marked, its name still comes from the table when there: dynamic index 62, 4-bit prefix.
  EXPECT_EQ(encode_hex(enc, {{"x-id", "4", false, true}}), "0f2f0134");
  EXPECT_EQ(enc.table().count(), 1u);
}

TEST(HpackEncoder, HuffmanOnlyWhenShorter) {
  Encoder enc;
  const std::string binary(8, '\0');  // 13-bit codes: longer than raw
  EXPECT_EQ(encode_hex(enc, {{"x", binary}}), "40017808" + std::string(16, '0'));
  // "www.example.com" is 12 octets in Huffman: used.
  EXPECT_EQ(encode_hex(enc, {{":authority", "www.example.com"}}), "418cf1e3c2e5f23a6ba0ab90f4ff");
}

// RFC 7541 §4.2, attacks §2.13 (a).
TEST(HpackEncoder, TableSizeUpdates) {
  {
    Encoder enc;
    enc.set_peer_max_table_size(1024);
    EXPECT_EQ(encode_hex(enc, {{":method", "GET"}}), "3fe10782");
    EXPECT_EQ(encode_hex(enc, {{":method", "GET"}}), "82");
    EXPECT_EQ(enc.table().max_size(), 1024u);
  }
  {
    Encoder enc;  // smallest value since the last block, then the final one
    enc.set_peer_max_table_size(0);
    enc.set_peer_max_table_size(2048);
    EXPECT_EQ(encode_hex(enc, {{":method", "GET"}}), "203fe10f82");
  }
  {
    Encoder enc;  // down and back up again: the peer's decoder still expects the minimum
    enc.set_peer_max_table_size(100);
    enc.set_peer_max_table_size(4096);
    EXPECT_EQ(encode_hex(enc, {{":method", "GET"}}), "3f453fe11f82");
  }
  {
    Encoder enc;  // a huge peer setting is clamped by our cap: nothing to signal
    enc.set_peer_max_table_size(UINT32_MAX);
    EXPECT_EQ(encode_hex(enc, {{":method", "GET"}}), "82");
    EXPECT_EQ(enc.table().max_size(), kDefaultTableSize);
  }
  {
    Encoder enc(256);  // a cap below the protocol default is signalled in the first block
    EXPECT_EQ(encode_hex(enc, {{":method", "GET"}}), "3fe10182");
    enc.set_max_table_size_cap(0);
    EXPECT_EQ(encode_hex(enc, {{"x-a", "b"}}).substr(0, 2), "20");
    EXPECT_EQ(enc.table().count(), 0u);
  }
}

// A larger table than the protocol default, when both the peer and our cap allow it: storage and
// index grow, and every entry stays addressable.
TEST(HpackEncoder, GrowsBeyondDefaultTable) {
  Encoder enc(65536);
  enc.set_peer_max_table_size(65536);
  Decoder dec(DecoderLimits{.max_table_size = 65536, .max_field_count = 1000});
  DecodedBlock block;
  std::vector<std::string> values;
  std::vector<Field> fields;
  for (int i = 0; i < 300; ++i)
    values.push_back(std::string(100, 'a' + i % 26) + std::to_string(i));
  for (const std::string& v : values) fields.push_back({"x-v", v});
  ByteBuffer out;
  enc.encode(fields, out);
  EXPECT_EQ(testing::hex(out.data(), 4), "3fe1ff03");
  ASSERT_TRUE(dec.decode(out.bytes(), block).has_value());
  EXPECT_EQ(enc.table().count(), 300u);
  ByteBuffer again;
  enc.encode(fields, again);
  // Every field is now an exact hit: indexes 62..361, one octet below 127, two below 255.
  EXPECT_EQ(again.size(), 65u * 1 + 128u * 2 + 107u * 3);
  ASSERT_TRUE(dec.decode(again.bytes(), block).has_value());
  ASSERT_EQ(block.size(), 300u);
  EXPECT_EQ(block[299].value, values[299]);
}

// Entries that survive a shrink are still found by the index afterwards.
TEST(HpackEncoder, IndexSurvivesResize) {
  Encoder enc;
  enc.set_huffman(false);
  encode_hex(enc, {{"x-a", "1"}, {"x-b", "2"}, {"x-c", "3"}});
  enc.set_peer_max_table_size(80);  // room for two 36-octet entries
  EXPECT_EQ(encode_hex(enc, {{"x-c", "3"}}), "3f31be");
  EXPECT_EQ(encode_hex(enc, {{"x-b", "2"}}), "bf");
  EXPECT_EQ(enc.table().count(), 2u);
}

// Many distinct entries through a small table: the index's lazy deletion and rebuilds keep
// returning the right positions (checked by decoding).
TEST(HpackEncoder, ChurnThroughTheIndex) {
  Encoder enc;
  Decoder dec;
  DecodedBlock block;
  for (int i = 0; i < 5000; ++i) {
    const std::string v1 = std::to_string(i % 97);
    const std::string v2 = std::to_string(i % 13);
    const std::vector<Field> fields = {{"x-one", v1}, {"x-two", v2}, {"x-one", v1}};
    ByteBuffer out;
    enc.encode(fields, out);
    ASSERT_TRUE(dec.decode(out.bytes(), block).has_value());
    ASSERT_EQ(block.size(), 3u);
    ASSERT_EQ(block[0].value, v1);
    ASSERT_EQ(block[1].value, v2);
    ASSERT_EQ(block[2].value, v1);
    ASSERT_LE(enc.table().size(), enc.table().max_size());
  }
}

}  // namespace
}  // namespace crossmux::codecs::hpack
