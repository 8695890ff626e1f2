// HPACK header block decoding (RFC 7541 §6) with limits enforced field by field.
#include "codecs/hpack/decoder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "codecs/hpack/hpack_errors.h"
#include "codecs/hpack/huffman.h"
#include "codecs/hpack/integer.h"
#include "codecs/hpack/static_table.h"

namespace crossmux::codecs::hpack {

std::string_view to_string(Limit l) {
  switch (l) {
    case Limit::None:
      return "none";
    case Limit::HeaderListSize:
      return "header_list_size";
    case Limit::FieldCount:
      return "field_count";
    case Limit::FieldSize:
      return "field_size";
  }
  return "unknown";
}

std::string_view to_string(LimitAction a) {
  return a == LimitAction::Continue ? "continue" : "fail";
}

const char* limit_detail(Limit l) {
  switch (l) {
    case Limit::None:
      return "";
    case Limit::HeaderListSize:
      return kHeaderListTooLarge;
    case Limit::FieldCount:
      return kTooManyFields;
    case Limit::FieldSize:
      return kFieldTooLarge;
  }
  return "";
}

void DecodedBlock::grow() {
  const size_t capacity = capacity_ ? capacity_ * 2 : kInitialFields;
  std::unique_ptr<Field[]> fresh(new Field[capacity]);
  for (size_t i = 0; i < count_; ++i) fresh[i] = fields_[i];
  fields_ = std::move(fresh);
  capacity_ = capacity;
}

struct Decoder::Cursor {
  const uint8_t* p;
  const uint8_t* end;
  size_t scratch_used;  // octets of scratch_ holding the current literal's unstored strings
  const char* err;      // set by read_string() when it fails
};

Decoder::Decoder(const DecoderLimits& limits) : limits_(limits), table_(limits.max_table_size) {
  // Fields view dynamic table entries directly; stable mode keeps those bytes in place until the
  // next block.
  table_.set_stable(true);
}

void Decoder::set_max_table_size(uint32_t max_table_size) {
  limits_.max_table_size = max_table_size;
  // RFC 7541 §4.2: the peer must acknowledge a reduction with a size update; if the setting changed
  // several times, the smallest value is the one that has to appear.
  if (max_table_size < table_.max_size()) {
    required_update_ = std::min(required_update_, max_table_size);
  }
}

Status Decoder::fail(const char* detail) {
  failed_ = true;
  const bool limit =
      detail == kHeaderListTooLarge || detail == kTooManyFields || detail == kFieldTooLarge;
  return unexpected(Error::h2(Scope::Connection,
                              limit ? H2Code::EnhanceYourCalm : H2Code::CompressionError, detail));
}

namespace {

// RFC 7541 §2.3.3: index 0 is never valid; static entries come first (1..61), then dynamic ones.
inline bool valid_index(uint32_t index, const DynamicTable& table) {
  return static_cast<size_t>(index) - 1 < kStaticTableSize + table.count();
}

}  // namespace

// Charges a field against the limits; false when it must not be stored (a limit is crossed now
// or was crossed earlier in the block).
inline bool Decoder::admit(DecodedBlock& block, size_t name_size, size_t value_size) {
  if (block.limit_ != Limit::None) return false;
  const size_t cost = name_size + value_size + kEntryOverhead;
  Limit crossed = Limit::None;
  if (block.count_ >= limits_.max_field_count) {
    crossed = Limit::FieldCount;
  } else if (name_size + value_size > limits_.max_field_size) {
    crossed = Limit::FieldSize;
  } else if (block.list_size_ + cost > limits_.max_header_list_size) {
    crossed = Limit::HeaderListSize;
  }
  if (crossed == Limit::None) [[likely]] {
    block.list_size_ += cost;
    return true;
  }
  block.limit_ = crossed;
  return false;
}

// Appends an admitted field; with LimitAction::Fail a crossed limit is the error.
inline const char* Decoder::store(DecodedBlock& block, std::string_view name,
                                  std::string_view value) {
  if (admit(block, name.size(), value.size())) [[likely]] {
    block.append(name, value, false);
    return nullptr;
  }
  if (block.limit_ != Limit::None && limits_.on_limit == LimitAction::Fail) {
    return limit_detail(block.limit_);
  }
  return nullptr;
}

// RFC 7541 §6.1: stores the entry at a valid_index(). Names and values go from the table to the
// block as scalars; see DecodedBlock::append() for why no Field is assembled on the way.
inline const char* Decoder::store_indexed(DecodedBlock& block, uint32_t index) {
  if (index <= kStaticTableSize) {
    return store(block, kStaticEntries[index].name, kStaticEntries[index].value);
  }
  const DynamicTable::Entry e = table_.get(index - kStaticTableSize - 1);
  return store(block, e.name, e.value);
}

Status Decoder::decode(Bytes block, DecodedBlock& out) {
  out.clear();
  table_.release_retired();
  if (failed_) return fail(kContextFailed);
  Cursor c{block.data(), block.data() + block.size(), 0, nullptr};
  // RFC 7541 §4.2: size updates may only open a block.
  while (c.p < c.end && (*c.p & 0xe0) == 0x20) {
    if (const char* err = read_size_update(c, true)) return fail(err);
  }
  if (c.p < c.end && required_update_ != UINT32_MAX) return fail(kSizeUpdateMissing);
  while (c.p < c.end) {
    const uint8_t first = *c.p;
    const char* err;
    if (first & 0x80) {
      // RFC 7541 §6.1, the usual case inline: an index that fits the 7-bit prefix.
      const uint32_t index = first & 0x7f;
      if (index != 0x7f && valid_index(index, table_)) [[likely]] {
        ++c.p;
        err = store_indexed(out, index);
      } else {
        err = read_indexed_tail(c, out);
      }
    } else if ((first & 0xe0) == 0x20) {
      err = read_size_update(c, false);
    } else {
      err = read_literal(c, first, out);
    }
    if (err != nullptr) return fail(err);
  }
  return ok();
}

// RFC 7541 §6.3. §4.2: updates may only open a block, and may not exceed our setting.
const char* Decoder::read_size_update(Cursor& c, bool at_start) {
  if (!at_start) return kSizeUpdateNotAtStart;
  uint32_t size;
  if (const char* err = decode_integer(c.p, c.end, 5, size)) return err;
  if (size > limits_.max_table_size) return kSizeUpdateTooLarge;
  if (size <= required_update_) required_update_ = UINT32_MAX;
  table_.set_max_size(size);
  return nullptr;
}

// RFC 7541 §6.1 beyond the inline case: a multi-octet index, or a bad one.
const char* Decoder::read_indexed_tail(Cursor& c, DecodedBlock& block) {
  uint32_t index;
  if (const char* err = decode_integer(c.p, c.end, 7, index)) return err;
  if (!valid_index(index, table_)) return index == 0 ? kIndexZero : kIndexOutOfRange;
  return store_indexed(block, index);
}

// RFC 7541 §5.2. Raw strings are views into the block; Huffman strings go to the block's arena
// when `keep`, else to scratch_ (decoded only to validate them and to feed the dynamic table).
// On failure sets c.err and returns "". The view is returned by value (two registers), not through
// an out-parameter the caller would reload from memory.
std::string_view Decoder::read_string(Cursor& c, bool keep, DecodedBlock& block) {
  if (c.p == c.end) {
    c.err = kTruncated;
    return {};
  }
  const bool huffman = (*c.p & 0x80) != 0;
  uint32_t len;
  if (const char* err = decode_integer(c.p, c.end, 7, len)) {
    c.err = err;
    return {};
  }
  if (len > static_cast<size_t>(c.end - c.p)) {
    c.err = kStringBeyondBlock;
    return {};
  }
  if (!huffman) {
    const std::string_view out(reinterpret_cast<const char*>(c.p), len);
    c.p += len;
    return out;
  }
  char* dst;
  if (keep) {
    dst = block.arena_.reserve(huffman_decoded_bound(len));
  } else {
    assert(c.scratch_used + huffman_decoded_bound(len) <= scratch_.size());
    dst = scratch_.data() + c.scratch_used;
  }
  size_t n;
  if (const char* err = huffman_decode(c.p, len, dst, n)) {
    c.err = err;
    return {};
  }
  if (keep) {
    block.arena_.commit(n);
  } else {
    c.scratch_used += n;
  }
  c.p += len;
  return std::string_view(dst, n);
}

// RFC 7541 §6.2: with incremental indexing (01, 6-bit index), without indexing (0000, 4-bit),
// never indexed (0001, 4-bit).
const char* Decoder::read_literal(Cursor& c, uint8_t first, DecodedBlock& block) {
  const bool indexing = (first & 0x40) != 0;
  const bool sensitive = !indexing && (first & 0x10) != 0;
  uint32_t index;
  if (const char* err = decode_integer(c.p, c.end, indexing ? 6 : 4, index)) return err;
  const bool keep = block.limit_ == Limit::None;
  const BlockArena::Mark mark = block.arena_.mark();
  if (!keep) {
    // scratch_ holds at most this literal's name and value, both decoded from the rest of the
    // block, so it never needs more than the block's decoded bound.
    const size_t bound = huffman_decoded_bound(static_cast<size_t>(c.end - c.p)) + 1;
    if (scratch_.size() < bound) scratch_.resize(bound);
    c.scratch_used = 0;
  }
  std::string_view name;
  if (index == 0) {
    name = read_string(c, keep, block);
    if (c.err != nullptr) return c.err;
  } else if (!valid_index(index, table_)) {
    return kIndexOutOfRange;  // index 0 means "literal name", handled above
  } else if (index <= kStaticTableSize) {
    name = kStaticEntries[index].name;
  } else {
    name = table_.get(index - kStaticTableSize - 1).name;
  }
  const std::string_view value = read_string(c, keep, block);
  if (c.err != nullptr) return c.err;
  if (keep) {
    if (admit(block, name.size(), value.size())) {
      block.append(name, value, sensitive);
    } else {
      // The rewound bytes stay intact until the next reserve(), so the insert below can still
      // copy a Huffman-decoded name or value from them.
      block.arena_.rewind(mark);
      if (limits_.on_limit == LimitAction::Fail) return limit_detail(block.limit_);
    }
  }
  // RFC 7541 §4.4: a literal with incremental indexing enters the table even when we do not keep
  // the field, so later references stay in sync with the peer's encoder.
  if (indexing) table_.insert(name, value);
  return nullptr;
}

}  // namespace crossmux::codecs::hpack
