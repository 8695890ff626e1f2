// The HPACK dynamic table (RFC 7541 §2.3.2, §4): FIFO entries with exact size accounting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace crossmux::codecs::hpack {

// Entries live in one byte buffer of up to twice the maximum size (grown with the live entries),
// appended at the end and compacted
// when the tail runs out, plus a ring of {offset, lengths} slots. Size is name + value + 32 per
// entry (RFC 7541 §4.1). Views returned by get() stay valid until the next insert(),
// set_max_size() or clear() -- or, in stable mode, until release_retired(). Not thread-safe.
class DynamicTable {
 public:
  struct Entry {
    std::string_view name;
    std::string_view value;
  };

  explicit DynamicTable(uint32_t max_size = 4096);

  size_t size() const { return size_; }  // RFC 7541 §4.1 size
  uint32_t max_size() const { return max_size_; }
  size_t count() const { return count_; }
  // Number of entries ever inserted; the entry inserted n-th (0-based) has sequence number n.
  uint64_t inserted() const { return inserted_; }

  // i = 0 is the newest entry (HPACK index 62); requires i < count().
  Entry get(size_t i) const {
    const Slot& s = slots_[(head_ + count_ - 1 - i) & slot_mask_];
    const char* p = buf_.get() + s.off;
    return Entry{std::string_view(p, s.name_len), std::string_view(p + s.name_len, s.value_len)};
  }

  // RFC 7541 §4.4: evicts from the oldest until the entry fits, then adds it as the newest; an
  // entry larger than the maximum size empties the table and is not added. `name` may view an
  // entry of this table (a literal with an indexed dynamic name), even one this insert evicts.
  void insert(std::string_view name, std::string_view value);

  // RFC 7541 §4.3: a new maximum evicts from the oldest until the size fits.
  void set_max_size(uint32_t max_size);

  void clear();

  // Stable mode (the decoder's): bytes once written are neither moved nor overwritten until
  // release_retired(), so views from get() outlive later inserts and evictions. When the tail runs
  // out, live entries move to a fresh buffer and the old one is retired instead of compacted.
  void set_stable(bool stable) { stable_ = stable; }
  // Frees the buffers retired since the last call, keeping one as the spare for the next
  // relocation (so a steady state allocates nothing). Invalidates views into them.
  void release_retired();

 private:
  struct Slot {
    uint32_t off;
    uint32_t name_len;
    uint32_t value_len;
  };

  void evict_oldest();
  char* place(size_t len);
  void grow_for(size_t entry_bytes);
  void reserve_slots(size_t slots);
  static constexpr size_t kMinBuffer = 256;
  void relocate(size_t bytes);

  std::unique_ptr<char[]> buf_;
  size_t buf_cap_ = 0;
  size_t write_ = 0;               // end of the newest entry's bytes
  std::unique_ptr<Slot[]> slots_;  // ring of slot_mask_ + 1 slots (not zeroed: only live ones read)
  size_t slot_mask_ = 0;
  size_t head_ = 0;  // slot of the oldest entry
  size_t count_ = 0;
  size_t size_ = 0;
  uint32_t max_size_ = 0;
  uint64_t inserted_ = 0;
  std::string alias_;  // copy of a name that views our own buffer
  bool stable_ = false;
  struct Retired {
    std::unique_ptr<char[]> buf;
    size_t cap;
  };
  std::vector<Retired> retired_;
  Retired spare_{nullptr, 0};  // a retired buffer, reused when a relocation needs its size
};

}  // namespace crossmux::codecs::hpack
