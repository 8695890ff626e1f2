// HPACK decoder: malformed blocks (h2spec hpack cases, attack catalogue §2.13-2.14), table size
// updates, limits (HPACK bomb §2.12, empty fields §2.6) and dynamic table edge cases.
#include "codecs/hpack/decoder.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "codecs/hpack/hpack_errors.h"
#include "codecs/hpack/huffman.h"
#include "codecs/hpack/integer.h"
#include "codecs/hpack/static_table.h"
#include "codecs/hpack/test/test_util.h"

namespace crossmux::codecs::hpack {
namespace {

using testing::unhex;
using Bytes8 = std::vector<uint8_t>;

Bytes8 cat(Bytes8 a, const Bytes8& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The h2spec request block: GET http / with :authority indexed (one dynamic entry).
const Bytes8 kGet = cat(unhex("828684"), cat(unhex("41096c6f63616c686f7374"), {}));

Error compression(const char* detail) {
  return Error::h2(Scope::Connection, H2Code::CompressionError, detail);
}

// Decodes one block with a fresh decoder; returns the error, or a default Error on success.
Error decode_error(const Bytes8& block, DecoderLimits limits = {}) {
  Decoder dec(limits);
  DecodedBlock out;
  const Status st = dec.decode(block, out);
  return st.has_value() ? Error{} : st.error();
}

TEST(HpackDecoder, GetBlockDecodes) {
  Decoder dec;
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(kGet, out).has_value());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[3].name, ":authority");
  EXPECT_EQ(out[3].value, "localhost");
  EXPECT_EQ(dec.table().count(), 1u);
}

// h2spec-catalogue.md §3.3, every case with its exact detail.
TEST(HpackDecoder, H2specHpackCases) {
  // 2.3.3/1: indexed field with index 70.
  EXPECT_EQ(decode_error(cat(kGet, {0x80 | 70})), compression(kIndexOutOfRange));
  // 2.3.3/2: literal with incremental indexing, name index 70, empty value.
  EXPECT_EQ(decode_error(cat(kGet, {0x7f, 70 - 63, 0x00})), compression(kIndexOutOfRange));
  // 4.2/1: table size update after the fields.
  EXPECT_EQ(decode_error(cat(kGet, {0x21})), compression(kSizeUpdateNotAtStart));
  // 5.2/1-3: Huffman value of x-test with an extra 0xff, zero padding, EOS inside.
  Bytes8 value(huffman_encoded_size("test") + kHuffmanEncodeSlack);
  value.resize(huffman_encode("test", value.data()));
  // "test" is 5+5+5+5 = 20 bits: 4 bits of padding in the last octet.
  ASSERT_EQ(value.size(), 3u);
  const Bytes8 x_test = {0x00, 0x06, 'x', '-', 't', 'e', 's', 't'};
  EXPECT_EQ(decode_error(cat(kGet, cat(x_test, cat({0x84}, cat(value, {0xff}))))),
            compression(kHuffmanPaddingTooLong));
  Bytes8 zero_padded = value;
  zero_padded.back() &= 0xf0;
  EXPECT_EQ(decode_error(cat(kGet, cat(x_test, cat({0x83}, zero_padded)))),
            compression(kHuffmanPaddingNotEos));
  // 't' (01001) then EOS (30 ones) then 5 ones of padding: 40 bits.
  EXPECT_EQ(decode_error(cat(kGet, cat(x_test, unhex("85 4f ff ff ff ff")))),
            compression(kHuffmanEos));
  // 6.1/1: index 0.
  EXPECT_EQ(decode_error(cat(kGet, {0x80})), compression(kIndexZero));
  // 6.3/1: the block opens with a size update to our setting + 1.
  EXPECT_EQ(decode_error(cat(unhex("3fe21f"), kGet)), compression(kSizeUpdateTooLarge));
  EXPECT_EQ(decode_error(cat(unhex("3fe11f"), kGet)), Error{});  // exactly 4096 is fine
}

// attacks-and-fuzzing.md §2.14.
TEST(HpackDecoder, IntegerAndStringOverflow) {
  EXPECT_EQ(decode_error(unhex("ff ff ff ff ff ff ff ff ff 7f")), compression(kIntegerOverflow));
  EXPECT_EQ(decode_error(unhex("ff 80 80 80 80 80 00")), compression(kIntegerTooLong));
  EXPECT_EQ(decode_error(unhex("ff 80")), compression(kTruncated));
  // Name length 5 with 1 octet left; a length near 2^32 (legal integer, absurd string).
  EXPECT_EQ(decode_error(unhex("00 05 61")), compression(kStringBeyondBlock));
  EXPECT_EQ(decode_error(unhex("00 7f ff ff ff ff 07")), compression(kStringBeyondBlock));
  // Literal cut before its name, or before its value.
  EXPECT_EQ(decode_error(unhex("40")), compression(kTruncated));
  EXPECT_EQ(decode_error(unhex("00 01 61")), compression(kTruncated));
  EXPECT_EQ(decode_error(unhex("0f")), compression(kTruncated));
  // Index just past the static table with an empty dynamic table.
  EXPECT_EQ(decode_error(unhex("be")), compression(kIndexOutOfRange));
  EXPECT_EQ(decode_error(unhex("bd")), Error{});
}

// §2.13 (e): shrink the table to 0, then reference a dynamic index.
TEST(HpackDecoder, ShrinkToZeroThenReference) {
  Decoder dec;
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(kGet, out).has_value());
  ASSERT_TRUE(dec.decode(unhex("be"), out).has_value());
  EXPECT_EQ(out[0].value, "localhost");
  const Status st = dec.decode(unhex("20 be"), out);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error(), compression(kIndexOutOfRange));
  // The context is lost: the decoder refuses further blocks.
  EXPECT_EQ(dec.decode(unhex("82"), out).error(), compression(kContextFailed));
}

