// HPACK header block decoding (RFC 7541 §6) with limits enforced field by field.
#include "codecs/hpack/decoder.h"

#include <algorithm>
#include <array>
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

namespace {

// The static table as ready-made fields: an indexed static reference is one copy.
constexpr auto kStaticFields = [] {
  std::array<Field, kStaticTableSize + 1> f{};
  for (size_t i = 0; i <= kStaticTableSize; ++i) {
    f[i] = Field{kStaticEntries[i].name, kStaticEntries[i].value, false};
  }
  return f;
}();

}  // namespace

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

// RFC 7541 §2.3.3: index 0 is never valid; static entries come first, then dynamic ones. Null
// when the index is 0 or past the dynamic table; a dynamic entry is built in `dynamic`.
inline const Field* Decoder::lookup(uint32_t index, Field& dynamic) const {
  if (index <= kStaticTableSize) return index == 0 ? nullptr : &kStaticFields[index];
  const size_t i = index - kStaticTableSize - 1;
  if (i >= table_.count()) return nullptr;
  const DynamicTable::Entry e = table_.get(i);
  dynamic = Field{e.name, e.value, false};
  return &dynamic;
}

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
inline const char* Decoder::store(DecodedBlock& block, const Field& f) {
  if (admit(block, f.name.size(), f.value.size())) [[likely]] {
    block.append(f);
    return nullptr;
  }
  if (block.limit_ != Limit::None && limits_.on_limit == LimitAction::Fail) {
    return limit_detail(block.limit_);
  }
  return nullptr;
}

Status Decoder::decode(Bytes block, DecodedBlock& out) {
  out.clear();
  table_.release_retired();
  if (failed_) return fail(kContextFailed);
  Cursor c{block.data(), block.data() + block.size(), 0};
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
      Field dynamic;
      const Field* f;
      if (index != 0x7f && (f = lookup(index, dynamic)) != nullptr) [[likely]] {
        ++c.p;
        err = store(out, *f);
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
  Field dynamic;
  const Field* f = lookup(index, dynamic);
  if (f == nullptr) return index == 0 ? kIndexZero : kIndexOutOfRange;
  return store(block, *f);
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
    Field dynamic;
    const Field* f = lookup(index, dynamic);
    if (f == nullptr) return kIndexOutOfRange;  // index 0 means "literal name", handled above
    name = f->name;
  }
  if (const char* err = read_string(c, keep, value, block)) return err;
  if (keep) {
    if (admit(block, name.size(), value.size())) {
      block.append(Field{name, value, sensitive});
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
