// HPACK encoder (RFC 7541 §6): fields -> header block, with a hashed dynamic table.
#pragma once

#include <cstdint>
#include <span>

#include "codecs/base/byte_buffer.h"
#include "codecs/hpack/dynamic_table.h"
#include "codecs/hpack/field.h"
#include "codecs/hpack/table_index.h"

namespace crossmux::codecs::hpack {

// RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE starts at 4096.
inline constexpr uint32_t kDefaultTableSize = 4096;

// Encodes header lists for one connection direction. Choices (nghttp2's deflater heuristics):
//  - an exact static or dynamic match is sent as an indexed field (RFC 7541 §6.1);
//  - never-indexed literals (§6.2.3, §7.1.3) for fields marked sensitive and the field table's
//    kFieldHpackNeverIndex names (authorization, proxy-authorization), and its
//    kFieldHpackNeverIndexShort ones (cookie) shorter than 20 octets (guessable by brute force);
//  - literals without indexing for the field table's kFieldHpackUnique names, whose values
//    rarely repeat (:path, age, content-length, etag, if-modified-since, if-none-match, location,
//    set-cookie), and entries over 3/4 of the table;
//  - incremental indexing for everything else; static name indexes are preferred to dynamic ones;
//  - Huffman coding of a string only when it is shorter (§5.2).
// Names must already be lowercase (RFC 9113 §8.2.1); the encoder does not validate fields.
// In steady state encode() allocates nothing beyond growing `out`.
class Encoder {
 public:
  // `max_table_size_cap` bounds the dynamic table whatever the peer allows (RFC 7541 §4.2 lets
  // an encoder use less than the peer's SETTINGS_HEADER_TABLE_SIZE).
  explicit Encoder(uint32_t max_table_size_cap = kDefaultTableSize);

  // Appends the header block for `fields` to `out`, opening it with any pending dynamic table
  // size updates.
  void encode(std::span<const Field> fields, ByteBuffer& out);

  // The peer's SETTINGS_HEADER_TABLE_SIZE. The table follows min(peer, cap); a change is
  // signalled at the start of the next block: the smallest size seen since the last block, then
  // the final one, when they differ (RFC 7541 §4.2).
  void set_peer_max_table_size(uint32_t size);
  void set_max_table_size_cap(uint32_t cap);

  // Huffman coding when shorter (default) or never.
  void set_huffman(bool enabled) { huffman_ = enabled; }

  const DynamicTable& table() const { return table_; }

 private:
  void retarget();
  uint8_t* write_size_updates(uint8_t* o);
  uint8_t* write_field(const Field& f, uint8_t* o);
  uint8_t* write_string(std::string_view s, uint8_t* o) const;

  DynamicTable table_;
  TableIndex index_;
  uint32_t peer_max_ = kDefaultTableSize;
  uint32_t cap_;
  uint32_t target_;                    // table size once pending updates are sent
  uint32_t pending_min_ = UINT32_MAX;  // smallest size since the last block
  bool pending_ = false;
  bool huffman_ = true;
};

}  // namespace crossmux::codecs::hpack