TEST(HpackDecoder, SeveralSizeUpdatesAtStart) {
  Decoder dec;
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(kGet, out).has_value());
  ASSERT_TRUE(dec.decode(unhex("20 3fe11f 82"), out).has_value());
  EXPECT_EQ(dec.table().count(), 0u);
  EXPECT_EQ(dec.table().max_size(), 4096u);
}

// RFC 7541 §4.2: after we lower SETTINGS_HEADER_TABLE_SIZE the peer must open its next block with
// an update no larger than the smallest value we set.
TEST(HpackDecoder, LoweredSettingRequiresUpdate) {
  {
    Decoder dec;
    DecodedBlock out;
    dec.set_max_table_size(1024);
    EXPECT_EQ(dec.decode(unhex("82"), out).error(), compression(kSizeUpdateMissing));
  }
  {
    Decoder dec;
    DecodedBlock out;
    dec.set_max_table_size(1024);
    EXPECT_EQ(dec.decode(unhex("3fe11f 82"), out).error(), compression(kSizeUpdateTooLarge));
  }
  {
    Decoder dec;
    DecodedBlock out;
    dec.set_max_table_size(0);
    dec.set_max_table_size(4096);
    EXPECT_EQ(dec.decode(unhex("3fe11f 82"), out).error(), compression(kSizeUpdateMissing));
  }
  {
    Decoder dec;
    DecodedBlock out;
    dec.set_max_table_size(0);
    dec.set_max_table_size(4096);
    ASSERT_TRUE(dec.decode(unhex("20 3fe11f 82"), out).has_value());
    ASSERT_TRUE(dec.decode(unhex("82"), out).has_value());  // satisfied once
  }
  {
    // §4.2: lowered twice (to 100, then up to 2000) between blocks, the smallest value must be
    // signalled; an update to the final 2000 alone does not acknowledge the 100.
    Decoder dec;
    DecodedBlock out;
    dec.set_max_table_size(100);
    dec.set_max_table_size(2000);
    EXPECT_EQ(dec.decode(unhex("3fb10f 82"), out).error(), compression(kSizeUpdateMissing));
  }
  {
    Decoder dec;
    DecodedBlock out;
    dec.set_max_table_size(100);
    dec.set_max_table_size(2000);
    ASSERT_TRUE(dec.decode(unhex("3f45 3fb10f 82"), out).has_value());
    EXPECT_EQ(dec.table().max_size(), 2000u);
  }
  {
    Decoder dec;  // raising the setting obliges nothing
    DecodedBlock out;
    dec.set_max_table_size(8192);
    ASSERT_TRUE(dec.decode(unhex("82"), out).has_value());
    ASSERT_TRUE(dec.decode(unhex("3fe13f 82"), out).has_value());
    EXPECT_EQ(dec.table().max_size(), 8192u);
  }
}

