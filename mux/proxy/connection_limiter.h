// ConnectionLimiter: global and per-client-IP caps on open client connections.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace crossmux::mux::proxy {

class ConnectionLimiter {
 public:
  ConnectionLimiter(uint32_t max_total, uint32_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}

  enum class Verdict : uint8_t { Accept = 0, TooManyTotal = 1, TooManyFromIp = 2 };

  // Counts the connection when accepted; every accepted connection must be released once.
  Verdict try_acquire(const std::string& ip);
  void release(const std::string& ip);

  uint32_t total() const { return total_; }
  uint32_t from(const std::string& ip) const;
  uint64_t refused() const { return refused_; }

 private:
  uint32_t max_total_;
  uint32_t max_per_ip_;
  uint32_t total_ = 0;
  uint64_t refused_ = 0;
  std::unordered_map<std::string, uint32_t> per_ip_;
};

}  // namespace crossmux::mux::proxy
