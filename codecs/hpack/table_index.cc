// The encoder's dynamic table index: insertion, lookup, rebuild.
#include "codecs/hpack/table_index.h"

#include <algorithm>
#include <utility>

#include "codecs/hpack/field.h"
#include "codecs/hpack/hash.h"

namespace crossmux::codecs::hpack {

void TableIndex::reset(uint32_t max_table_size) {
  size_t most = kMinSlots;
  while (most < 2 * (max_table_size / kEntryOverhead + 1)) most *= 2;
  max_slots_ = most;
  used_ = 0;
  // Slots are allocated by the first insertion: a connection that never indexes a field (or
  // never sends a header block) spends nothing on them.
  if (slots_.empty()) return;
  allocate(std::min(cap(), max_slots_));
}

void TableIndex::allocate(size_t slots) {
  slots_.assign(2 * slots, Slot{0, 0});
  mask_ = slots - 1;
  used_ = 0;
}

void TableIndex::add(Slot* slots, const DynamicTable& table, uint32_t hash, bool by_pair) {
  const DynamicTable::Entry newest = table.get(0);
  const uint32_t seq1 = static_cast<uint32_t>(table.inserted());
  for (size_t s = hash & mask_;; s = (s + 1) & mask_) {
    Slot& slot = slots[s];
    if (slot.seq1 == 0) {
      slot = Slot{seq1, hash};
      return;
    }
    const long pos = position(table, slot);
    if (pos < 0) {
      slot = Slot{seq1, hash};  // stale: reuse
      return;
    }
    if (slot.hash == hash && pos > 0) {
      const DynamicTable::Entry e = table.get(static_cast<size_t>(pos));
      if (e.name == newest.name && (!by_pair || e.value == newest.value)) {
        slot.seq1 = seq1;  // the newer entry replaces the older one with the same key
        return;
      }
    }
  }
}

void TableIndex::on_insert(const DynamicTable& table, uint32_t name_hash, uint32_t pair_hash) {
  if (slots_.empty()) allocate(kMinSlots);
  if (used_ + 1 > cap() * 3 / 4) {
    rebuild(table);
    return;
  }
  // Each add() fills at most one empty slot per table; count conservatively.
  ++used_;
  add(names(), table, name_hash, false);
  add(pairs(), table, pair_hash, true);
}

// Re-adds the live entries, oldest first, so newer ones replace older ones with the same key, into
// tables at least twice the live count (so 3/4 is a quarter of the capacity away) unless that
// passes the maximum, where the live count is below half the capacity anyway.
void TableIndex::rebuild(const DynamicTable& table) {
  if (slots_.empty() && table.count() == 0) {
    used_ = 0;
    return;
  }
  size_t want = std::max(cap(), kMinSlots);
  while (want < 2 * (table.count() + 1) && want < max_slots_) want *= 2;
  allocate(want);
  const uint32_t newest_seq1 = static_cast<uint32_t>(table.inserted());
  for (size_t i = table.count(); i-- > 0;) {
    const DynamicTable::Entry e = table.get(i);
    const uint32_t nh = hash_string(e.name);
    const uint32_t ph = hash_pair(nh, e.value);
    const uint32_t seq1 = newest_seq1 - static_cast<uint32_t>(i);
    for (auto [slots, hash] : {std::pair{names(), nh}, std::pair{pairs(), ph}}) {
      for (size_t s = hash & mask_;; s = (s + 1) & mask_) {
        Slot& slot = slots[s];
        if (slot.seq1 == 0) {
          slot = Slot{seq1, hash};
          break;
        }
        if (slot.hash != hash) continue;
        const DynamicTable::Entry o = table.get(newest_seq1 - slot.seq1);
        if (o.name == e.name && (slots == names() || o.value == e.value)) {
          slot.seq1 = seq1;
          break;
        }
      }
    }
    ++used_;
  }
}

long TableIndex::find_pair(const DynamicTable& table, std::string_view name, std::string_view value,
                           uint32_t pair_hash) const {
  if (slots_.empty()) return -1;
  for (size_t s = pair_hash & mask_;; s = (s + 1) & mask_) {
    const Slot slot = pairs()[s];
    if (slot.seq1 == 0) return -1;
    if (slot.hash != pair_hash) continue;
    const long pos = position(table, slot);
    if (pos < 0) continue;
    const DynamicTable::Entry e = table.get(static_cast<size_t>(pos));
    if (equal_strings(e.value, value) && equal_strings(e.name, name)) return pos;
  }
}

long TableIndex::find_name(const DynamicTable& table, std::string_view name,
                           uint32_t name_hash) const {
  if (slots_.empty()) return -1;
  for (size_t s = name_hash & mask_;; s = (s + 1) & mask_) {
    const Slot slot = names()[s];
    if (slot.seq1 == 0) return -1;
    if (slot.hash != name_hash) continue;
    const long pos = position(table, slot);
    if (pos < 0) continue;
    if (equal_strings(table.get(static_cast<size_t>(pos)).name, name)) return pos;
  }
}

}  // namespace crossmux::codecs::hpack