// RFC 7541 §4.4: a literal whose indexed name is the entry its own insertion evicts.
TEST(HpackDecoder, InsertEvictingItsOwnNameSource) {
  Decoder dec(DecoderLimits{.max_table_size = 100});
  DecodedBlock out;
  const std::string name(30, 'n');
  const std::string value(30, 'v');
  Bytes8 first = {0x40, 30};
  first.insert(first.end(), name.begin(), name.end());
  first.push_back(0x00);
  ASSERT_TRUE(dec.decode(first, out).has_value());
  EXPECT_EQ(dec.table().size(), 62u);
  Bytes8 second = {0x40 | 62, 30};
  second.insert(second.end(), value.begin(), value.end());
  ASSERT_TRUE(dec.decode(second, out).has_value());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, name);
  EXPECT_EQ(out[0].value, value);
  ASSERT_EQ(dec.table().count(), 1u);
  EXPECT_EQ(dec.table().get(0).name, name);
  EXPECT_EQ(dec.table().size(), 92u);
}

// RFC 7541 §4.4: only an entry *larger* than the table empties it; one of exactly the maximum size
// evicts everything else and is stored.
TEST(HpackDecoder, EntryOfExactlyTheTableSizeIsStored) {
  Decoder dec(DecoderLimits{.max_table_size = 100});
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(unhex("40 01 61 01 62"), out).has_value());  // a: b, 34 octets
  const std::string name(30, 'n');
  const std::string value(38, 'v');  // 30 + 38 + 32 = 100
  Bytes8 block = {0x40, 30};
  block.insert(block.end(), name.begin(), name.end());
  block.push_back(38);
  block.insert(block.end(), value.begin(), value.end());
  block.push_back(0x80 | 62);  // the entry just inserted
  ASSERT_TRUE(dec.decode(block, out).has_value());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].name, name);
  EXPECT_EQ(out[1].value, value);
  ASSERT_EQ(dec.table().count(), 1u);
  EXPECT_EQ(dec.table().size(), 100u);
}

// The same in the encoder's (non-stable) mode, where eviction and compaction reuse the bytes the
// name views.
TEST(HpackDynamicTable, NameAliasingAnEvictedEntry) {
  DynamicTable table(100);
  const std::string name(30, 'n');
  table.insert(name, "");
  for (int i = 0; i < 20; ++i) {
    const std::string value(30, static_cast<char>('a' + i));
    table.insert(table.get(0).name, value);
    ASSERT_EQ(table.count(), 1u);
    EXPECT_EQ(table.get(0).name, name);
    EXPECT_EQ(table.get(0).value, value);
    EXPECT_EQ(table.size(), 92u);
  }
  table.insert(std::string(100, 'x'), "");  // larger than the table: empties it
  EXPECT_EQ(table.count(), 0u);
  EXPECT_EQ(table.size(), 0u);
}

// §2.13 (d): churn with entries near the table size; the accounting stays exact.
TEST(HpackDecoder, TableChurnKeepsExactSize) {
  Decoder dec;
  DecodedBlock out;
  for (int i = 0; i < 200; ++i) {
    const std::string value(4000 - i % 7, static_cast<char>('a' + i % 26));
    Bytes8 block = {0x40, 0x01, 'x', 0x7f};
    uint8_t len[kMaxIntegerBytes];
    const size_t n = encode_integer(len, static_cast<uint32_t>(value.size()), 7, 0);
    block.back() = len[0];
    block.insert(block.end(), len + 1, len + n);
    block.insert(block.end(), value.begin(), value.end());
    block.push_back(0xbe);
    ASSERT_TRUE(dec.decode(block, out).has_value());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].value, value);
    EXPECT_EQ(dec.table().count(), 1u);
    EXPECT_EQ(dec.table().size(), 1 + value.size() + 32);
  }
}

