// RFC 7541 Appendix A static table, with compile-time hash indexes for the encoder.
#include "codecs/hpack/static_table.h"

#include <array>

#include "codecs/base/field_table.h"
#include "codecs/hpack/hash.h"

namespace crossmux::codecs::hpack {
namespace {

constexpr unsigned kSlots = 128;  // power of two, over twice the 61 entries

struct Index {
  std::array<uint8_t, kSlots> slot{};  // static index, 0 = empty
  std::array<uint32_t, kSlots> hash{};
};

// Open addressing with linear probing; for names, the first (lowest) index of a name wins.
constexpr Index make_index(bool by_pair) {
  Index ix{};
  for (uint32_t i = 1; i <= kStaticTableSize; ++i) {
    const uint32_t nh = hash_string(kStaticEntries[i].name);
    const uint32_t h = by_pair ? hash_pair(nh, kStaticEntries[i].value) : nh;
    unsigned s = h & (kSlots - 1);
    bool dup = false;
    while (ix.slot[s] != 0) {
      const StaticEntry& o = kStaticEntries[ix.slot[s]];
      if (o.name == kStaticEntries[i].name && (!by_pair || o.value == kStaticEntries[i].value))
        dup = true;
      s = (s + 1) & (kSlots - 1);
    }
    if (dup) continue;
    ix.slot[s] = static_cast<uint8_t>(i);
    ix.hash[s] = h;
  }
  return ix;
}

// The field table (codecs/base/field_table.h) states each name's static index; it must agree with
// Appendix A both ways: every static name is in the table with its lowest index, and every index
// the table states names that entry.
constexpr bool field_table_agrees() {
  for (uint32_t i = 1; i <= kStaticTableSize; ++i) {
    const FieldInfo& f = field_info(find_field(kStaticEntries[i].name));
    uint32_t lowest = i;
    while (lowest > 1 && kStaticEntries[lowest - 1].name == kStaticEntries[i].name) --lowest;
    if (f.name != kStaticEntries[i].name || f.hpack_index != lowest) return false;
  }
  for (const FieldInfo& f : kFieldTable) {
    if (f.hpack_index > kStaticTableSize) return false;
    if (f.hpack_index != 0 && kStaticEntries[f.hpack_index].name != f.name) return false;
  }
  return true;
}
static_assert(field_table_agrees(), "field_table.h and RFC 7541 Appendix A disagree");

constexpr Index kNameIndex = make_index(false);
constexpr Index kPairIndex = make_index(true);

}  // namespace

uint32_t static_find_name(std::string_view name, uint32_t name_hash) {
  for (unsigned s = name_hash & (kSlots - 1);; s = (s + 1) & (kSlots - 1)) {
    const uint8_t i = kNameIndex.slot[s];
    if (i == 0) return 0;
    if (kNameIndex.hash[s] == name_hash && equal_strings(kStaticEntries[i].name, name)) return i;
  }
}

uint32_t static_find_pair(std::string_view name, std::string_view value, uint32_t pair_hash) {
  for (unsigned s = pair_hash & (kSlots - 1);; s = (s + 1) & (kSlots - 1)) {
    const uint8_t i = kPairIndex.slot[s];
    if (i == 0) return 0;
    if (kPairIndex.hash[s] == pair_hash && equal_strings(kStaticEntries[i].value, value) &&
        equal_strings(kStaticEntries[i].name, name)) {
      return i;
    }
  }
}

}  // namespace crossmux::codecs::hpack
