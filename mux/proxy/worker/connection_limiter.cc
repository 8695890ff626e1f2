// Connection caps bookkeeping.
#include "mux/proxy/worker/connection_limiter.h"

namespace crossmux::mux::proxy {

ConnectionLimiter::Verdict ConnectionLimiter::try_acquire(const std::string& ip) {
  std::lock_guard lock(mu_);
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
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(ip);
  if (it == per_ip_.end()) return;
  if (--it->second == 0) per_ip_.erase(it);  // the map holds only IPs with open connections
  --total_;
}

void ConnectionLimiter::set_limits(uint32_t max_total, uint32_t max_per_ip) {
  std::lock_guard lock(mu_);
  max_total_ = max_total;
  max_per_ip_ = max_per_ip;
}

uint32_t ConnectionLimiter::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

uint64_t ConnectionLimiter::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

uint32_t ConnectionLimiter::from(const std::string& ip) const {
  std::lock_guard lock(mu_);
  auto it = per_ip_.find(ip);
  return it == per_ip_.end() ? 0 : it->second;
}

}  // namespace crossmux::mux::proxy
