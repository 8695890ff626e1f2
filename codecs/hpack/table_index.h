// TableIndex: the encoder's hash index of its dynamic table, by name and by name + value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "codecs/hpack/dynamic_table.h"

namespace crossmux::codecs::hpack {

// Open addressing over entry sequence numbers. Evicted entries are not removed: a slot whose entry
// is gone reads as stale and is reused by the next insertion on its probe chain, and the whole
// index is rebuilt from the live entries when used slots pass 3/4 of capacity. The first live
// match on a probe chain is always the newest entry with that key (lowest HPACK index).
// Capacity follows the live entries (32 slots per table to start, doubled at a rebuild that needs
// it) up to what a full table of the maximum size needs: a connection that indexes a few fields
// spends one 512-byte allocation on its index, not two of 4 KiB.
class TableIndex {
 public:
  // Bounds the index for a table of at most `max_table_size` octets and empties it (the slots
  // themselves are allocated by the first insertion).
  void reset(uint32_t max_table_size);

  // Re-indexes the live entries of `table` (after reset(), or when stale slots pile up).
  void rebuild(const DynamicTable& table);

  // Records the newest entry of `table` (just inserted) under its hashes.
  void on_insert(const DynamicTable& table, uint32_t name_hash, uint32_t pair_hash);

  // Position (0 = newest) of the newest live entry with this name and value / name, or -1.
  long find_pair(const DynamicTable& table, std::string_view name, std::string_view value,
                 uint32_t pair_hash) const;
  long find_name(const DynamicTable& table, std::string_view name, uint32_t name_hash) const;

 private:
  struct Slot {
    uint32_t seq1;  // (sequence number + 1) mod 2^32; 0 = empty
    uint32_t hash;
  };

  // Entry position of a slot, or -1 when its entry was evicted.
  static long position(const DynamicTable& table, Slot s) {
    const uint32_t age = static_cast<uint32_t>(table.inserted()) - s.seq1;
    return age < table.count() ? static_cast<long>(age) : -1;
  }
  static constexpr size_t kMinSlots = 32;
  // Empties both tables at `slots` slots each (a power of two).
  void allocate(size_t slots);
  void add(Slot* slots, const DynamicTable& table, uint32_t hash, bool by_pair);

  // Both tables in one allocation: by name in [0, cap), by name + value in [cap, 2 cap).
  std::vector<Slot> slots_;
  size_t cap() const { return slots_.size() / 2; }
  Slot* names() { return slots_.data(); }
  Slot* pairs() { return slots_.data() + cap(); }
  const Slot* names() const { return slots_.data(); }
  const Slot* pairs() const { return slots_.data() + cap(); }
  size_t mask_ = 0;
  size_t max_slots_ = kMinSlots;  // enough for a full table of the maximum size, at most 3/4 used
  size_t used_ = 0;               // non-empty slots in the fuller of the two tables
};

}  // namespace crossmux::codecs::hpack
