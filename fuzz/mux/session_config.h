// mux_session's proxy configurations: three input bytes choose the limits, timeouts, clusters
// (HTTP/1.1 or h2c, one or two backends each), the listener's protocols and the request body
// limit. Only 15 of their bits matter (config_key, 16,384 configurations): each is built once per
// process, when first used, and shared.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "mux/config/config.h"

namespace crossmux::fuzz::mux_session {

namespace config = mux::config;

inline constexpr std::array<uint32_t, 4> kStreams = {100, 1, 2, 8};
inline constexpr std::array<uint32_t, 4> kWindows = {65535, 1024, 16384, 262144};
inline constexpr std::array<size_t, 4> kCapacity = {65536, 512, 4096, 1 << 20};
// Pieces one send is cut into at most (the last takes the rest): each piece is followed by a settle
// and every oracle, so a 300,000-byte body in two-byte pieces took 20 s of one execution.
inline constexpr size_t kMaxPieces = 64;
// limits.max_request_body by mode bits 5-7 (0: no limit). A limit only with bit 5 and bit 6 or 7
// set, so the seeds written before it (most with none of the three) keep their meaning: 300 takes
// the 100-byte bodies and refuses the 4,000-byte ones, 3,999 refuses those by one byte, 4,000
// takes them exactly (session_traffic.h body_size).
inline constexpr std::array<uint64_t, 8> kBodyLimits = {0, 0, 0, 300, 0, 3999, 0, 4000};
inline size_t body_limit_index(uint8_t mode) {
  const unsigned i = (mode >> 5) & 7;
  return kBodyLimits[i] == 0 ? 0 : i / 2;  // 3, 5, 7 -> 1, 2, 3
}

// The configuration bits of the three bytes: mode 0xfa, shape 0xcf, peer_shape 0x70.
inline constexpr size_t kConfigs = 1 << 14;
inline size_t config_key(uint8_t mode, uint8_t shape, uint8_t peer_shape) {
  return ((mode >> 1) & 1) | ((mode >> 3) & 3) << 1 | (shape & 0x0f) << 3 |
         ((shape >> 6) & 3) << 7 | ((peer_shape >> 4) & 7) << 9 | body_limit_index(mode) << 12;
}

inline std::shared_ptr<const config::Config> make_config(uint8_t mode, uint8_t shape,
                                                         uint8_t peer_shape) {
  auto config = std::make_shared<config::Config>();
  config::Config& cfg = *config;
  const bool backend_a_h2 = mode & 2;
  const bool two_backends = mode & 8;
  const bool small_timeouts = !(mode & 16);
  // Bodies past it draw a 413 (before anything is forwarded, or with the backend's copy
  // abandoned) or, the response started, a cut stream (ClientSession::body_over_limit).
  cfg.limits.max_request_body = kBodyLimits[(mode >> 5) & 7];
  cfg.limits.max_concurrent_streams = kStreams[shape & 3];
  cfg.limits.initial_window_size = kWindows[(shape >> 2) & 3];
  const uint32_t per_backend = 1 + ((shape >> 6) & 1) + ((shape >> 7) & 1) * 2;
  if (small_timeouts) {
    auto& t = cfg.timeouts;
    t.request_headers = config::Millis(200);
    t.client_idle = config::Millis(500);
    t.backend_connect = config::Millis(100);
    t.backend_response = config::Millis(300);
    t.stream_progress = config::Millis(300);
    t.tunnel = config::Millis(400);
    t.settings_ack = config::Millis(200);
  }
  config::Listener l;
  l.name = "in";
  l.address = {"127.0.0.1", 8080};
  l.http2 = !(peer_shape & 16);
  cfg.listeners.push_back(l);
  for (int i = 0; i < 2; ++i) {
    config::Cluster c;
    c.name = i == 0 ? "a" : "b";
    const bool h2 = (i == 0) == backend_a_h2;
    c.protocol = h2 ? config::BackendProtocol::H2c : config::BackendProtocol::Http1;
    c.backends.push_back({{"127.0.0.1", static_cast<uint16_t>(9000 + 2 * i)}, 1});
    if (two_backends) c.backends.push_back({{"127.0.0.1", static_cast<uint16_t>(9001 + 2 * i)}, 1});
    c.max_connections_per_backend = per_backend;
    c.connect_retries = (peer_shape >> 5) & 3;
    cfg.clusters.push_back(c);
  }
  // example.com goes to cluster a, any other host to b; "*" and "" paths match no frontend.
  config::Frontend fa;
  fa.hostname = "example.com";
  fa.cluster = "a";
  config::Frontend fb;
  fb.cluster = "b";
  cfg.frontends = {fa, fb};
  return config;
}

// One of kConfigs configurations, built when first asked for and shared read-only (the Worker
// only ever reads it). The bits outside the key do not change the configuration.
inline const std::shared_ptr<const config::Config>& shared_config(uint8_t mode, uint8_t shape,
                                                                  uint8_t peer_shape) {
  static std::vector<std::shared_ptr<const config::Config>> table(kConfigs);
  auto& slot = table[config_key(mode, shape, peer_shape)];
  if (!slot) slot = make_config(mode, shape, peer_shape);
  return slot;
}

}  // namespace crossmux::fuzz::mux_session