// The §2.12 bomb block: an indexed 4000-octet entry, then `refs` references to it.
Bytes8 bomb(size_t refs) {
  Bytes8 block = unhex("40 01 62 7f a1 1e");  // name "b", value length 127 + 3873 = 4000
  block.insert(block.end(), 4000, 'v');
  block.insert(block.end(), refs, 0xbe);
  return block;
}

TEST(HpackDecoder, BombStopsAtHeaderListSizeAndStaysInSync) {
  Decoder dec;  // 65536-octet list limit, LimitAction::Continue
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(bomb(16000), out).has_value());
  EXPECT_EQ(out.limit(), Limit::HeaderListSize);
  EXPECT_STREQ(out.limit_detail(), kHeaderListTooLarge);
  EXPECT_EQ(out.size(), 65536u / 4033);  // each field costs 1 + 4000 + 32
  EXPECT_EQ(out.header_list_size(), out.size() * 4033u);
  EXPECT_LE(out.size() * 4001, 65536u);
  // The arena holds what was stored, not 16000 copies.
  // The context survived: the next block still references the entry.
  ASSERT_TRUE(dec.decode(unhex("be"), out).has_value());
  EXPECT_EQ(out.limit(), Limit::None);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value.size(), 4000u);
}

TEST(HpackDecoder, BombFailsWhenLimitIsFatal) {
  Decoder dec(DecoderLimits{.on_limit = LimitAction::Fail});
  DecodedBlock out;
  const Status st = dec.decode(bomb(16000), out);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error(), Error::h2(Scope::Connection, H2Code::EnhanceYourCalm, kHeaderListTooLarge));
  EXPECT_EQ(dec.decode(unhex("82"), out).error(), compression(kContextFailed));
}

TEST(HpackDecoder, FieldCountLimit) {
  Decoder dec;
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(Bytes8(1000, 0x82), out).has_value());
  EXPECT_EQ(out.limit(), Limit::FieldCount);
  EXPECT_STREQ(out.limit_detail(), kTooManyFields);
  EXPECT_EQ(out.size(), 128u);
}

// §2.6: empty name and value still cost 32 octets each.
TEST(HpackDecoder, EmptyFieldsAreCharged) {
  DecoderLimits limits;
  limits.max_field_count = 1u << 20;
  limits.max_header_list_size = 32 * 100;
  Decoder dec(limits);
  DecodedBlock out;
  Bytes8 block;
  for (int i = 0; i < 500; ++i) {
    const Bytes8 field = (i % 2) ? unhex("00 00 00") : unhex("00 80 80");  // raw, Huffman
    block.insert(block.end(), field.begin(), field.end());
  }
  ASSERT_TRUE(dec.decode(block, out).has_value());
  EXPECT_EQ(out.limit(), Limit::HeaderListSize);
  EXPECT_EQ(out.size(), 100u);
  EXPECT_EQ(out.header_list_size(), 3200u);
}

TEST(HpackDecoder, FieldSizeLimitStillIndexes) {
  DecoderLimits limits;
  limits.max_field_size = 100;
  Decoder dec(limits);
  DecodedBlock out;
  // A 200-octet Huffman-coded value entered with incremental indexing, then an ordinary field.
  const std::string value(200, 'e');
  Bytes8 huff(huffman_encoded_size(value) + kHuffmanEncodeSlack);
  huff.resize(huffman_encode(value, huff.data()));
  Bytes8 block = {0x40, 0x01, 'k', 0xff};
  uint8_t len[kMaxIntegerBytes];
  const size_t n = encode_integer(len, static_cast<uint32_t>(huff.size()), 7, 0x80);
  block.pop_back();
  block.insert(block.end(), len, len + n);
  block.insert(block.end(), huff.begin(), huff.end());
  block.push_back(0x82);
  ASSERT_TRUE(dec.decode(block, out).has_value());
  EXPECT_EQ(out.limit(), Limit::FieldSize);
  EXPECT_STREQ(out.limit_detail(), kFieldTooLarge);
  EXPECT_EQ(out.size(), 0u);  // nothing after the limit is stored
  EXPECT_EQ(dec.table().count(), 1u);
  EXPECT_EQ(dec.table().get(0).value, value);
  // A malformed string after the limit is still a decoding error.
  block.push_back(0x00);
  block.push_back(0x81);
  block.push_back(0x00);  // Huffman name "0" padded with zeros
  block.push_back(0x00);
  Decoder dec2(limits);
  EXPECT_EQ(dec2.decode(block, out).error(), compression(kHuffmanPaddingNotEos));
}

