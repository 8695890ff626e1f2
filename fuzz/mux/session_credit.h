// mux_session's flow-control ledger: the HTTP/2 frames one direction of a connection carried,
// reduced to what the credit oracle needs (flow-controlled DATA bytes and WINDOW_UPDATE
// increments, per stream; stream 0 is the connection).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace crossmux::fuzz::mux_session {

// Request body bytes an exchange half holds that were never credited to the client: queued and
// not yet written, less any rewound (replayed) bytes whose credit went back the first time.
template <class Half>
uint64_t held_uncredited(const Half& h) {
  const uint64_t queued = h.queued();
  const uint64_t again = h.bytes_credited > h.bytes_sent ? h.bytes_credited - h.bytes_sent : 0;
  return queued > again ? queued - again : 0;
}

// Splits one direction's bytes into frames by their 9-byte headers (RFC 9113 §4.1); the payload is
// skipped except a WINDOW_UPDATE's increment. `skip` leading bytes (the client preface) are not
// frames. The sender's bytes are counted whether or not the receiver ends up reading them: the
// oracle uses the DATA counts as upper bounds, the WINDOW_UPDATE counts as what was granted.
class FrameTally {
 public:
  explicit FrameTally(size_t skip = 0) : skip_(skip) {}

  void feed(std::string_view bytes) {
    if (lost_) return;
    if (skip_ > 0) {
      const size_t n = std::min(skip_, bytes.size());
      skip_ -= n;
      bytes.remove_prefix(n);
    }
    while (!bytes.empty()) {
      if (payload_left_ > 0) {
        const size_t n = std::min(payload_left_, bytes.size());
        if (type_ == kWindowUpdate && wu_.size() < 4) {
          wu_.append(bytes.substr(0, std::min(n, 4 - wu_.size())));
          if (wu_.size() == 4) window_update();
        }
        payload_left_ -= n;
        bytes.remove_prefix(n);
        continue;
      }
      const size_t n = std::min(kHeader - header_.size(), bytes.size());
      header_.append(bytes.substr(0, n));
      bytes.remove_prefix(n);
      if (header_.size() == kHeader) frame_header();
    }
  }
  // The byte stream no longer is frames (raw bytes cut into it): counts stop.
  void lose() { lost_ = true; }
  bool lost() const { return lost_; }

  uint64_t data(uint32_t stream) const { return at(data_, stream); }
  uint64_t data_total() const { return data_total_; }
  // WINDOW_UPDATE increments; stream 0 is the connection's.
  uint64_t credit(uint32_t stream) const { return at(credit_, stream); }
  const std::map<uint32_t, uint64_t>& credits() const { return credit_; }

 private:
  static constexpr size_t kHeader = 9;
  static constexpr uint8_t kData = 0, kWindowUpdate = 8;

  static uint64_t at(const std::map<uint32_t, uint64_t>& m, uint32_t k) {
    auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  }
  static uint32_t be(std::string_view s, size_t at, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
    return v;
  }

  void frame_header() {
    const uint32_t length = be(header_, 0, 3);
    type_ = static_cast<uint8_t>(header_[3]);
    stream_ = be(header_, 5, 4) & 0x7fffffffu;
    header_.clear();
    wu_.clear();
    payload_left_ = length;
    // RFC 9113 §6.9.1: a DATA frame's whole length (padding included) is flow-controlled.
    if (type_ == kData) {
      data_[stream_] += length;
      data_total_ += length;
    }
  }
  void window_update() { credit_[stream_] += be(wu_, 0, 4) & 0x7fffffffu; }

  size_t skip_;
  bool lost_ = false;
  std::string header_;
  std::string wu_;
  size_t payload_left_ = 0;
  uint8_t type_ = 0;
  uint32_t stream_ = 0;
  std::map<uint32_t, uint64_t> data_;
  uint64_t data_total_ = 0;
  std::map<uint32_t, uint64_t> credit_;
};

// The windows a proxy opens without data, above RFC 9113's 65,535 start: its connection window
// (sent at the start) and a stream's (raised when its SETTINGS are acknowledged). {conn, stream}.
inline std::pair<uint64_t, uint64_t> window_slack(uint64_t connection_window,
                                                  uint64_t initial_window_size) {
  return {connection_window > 65535 ? connection_window - 65535 : 0,
          initial_window_size > 65535 ? initial_window_size - 65535 : 0};
}

inline void print_credit(const char* side, uint32_t stream, uint64_t credit, uint64_t held,
                         uint64_t sent) {
  std::fprintf(stderr, "%s stream %u: credit %llu, held %llu, sent %llu (+ slack)\n", side, stream,
               static_cast<unsigned long long>(credit), static_cast<unsigned long long>(held),
               static_cast<unsigned long long>(sent));
}

// The credit oracle's rule for one stream (0: the connection): credit returned plus bytes still
// held never exceed what was sent. Prints the figures when broken.
inline bool over_credit(const char* side, uint32_t stream, uint64_t credit, uint64_t held,
                        uint64_t sent) {
  if (credit + held <= sent) return false;
  print_credit(side, stream, credit, held, sent);
  return true;
}

}  // namespace crossmux::fuzz::mux_session
