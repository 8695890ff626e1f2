// Stream table bookkeeping: open counts per initiator and the ring of recently closed ids.
#include "codecs/h2/stream_table.h"

namespace crossmux::codecs::h2 {

Stream& StreamTable::open(StreamId id, bool local, uint32_t recv_target, int64_t send_window) {
  if (spare_.empty() || streams_.contains(id)) {
    auto [it, inserted] = streams_.try_emplace(id, id, local, recv_target, send_window);
    if (inserted) ++(local ? local_open_ : peer_open_);
    return it->second;
  }
  auto node = std::move(spare_.back());
  spare_.pop_back();
  node.key() = id;
  node.mapped() = Stream(id, local, recv_target, send_window);
  ++(local ? local_open_ : peer_open_);
  return streams_.insert(std::move(node)).position->second;
}

void StreamTable::close(StreamId id, bool reset_by_us) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  --(it->second.local ? local_open_ : peer_open_);
  if (spare_.size() < kSpareNodes) {
    // The parked node lets go of the stream's buffers now, not when it is reused.
    auto node = streams_.extract(it);
    node.mapped() = Stream(0, false, 0, 0);
    spare_.push_back(std::move(node));
  } else {
    streams_.erase(it);
  }
  remember(id, reset_by_us);
}

void StreamTable::remember(StreamId id, bool reset_by_us) {
  recent_[recent_next_] = Recent{id, reset_by_us};
  recent_next_ = (recent_next_ + 1) % kRecentClosed;
  if (recent_count_ < kRecentClosed) ++recent_count_;
}

Closure StreamTable::closure(StreamId id) const {
  for (size_t i = 0; i < recent_count_; ++i) {
    const Recent& r = recent_[i];
    if (r.id == id) return r.reset_by_us ? Closure::ResetByUs : Closure::Closed;
  }
  return Closure::Unknown;
}

}  // namespace crossmux::codecs::h2
