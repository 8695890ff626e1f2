// HPACK header block encoding (RFC 7541 §6) and table size signalling (§4.2, §6.3).
#include "codecs/hpack/encoder.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "codecs/base/field_table.h"
#include "codecs/hpack/hash.h"
#include "codecs/hpack/huffman.h"
#include "codecs/hpack/integer.h"
#include "codecs/hpack/static_table.h"

namespace crossmux::codecs::hpack {
namespace {

// RFC 7541 §7.1.3: values an attacker could guess by observing the table must never be indexed.
// The names come from the field table (kFieldHpackNeverIndex, kFieldHpackNeverIndexShort), matched
// by hash first so that ordinary fields pay integer comparisons only.
struct NeverIndexName {
  uint32_t hash = 0;
  std::string_view name;
  bool short_only = false;  // never indexed only while shorter than kGuessableLength
};
constexpr size_t kGuessableLength = 20;

constexpr auto kNeverIndexNames = [] {
  std::array<NeverIndexName, 3> out{};
  size_t n = 0;
  for (const FieldInfo& f : kFieldTable) {
    const bool always = (f.properties & kFieldHpackNeverIndex) != 0;
    const bool short_only = (f.properties & kFieldHpackNeverIndexShort) != 0;
    if (always || short_only) out[n++] = {hash_string(f.name), f.name, short_only};
  }
  return out;
}();

// Unrolled over the (three) names, each hash an immediate operand.
template <size_t... I>
bool never_index_of(std::index_sequence<I...>, std::string_view name, uint32_t name_hash,
                    std::string_view value) {
  bool never = false;
  (
      [&] {
        constexpr NeverIndexName kName = kNeverIndexNames[I];
        if (name_hash == kName.hash && name == kName.name) {
          never = !kName.short_only || value.size() < kGuessableLength;
        }
      }(),
      ...);
  return never;
}

bool never_index(std::string_view name, uint32_t name_hash, std::string_view value) {
  return never_index_of(std::make_index_sequence<kNeverIndexNames.size()>(), name, name_hash,
                        value);
}

// Values that are usually unique per message only churn the table (kFieldHpackUnique): a bit per
// static-table index of the name.
constexpr uint64_t kUniqueByStaticIndex = [] {
  uint64_t bits = 0;
  for (const FieldInfo& f : kFieldTable) {
    if (f.hpack_index != 0 && (f.properties & kFieldHpackUnique))
      bits |= uint64_t{1} << f.hpack_index;
  }
  return bits;
}();
static_assert(kStaticTableSize < 64);

bool worth_indexing(uint32_t static_name) {
  return ((kUniqueByStaticIndex >> static_name) & 1) == 0;
}

// Representation prefixes (RFC 7541 §6).
constexpr uint8_t kIndexed = 0x80;
constexpr uint8_t kIncremental = 0x40;
constexpr uint8_t kSizeUpdate = 0x20;
constexpr uint8_t kNeverIndexed = 0x10;
constexpr uint8_t kWithoutIndexing = 0x00;

}  // namespace

Encoder::Encoder(uint32_t max_table_size_cap)
    : table_(kDefaultTableSize), cap_(max_table_size_cap), target_(kDefaultTableSize) {
  index_.reset(std::min(cap_, kDefaultTableSize));
  retarget();
}

void Encoder::set_peer_max_table_size(uint32_t size) {
  peer_max_ = size;
  retarget();
}

void Encoder::set_max_table_size_cap(uint32_t cap) {
  cap_ = cap;
  retarget();
}

void Encoder::retarget() {
  const uint32_t size = std::min(peer_max_, cap_);
  if (!pending_ && size == table_.max_size()) return;
  pending_ = true;
  target_ = size;
  pending_min_ = std::min(pending_min_, size);
}

uint8_t* Encoder::write_size_updates(uint8_t* o) {
  if (pending_min_ < target_) {
    o += encode_integer(o, pending_min_, 5, kSizeUpdate);
    table_.set_max_size(pending_min_);
  }
  o += encode_integer(o, target_, 5, kSizeUpdate);
  table_.set_max_size(target_);
  // Re-index the entries that survived, sized for the new maximum.
  index_.reset(target_);
  index_.rebuild(table_);
  pending_ = false;
  pending_min_ = UINT32_MAX;
  return o;
}

uint8_t* Encoder::write_string(std::string_view s, uint8_t* o) const {
  if (huffman_) {
    // Encode after room for the raw length's prefix (never shorter than the Huffman length's),
    // then close the gap in the rare case the prefix shrank.
    const auto raw_len = static_cast<uint32_t>(s.size());
    const size_t prefix = integer_size(raw_len, 7);
    const size_t h = huffman_encode_if_shorter(s, o + prefix);
    if (h != 0) {
      const size_t h_prefix = integer_size(static_cast<uint32_t>(h), 7);
      if (h_prefix < prefix) std::memmove(o + h_prefix, o + prefix, h);
      encode_integer(o, static_cast<uint32_t>(h), 7, 0x80);
      return o + h_prefix + h;
    }
  }
  o += encode_integer(o, static_cast<uint32_t>(s.size()), 7, 0);
  if (!s.empty()) std::memcpy(o, s.data(), s.size());
  return o + s.size();
}

uint8_t* Encoder::write_field(const Field& f, uint8_t* o) {
  const uint32_t name_hash = hash_string(f.name);
  const bool never = f.sensitive || never_index(f.name, name_hash, f.value);
  uint32_t pair_hash = 0;
  const bool dynamic = table_.count() > 0;
  // Exact matches first: a dynamic hit (the common case on a warm connection) needs no static
  // lookup at all; static exact matches never enter the dynamic table, so the order is free.
  if (!never) {
    pair_hash = hash_pair(name_hash, f.value);
    if (dynamic) {
      const long pos = index_.find_pair(table_, f.name, f.value, pair_hash);
      if (pos >= 0) {
        return o +
               encode_integer(o, kStaticTableSize + 1 + static_cast<uint32_t>(pos), 7, kIndexed);
      }
    }
  }
  const uint32_t static_name = static_find_name(f.name, name_hash);
  if (!never && static_name != 0 && (f.value.empty() || static_has_values(static_name))) {
    if (const uint32_t i = static_find_pair(f.name, f.value, pair_hash)) {
      return o + encode_integer(o, i, 7, kIndexed);
    }
  }
  uint32_t name_index = static_name;
  if (name_index == 0 && dynamic) {
    const long pos = index_.find_name(table_, f.name, name_hash);
    if (pos >= 0) name_index = kStaticTableSize + 1 + static_cast<uint32_t>(pos);
  }
  const bool indexing = !never && !f.unique && worth_indexing(static_name) &&
                        entry_size(f.name, f.value) <= table_.max_size() / 4 * 3;
  if (indexing) {
    o += encode_integer(o, name_index, 6, kIncremental);
  } else {
    o += encode_integer(o, name_index, 4, never ? kNeverIndexed : kWithoutIndexing);
  }
  if (name_index == 0) o = write_string(f.name, o);
  o = write_string(f.value, o);
  if (indexing) {
    table_.insert(f.name, f.value);
    index_.on_insert(table_, name_hash, pair_hash);
  }
  return o;
}

void Encoder::encode(std::span<const Field> fields, ByteBuffer& out) {
  // Worst case per field: three integers plus the raw strings (Huffman is used only if shorter),
  // and the Huffman encoder's slack after the last string.
  size_t bound = 2 * kMaxIntegerBytes + kHuffmanEncodeSlack;
  for (const Field& f : fields) bound += f.name.size() + f.value.size() + 3 * kMaxIntegerBytes;
  uint8_t* const start = out.prepare(bound);
  uint8_t* o = start;
  if (pending_) o = write_size_updates(o);
  for (const Field& f : fields) o = write_field(f, o);
  out.commit(static_cast<size_t>(o - start));
}

}  // namespace crossmux::codecs::hpack
