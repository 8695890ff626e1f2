// HPACK dynamic table storage, eviction and resizing (RFC 7541 §4).
#include "codecs/hpack/dynamic_table.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "codecs/hpack/field.h"

namespace crossmux::codecs::hpack {

DynamicTable::DynamicTable(uint32_t max_size) {
  set_max_size(max_size);
}

void DynamicTable::evict_oldest() {
  const Slot& s = slots_[head_];
  size_ -= s.name_len + s.value_len + kEntryOverhead;
  head_ = (head_ + 1) & slot_mask_;
  --count_;
  if (count_ == 0 && !stable_) write_ = 0;
}

void DynamicTable::clear() {
  head_ = count_ = size_ = 0;
  if (!stable_) write_ = 0;
}

void DynamicTable::release_retired() {
  if (retired_.empty()) return;
  spare_ = std::move(retired_.back());
  retired_.clear();  // keeps its capacity: no allocation next time
}

// Room for `len` contiguous bytes after the newest entry, compacting the live bytes to the front
// (stable mode: into another buffer) when the tail is too short. Live bytes never exceed
// max_size_ and the buffer holds twice that, so after compaction any entry that fits the table
// fits the buffer.
char* DynamicTable::place(size_t len) {
  if (buf_cap_ - write_ < len && stable_) {
    relocate(buf_cap_);
  } else if (buf_cap_ - write_ < len) {
    const size_t start = count_ ? slots_[head_].off : write_;
    const size_t live = write_ - start;
    if (live > 0) std::memmove(buf_.get(), buf_.get() + start, live);  // buf_ may be null
    for (size_t i = 0; i < count_; ++i) slots_[(head_ + i) & slot_mask_].off -= start;
    write_ = live;
  }
  assert(buf_cap_ - write_ >= len);
  char* p = buf_.get() + write_;
  write_ += len;
  return p;
}

void DynamicTable::insert(std::string_view name, std::string_view value) {
  const size_t need = entry_size(name, value);
  if (need > max_size_) {
    clear();  // RFC 7541 §4.4: not an error; the table ends up empty
    return;
  }
  // The name may view an entry that eviction or compaction is about to overwrite (stable mode
  // never overwrites).
  const auto at = reinterpret_cast<uintptr_t>(name.data());
  const auto base = reinterpret_cast<uintptr_t>(buf_.get());
  if (!stable_ && at >= base && at < base + buf_cap_) {
    alias_.assign(name);
    name = alias_;
  }
  while (size_ + need > max_size_) evict_oldest();
  grow_for(name.size() + value.size());
  char* p = place(name.size() + value.size());
  if (!name.empty()) std::memcpy(p, name.data(), name.size());
  if (!value.empty()) std::memcpy(p + name.size(), value.data(), value.size());
  const size_t tail = (head_ + count_) & slot_mask_;
  slots_[tail] = Slot{static_cast<uint32_t>(p - buf_.get()), static_cast<uint32_t>(name.size()),
                      static_cast<uint32_t>(value.size())};
  ++count_;
  size_ += need;
  ++inserted_;
}

void DynamicTable::set_max_size(uint32_t max_size) {
  max_size_ = max_size;
  while (size_ > max_size_) evict_oldest();
}

// Storage grows with the live entries rather than being sized for the maximum up front: an idle
// connection's two tables cost nothing, a busy one ends at the same 2 x max_size as before. The
// buffer keeps at least twice the live bytes (after this insert), so compaction stays amortised
// and any entry that fits the table fits the buffer after compaction.
void DynamicTable::grow_for(size_t entry_bytes) {
  const size_t live = size_ - count_ * kEntryOverhead + entry_bytes;
  const size_t limit = 2 * static_cast<size_t>(max_size_);
  if (2 * live > buf_cap_ && buf_cap_ < limit) {
    size_t want = buf_cap_ ? buf_cap_ : kMinBuffer;
    while (want < 2 * live) want *= 2;
    relocate(std::min(want, limit));
  }
  const size_t ring = slots_ ? slot_mask_ + 1 : 0;
  if (count_ + 1 > ring) reserve_slots(ring ? ring * 2 : 8);
}

// Grows the slot ring (a power of two), keeping the live slots in order from 0.
void DynamicTable::reserve_slots(size_t slots) {
  const size_t current = slots_ ? slot_mask_ + 1 : 0;
  size_t ring = current ? current : 8;
  while (ring < slots) ring *= 2;
  if (ring != current) {
    std::unique_ptr<Slot[]> fresh(new Slot[ring]);
    for (size_t i = 0; i < count_; ++i) fresh[i] = slots_[(head_ + i) & slot_mask_];
    slots_ = std::move(fresh);
    slot_mask_ = ring - 1;
    head_ = 0;
  }
}

// Copies the live entries to the front of a buffer of `bytes` octets (the spare when it fits);
// the old buffer is retired in stable mode, freed otherwise.
void DynamicTable::relocate(size_t bytes) {
  std::unique_ptr<char[]> buf;
  if (spare_.buf && spare_.cap == bytes) {
    buf = std::move(spare_.buf);
  } else {
    buf.reset(new char[bytes ? bytes : 1]);
  }
  spare_ = Retired{nullptr, 0};
  size_t w = 0;
  for (size_t i = 0; i < count_; ++i) {
    Slot& s = slots_[(head_ + i) & slot_mask_];
    const size_t len = s.name_len + s.value_len;
    // Empty entries (name and value "") may exist while no buffer was ever allocated: a null
    // source, even with length 0, is undefined behaviour for memcpy (UBSan, hpack_decode seeds).
    if (len > 0) std::memcpy(buf.get() + w, buf_.get() + s.off, len);
    s.off = static_cast<uint32_t>(w);
    w += len;
  }
  if (stable_ && buf_) retired_.push_back(Retired{std::move(buf_), buf_cap_});
  buf_ = std::move(buf);
  buf_cap_ = bytes;
  write_ = w;
}

}  // namespace crossmux::codecs::hpack