// Literal strings are views into the block, indexed strings views into the tables.
TEST(HpackDecoder, ZeroCopyLiterals) {
  Decoder dec;
  DecodedBlock out;
  const Bytes8 block = unhex("400a637573746f6d2d6b65790d637573746f6d2d686561646572 be 82");
  ASSERT_TRUE(dec.decode(block, out).has_value());
  ASSERT_EQ(out.size(), 3u);
  const auto* begin = reinterpret_cast<const char*>(block.data());
  EXPECT_EQ(out[0].name.data(), begin + 2);
  EXPECT_EQ(out[0].value.data(), begin + 13);
  EXPECT_EQ(out[1].name, "custom-key");
  EXPECT_EQ(out[1].name.data(), dec.table().get(0).name.data());
  // Static storage: the text of entry 2, not a copy in the block. (Pointer identity with
  // kStaticEntries is not guaranteed across translation units: ASan builds do not merge literals.)
  EXPECT_EQ(out[2].name, kStaticEntries[2].name);
  const char* p = out[2].name.data();
  EXPECT_FALSE(p >= begin && p < begin + block.size());
}

// Fields that view dynamic entries stay intact while later literals in the same block evict those
// entries and force the table to move its storage.
TEST(HpackDecoder, DynamicViewsSurviveLaterInsertsInTheBlock) {
  Decoder dec(DecoderLimits{.max_table_size = 256});
  DecodedBlock out;
  ASSERT_TRUE(dec.decode(unhex("4003782d61056669727374"), out).has_value());  // x-a: first
  Bytes8 block = {0xbe};
  for (int i = 0; i < 40; ++i) {
    const std::string v(150, static_cast<char>('a' + i % 26));
    block.insert(block.end(), {0x40, 0x03, 'x', '-', 'b', 0x7f, 150 - 127});
    block.insert(block.end(), v.begin(), v.end());
    block.push_back(0xbe);  // the entry just inserted
  }
  ASSERT_TRUE(dec.decode(block, out).has_value());
  ASSERT_EQ(out.size(), 81u);
  EXPECT_EQ(out[0].name, "x-a");
  EXPECT_EQ(out[0].value, "first");
  for (int i = 0; i < 40; ++i) {
    const std::string v(150, static_cast<char>('a' + i % 26));
    EXPECT_EQ(out[1 + 2 * i].value, v);
    EXPECT_EQ(out[2 + 2 * i].value, v);
  }
  EXPECT_EQ(dec.table().count(), 1u);
}

TEST(HpackDecoder, LimitNames) {
  EXPECT_EQ(to_string(Limit::None), "none");
  EXPECT_EQ(to_string(Limit::HeaderListSize), "header_list_size");
  EXPECT_EQ(to_string(Limit::FieldCount), "field_count");
  EXPECT_EQ(to_string(Limit::FieldSize), "field_size");
  EXPECT_EQ(to_string(LimitAction::Continue), "continue");
  EXPECT_EQ(to_string(LimitAction::Fail), "fail");
  EXPECT_STREQ(limit_detail(Limit::None), "");
  EXPECT_STREQ(limit_detail(Limit::FieldSize), kFieldTooLarge);
}

// Any input: success, or a connection COMPRESSION_ERROR; never a crash (ASan in CI).
RC_GTEST_PROP(HpackDecoder, ArbitraryBlocksFailCleanly,
              (const std::vector<std::vector<uint8_t>>& blocks)) {
  Decoder dec(DecoderLimits{.max_table_size = 256});
  DecodedBlock out;
  for (const auto& b : blocks) {
    const Status st = dec.decode(b, out);
    if (!st.has_value()) {
      RC_ASSERT(st.error().scope == Scope::Connection);
      RC_ASSERT(st.error().h2_code() == H2Code::CompressionError);
      return;
    }
    RC_ASSERT(out.header_list_size() <= dec.limits().max_header_list_size);
    RC_ASSERT(dec.table().size() <= dec.table().max_size());
  }
}

}  // namespace
}  // namespace crossmux::codecs::hpack
