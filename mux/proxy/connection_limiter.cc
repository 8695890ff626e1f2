// Connection caps bookkeeping.
#include "mux/proxy/connection_limiter.h"

namespace crossmux::mux::proxy {

ConnectionLimiter::Verdict ConnectionLimiter::try_acquire(const std::string& ip) {
  if (total_ >= max_total_) {
    ++refused_;
    return Verdict::TooManyTotal;
  }
  uint32_t& n = per_ip_[ip];
  if (n >= max_per_ip_) {
    ++refused_;
    if (n == 0) per_ip_.erase(ip);
    return Verdict::TooManyFromIp;
  }
  ++n;
  ++total_;
  return Verdict::Accept;
}

void ConnectionLimiter::release(const std::string& ip) {
  auto it = per_ip_.find(ip);
  if (it == per_ip_.end()) return;
  if (--it->second == 0) per_ip_.erase(it);  // the map holds only IPs with open connections
  --total_;
}

uint32_t ConnectionLimiter::from(const std::string& ip) const {
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace crossmux::mux::proxy
