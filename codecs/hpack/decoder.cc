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

struct Decoder::Cursor {
  const uint8_t* p;
  const uint8_t* end;
  size_t scratch_used;  // octets of scratch_ holding the current literal's unstored strings
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

Status Decoder::decode(Bytes block, DecodedBlock& out) {
  out.clear();
  // One allocation for a short header list instead of doubling from one field (kept for the
  // next blocks).
  if (out.fields_.capacity() == 0 && !block.empty())
    out.fields_.reserve(DecodedBlock::kInitialFields);
  table_.release_retired();
  if (failed_) return fail(kContextFailed);
  Cursor c{block.data(), block.data() + block.size(), 0};
  bool at_start = true;
  while (c.p < c.end) {
    const uint8_t first = *c.p;
    const char* err;
    if ((first & 0xe0) == 0x20) {
      err = read_size_update(c, at_start);
    } else {
      if (at_start) {
        if (required_update_ != UINT32_MAX) return fail(kSizeUpdateMissing);
        at_start = false;
      }
      err = (first & 0x80) ? read_indexed(c, out) : read_literal(c, first, out);
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

// RFC 7541 §2.3.3: index 0 is never valid; static entries come first, then dynamic ones.
const char* Decoder::lookup(uint32_t index, std::string_view& name, std::string_view& value) const {
  if (index == 0) return kIndexZero;
  if (index <= kStaticTableSize) {
    name = kStaticEntries[index].name;
    value = kStaticEntries[index].value;
    return nullptr;
  }
  const size_t i = index - kStaticTableSize - 1;
  if (i >= table_.count()) return kIndexOutOfRange;
  const DynamicTable::Entry e = table_.get(i);
  name = e.name;
  value = e.value;
  return nullptr;
}

// Charges the field against the limits; false when it must not be stored (a limit is crossed now
// or was crossed earlier in the block).
bool Decoder::admit(DecodedBlock& block, std::string_view name, std::string_view value) {
  if (block.limit_ != Limit::None) return false;
  const size_t cost = entry_size(name, value);
  Limit crossed = Limit::None;
  if (block.fields_.size() >= limits_.max_field_count) {
    crossed = Limit::FieldCount;
  } else if (name.size() + value.size() > limits_.max_field_size) {
    crossed = Limit::FieldSize;
  } else if (block.list_size_ + cost > limits_.max_header_list_size) {
    crossed = Limit::HeaderListSize;
  }
  if (crossed == Limit::None) {
    block.list_size_ += cost;
    return true;
  }
  block.limit_ = crossed;
  return false;
}

// RFC 7541 §6.1.
const char* Decoder::read_indexed(Cursor& c, DecodedBlock& block) {
  uint32_t index;
  if (const char* err = decode_integer(c.p, c.end, 7, index)) return err;
  std::string_view name, value;
  if (const char* err = lookup(index, name, value)) return err;
  if (admit(block, name, value)) {
    block.fields_.push_back(Field{name, value, false});
  } else if (block.limit_ != Limit::None && limits_.on_limit == LimitAction::Fail) {
    return limit_detail(block.limit_);
  }
  return nullptr;
}

// RFC 7541 §5.2. Raw strings are views into the block; Huffman strings go to the block's arena
// when `keep`, else to scratch_ (decoded only to validate them and to feed the dynamic table).
const char* Decoder::read_string(Cursor& c, bool keep, std::string_view& out, DecodedBlock& block) {
  if (c.p == c.end) return kTruncated;
  const bool huffman = (*c.p & 0x80) != 0;
  uint32_t len;
  if (const char* err = decode_integer(c.p, c.end, 7, len)) return err;
  if (len > static_cast<size_t>(c.end - c.p)) return kStringBeyondBlock;
  if (!huffman) {
    out = std::string_view(reinterpret_cast<const char*>(c.p), len);
    c.p += len;
    return nullptr;
  }
  char* dst;
  if (keep) {
    dst = block.arena_.reserve(huffman_decoded_bound(len));
  } else {
    assert(c.scratch_used + huffman_decoded_bound(len) <= scratch_.size());
    dst = scratch_.data() + c.scratch_used;
  }
  size_t n;
  if (const char* err = huffman_decode(c.p, len, dst, n)) return err;
  if (keep) {
    block.arena_.commit(n);
  } else {
    c.scratch_used += n;
  }
  out = std::string_view(dst, n);
  c.p += len;
  return nullptr;
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
  std::string_view name, value;
  if (index == 0) {
    if (const char* err = read_string(c, keep, name, block)) return err;
  } else {
    std::string_view unused;
    if (const char* err = lookup(index, name, unused)) return err;
  }
  if (const char* err = read_string(c, keep, value, block)) return err;
  if (keep) {
    if (admit(block, name, value)) {
      block.fields_.push_back(Field{name, value, sensitive});
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
