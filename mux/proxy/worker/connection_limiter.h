// ConnectionLimiter: global and per-client-IP caps on open client connections.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace crossmux::mux::proxy {

// One per process, shared by every worker thread (and every configuration generation, so a
// reload neither forgets nor doubles the counts): the caps are process-wide. Thread-safe; the
// lock is taken once per accepted and once per closed connection, never per request.
class ConnectionLimiter {
 public:
  ConnectionLimiter(uint32_t max_total, uint32_t max_per_ip)
      : max_total_(max_total), max_per_ip_(max_per_ip) {}

  enum class Verdict : uint8_t { Accept = 0, TooManyTotal = 1, TooManyFromIp = 2 };

  // Counts the connection when accepted; every accepted connection must be released once.
  Verdict try_acquire(const std::string& ip);
  void release(const std::string& ip);
  // New caps (a reload); connections already open stay open.
  void set_limits(uint32_t max_total, uint32_t max_per_ip);

  uint32_t total() const;
  uint32_t from(const std::string& ip) const;
  uint64_t refused() const;

 private:
  mutable std::mutex mu_;
  uint32_t max_total_;
  uint32_t max_per_ip_;
  uint32_t total_ = 0;
  uint64_t refused_ = 0;
  std::unordered_map<std::string, uint32_t> per_ip_;
};

}  // namespace crossmux::mux::proxy
