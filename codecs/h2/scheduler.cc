// RFC 9218 Priority field parsing (§4, §5) and urgency/incremental DATA scheduling (§10).
#include "codecs/h2/scheduler.h"

#include <algorithm>
#include <functional>

namespace crossmux::codecs::h2 {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One dictionary member of RFC 8941 as RFC 9218 uses it: "u=N", "i", "i=?0", "i=?1".
void apply_member(std::string_view m, Priority& p) {
  size_t semi = m.find(';');  // parameters are ignored
  m = trim(m.substr(0, semi));
  size_t eq = m.find('=');
  std::string_view key = m.substr(0, eq);
  std::string_view val = eq == std::string_view::npos ? std::string_view() : m.substr(eq + 1);
  if (key == "u") {
    if (val.size() == 1 && val[0] >= '0' && val[0] <= '7') p.urgency = val[0] - '0';
  } else if (key == "i") {
    if (eq == std::string_view::npos || val == "?1") p.incremental = true;
    if (val == "?0") p.incremental = false;
  }
}

}  // namespace

Priority parse_priority(std::string_view value, Priority base) {
  Priority p = base;
  while (!value.empty()) {
    size_t comma = value.find(',');
    apply_member(value.substr(0, comma), p);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return p;
}

void Scheduler::push(uint32_t stream_id, Priority p) {
  Level& l = levels_[p.urgency & 7];
  if (p.incremental) {
    l.incremental.push_back(stream_id);
  } else {
    auto at = std::lower_bound(l.sequential.begin(), l.sequential.end(), stream_id,
                               std::greater<uint32_t>());
    if (at == l.sequential.end() || *at != stream_id) l.sequential.insert(at, stream_id);
  }
  ++size_;
}

uint32_t Scheduler::pop() {
  for (Level& l : levels_) {
    if (!l.sequential.empty()) {
      uint32_t id = l.sequential.back();
      l.sequential.pop_back();
      --size_;
      return id;
    }
    if (!l.incremental_empty()) {
      uint32_t id = l.incremental[l.head++];
      if (l.incremental_empty()) {
        l.incremental.clear();
        l.head = 0;
      } else if (l.head >= 64 && l.head * 2 >= l.incremental.size()) {
        // Amortised compaction: the consumed prefix never exceeds the live part for long.
        l.incremental.erase(l.incremental.begin(), l.incremental.begin() + l.head);
        l.head = 0;
      }
      --size_;
      return id;
    }
  }
  return 0;
}

void Scheduler::remove(uint32_t stream_id, Priority p) {
  Level& l = levels_[p.urgency & 7];
  if (p.incremental) {
    auto begin = l.incremental.begin() + static_cast<std::ptrdiff_t>(l.head);
    auto it = std::find(begin, l.incremental.end(), stream_id);
    if (it == l.incremental.end()) return;
    l.incremental.erase(it);
  } else {
    auto it = std::lower_bound(l.sequential.begin(), l.sequential.end(), stream_id,
                               std::greater<uint32_t>());
    if (it == l.sequential.end() || *it != stream_id) return;
    l.sequential.erase(it);
  }
  --size_;
}

}  // namespace crossmux::codecs::h2
