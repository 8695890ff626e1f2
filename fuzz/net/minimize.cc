// ddmin over units, then over bytes within HTTP/1.1 lines.
#include "fuzz/net/minimize.h"

#include <algorithm>
#include <string>
#include <vector>

namespace crossmux::fuzz::net {

namespace {

// ddmin over a sequence: removes chunks while `test` keeps holding.
template <class T, class Test>
std::vector<T> ddmin(std::vector<T> items, Test&& test) {
  size_t n = 2;
  while (items.size() >= 2) {
    const size_t chunk = (items.size() + n - 1) / n;
    bool reduced = false;
    for (size_t start = 0; start < items.size(); start += chunk) {
      std::vector<T> rest(items.begin(), items.begin() + static_cast<long>(start));
      rest.insert(rest.end(),
                  items.begin() + static_cast<long>(std::min(items.size(), start + chunk)),
                  items.end());
      if (rest.empty()) continue;
      if (test(rest)) {
        items = std::move(rest);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= items.size()) break;
      n = std::min(items.size(), n * 2);
    }
  }
  return items;
}

}  // namespace

NetCase minimize(const NetCase& c, const std::function<bool(const NetCase&)>& reproduces,
                 size_t budget, size_t* tries) {
  size_t used = 0;
  bool out_of_budget = false;
  NetCase best = c;
  auto attempt = [&](const NetCase& candidate) {
    if (used >= budget) {
      out_of_budget = true;
      return false;
    }
    ++used;
    return reproduces(candidate);
  };
  best.units = ddmin(best.units, [&](const std::vector<std::string>& units) {
    NetCase candidate{best.proto, units};
    return attempt(candidate);
  });
  if (best.proto == Proto::H1) {
    for (size_t i = 0; i < best.units.size() && !out_of_budget; ++i) {
      if (best.units[i].size() < 2) continue;
      std::vector<char> bytes(best.units[i].begin(), best.units[i].end());
      bytes = ddmin(bytes, [&](const std::vector<char>& b) {
        NetCase candidate = best;
        candidate.units[i].assign(b.begin(), b.end());
        return attempt(candidate);
      });
      best.units[i].assign(bytes.begin(), bytes.end());
    }
  }
  if (tries) *tries = used;
  return best;
}

}  // namespace crossmux::fuzz::net
