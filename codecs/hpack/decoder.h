// HPACK decoder (RFC 7541 §3, §6): header block -> fields, with size and count limits enforced
// while decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "codecs/base/bytes.h"
#include "codecs/base/result.h"
#include "codecs/hpack/block_arena.h"
#include "codecs/hpack/dynamic_table.h"
#include "codecs/hpack/field.h"

namespace crossmux::codecs::hpack {

// Which decoder limit a block crossed.
enum class Limit : uint8_t { None = 0, HeaderListSize = 1, FieldCount = 2, FieldSize = 3 };
std::string_view to_string(Limit l);
// The named detail string of a limit (kHeaderListTooLarge, kTooManyFields, kFieldTooLarge), or ""
// for Limit::None.
const char* limit_detail(Limit l);

// What decode() does when a block crosses a limit.
enum class LimitAction : uint8_t {
  // Stop storing fields but process the rest of the block, so the dynamic table stays in sync
  // with the peer: decode() succeeds, DecodedBlock::limit() names the limit, and the connection
  // can answer the one stream (431, RST_STREAM) and live on (RFC 9113 §10.5.1).
  Continue = 0,
  // Stop at once: decode() fails with Error{Connection, EnhanceYourCalm, limit_detail()}. The
  // decoding context is then out of sync and the decoder refuses further blocks.
  Fail = 1,
};
std::string_view to_string(LimitAction a);

struct DecoderLimits {
  // Our SETTINGS_HEADER_TABLE_SIZE: the largest dynamic table size update the peer may send.
  uint32_t max_table_size = 4096;
  // Sum of name + value + 32 over the fields of one block (RFC 7541 §4.1 accounting, so empty
  // fields still cost 32).
  size_t max_header_list_size = 65536;
  size_t max_field_count = 128;
  // name + value octets of one field.
  size_t max_field_size = 16384;
  LimitAction on_limit = LimitAction::Continue;
};

// The fields of one decoded header block, all views, none copied out of where they already are:
//  - static table names and values: static storage;
//  - literal strings sent without Huffman coding: the `block` passed to decode(), which must stay
//    alive and unchanged while the fields are used;
//  - dynamic table names and values: the decoder's table, whose bytes stay put until that
//    Decoder's next decode() call (whichever DecodedBlock it fills) or its destruction;
//  - Huffman-decoded strings: this block's arena, until the next decode() into it or clear().
// So: use (or copy) the fields before the next decode() on the same Decoder.
class DecodedBlock {
 public:
  DecodedBlock() = default;
  DecodedBlock(DecodedBlock&&) noexcept = default;
  DecodedBlock& operator=(DecodedBlock&&) noexcept = default;

  std::span<const Field> fields() const { return {fields_.get(), count_}; }
  size_t size() const { return count_; }
  const Field& operator[](size_t i) const { return fields_[i]; }

  // The limit the block crossed (fields() then holds only the fields before it), or None.
  Limit limit() const { return limit_; }
  const char* limit_detail() const { return hpack::limit_detail(limit_); }
  // RFC 7541 §4.1 size of the stored fields (name + value + 32 each).
  size_t header_list_size() const { return list_size_; }

  void clear() {
    count_ = 0;
    arena_.reset();
    limit_ = Limit::None;
    list_size_ = 0;
  }

 private:
  friend class Decoder;
  static constexpr size_t kInitialFields = 8;
  // A plain array rather than a vector: the decoder's hot loop appends with one compare and one
  // store, and the out-of-line growth path runs only while the block is larger than any before.
  // Takes the parts as values and stores them member by member: a Field assembled on the stack
  // and copied whole is written as two 8-octet stores and read back as one 16-octet load, which
  // the CPU cannot forward from its store buffer (a stall of ~10 cycles per field).
  void append(std::string_view name, std::string_view value, bool sensitive) {
    if (count_ == capacity_) [[unlikely]]
      grow();
    Field& f = fields_[count_++];
    f.name = name;
    f.value = value;
    f.sensitive = sensitive;
  }
  void grow();
  std::unique_ptr<Field[]> fields_;
  size_t count_ = 0;
  size_t capacity_ = 0;
  BlockArena arena_;
  Limit limit_ = Limit::None;
  size_t list_size_ = 0;
};

// Decodes complete header blocks (the H2 connection joins HEADERS and CONTINUATION payloads
// first). One Decoder per connection direction.
class Decoder {
 public:
  explicit Decoder(const DecoderLimits& limits = {});

  // Decodes `block` into `out` (cleared first) and updates the dynamic table. Errors, all
  // Error{Scope::Connection, H2Code::CompressionError, detail} unless noted:
  //   kIntegerOverflow, kIntegerTooLong, kTruncated      malformed integer or cut representation
  //   kStringBeyondBlock                                 string length past the end of the block
  //   kHuffmanPaddingTooLong, kHuffmanPaddingNotEos, kHuffmanEos   invalid Huffman string
  //   kIndexZero, kIndexOutOfRange                       bad index (RFC 7541 §6.1, §2.3.3)
  //   kSizeUpdateNotAtStart, kSizeUpdateTooLarge         bad size update (§4.2, §6.3)
  //   kSizeUpdateMissing         after set_max_table_size() lowered the limit below the table's
  //                              maximum, the block did not start with an update that honours it
  //   kContextFailed             a previous decode() failed; the context is lost
  //   limit details              only with LimitAction::Fail, as H2Code::EnhanceYourCalm
  // After any error the context is out of sync with the peer: close the connection.
  Status decode(Bytes block, DecodedBlock& out);

  // Sets the SETTINGS_HEADER_TABLE_SIZE we advertise, once the peer acknowledged it. A value below
  // the current table maximum obliges the peer to start its next block with a size update no larger
  // than the smallest value set since its last block (RFC 7541 §4.2).
  void set_max_table_size(uint32_t max_table_size);

  const DynamicTable& table() const { return table_; }
  const DecoderLimits& limits() const { return limits_; }

 private:
  struct Cursor;
  std::string_view read_string(Cursor& c, bool keep, DecodedBlock& block);
  const char* read_literal(Cursor& c, uint8_t first, DecodedBlock& block);
  const char* read_indexed_tail(Cursor& c, DecodedBlock& block);
  const char* read_size_update(Cursor& c, bool at_start);
  const char* store_indexed(DecodedBlock& block, uint32_t index);
  const char* store(DecodedBlock& block, std::string_view name, std::string_view value);
  bool admit(DecodedBlock& block, size_t name_size, size_t value_size);
  Status fail(const char* detail);

  DecoderLimits limits_;
  DynamicTable table_;
  uint32_t required_update_ = UINT32_MAX;  // an update <= this must open the next block
  std::vector<char> scratch_;              // Huffman output of strings that are not stored
  bool failed_ = false;
};

}  // namespace crossmux::codecs::hpack
