// The proxy's metric families and how the request path's plain counters reach them.
#include "mux/proxy/ops/proxy_metrics.h"

#include <algorithm>
#include <string>

namespace crossmux::mux::proxy {

namespace {

constexpr std::array<std::string_view, 6> kClassNames = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::array<std::string_view, 6> kPairingNames = {"h1->h1", "h1->h2", "h1->proxy",
                                                           "h2->h1", "h2->h2", "h2->proxy"};
constexpr std::array<std::string_view, 2> kSides = {"client", "backend"};

size_t status_class(uint16_t status) {
  return status >= 100 && status < 600 ? status / 100 : 0;
}

}  // namespace

std::string_view to_string(ProxyLimit l) {
  static constexpr std::array<std::string_view, kProxyLimits> kNames = {
      "max_connections",           "max_connections_per_ip",
      "max_request_line",          "max_header_bytes",
      "max_header_fields",         "max_request_body",
      "request_headers_timeout",   "max_buffers",
      "max_buffers_per_connection"};
  const auto i = static_cast<size_t>(l);
  return i < kNames.size() ? kNames[i] : "unknown";
}

ProxyMetrics::ProxyMetrics(const config::Config& config)
    : requests_(registry_.counter("crossmux_requests_total",
                                  "Requests finished, by cluster, protocol pairing "
                                  "(client->backend; proxy: answered by the proxy) and status "
                                  "class (none: aborted before a response head).",
                                  {"cluster", "pairing", "class"})),
      duration_(registry_.histogram("crossmux_request_duration_seconds",
                                    "Request head received to response end, by cluster.",
                                    {"cluster"}, Registry::latency_buckets())),
      backend_duration_(registry_.histogram(
          "crossmux_backend_response_seconds",
          "Request sent to the backend to its response head, by cluster and backend.",
          {"cluster", "backend"}, Registry::latency_buckets())),
      backend_requests_(registry_.counter(
          "crossmux_backend_requests_total",
          "Requests that went to a backend (the last one tried), by cluster and backend.",
          {"cluster", "backend"})),
      backend_errors_(registry_.counter(
          "crossmux_backend_errors_total",
          "Of those, the ones the backend did not answer (the proxy answered 502 or 504 in its "
          "place: connect failure, reset, timeout) or answered with a 5xx.",
          {"cluster", "backend"})),
      backend_sent_(registry_.counter("crossmux_backend_sent_bytes_total",
                                      "Request body bytes written to the backend.",
                                      {"cluster", "backend"})),
      backend_received_(registry_.counter("crossmux_backend_received_bytes_total",
                                          "Response body bytes read from the backend.",
                                          {"cluster", "backend"})),
      connections_(registry_.gauge("crossmux_client_connections", "Open client connections.")),
      accepted_total_(registry_.counter("crossmux_client_connections_total",
                                        "Client connections accepted (not refused by a cap).")),
      streams_(registry_.gauge("crossmux_active_streams",
                               "Requests in flight on client connections (HTTP/2 streams and "
                               "HTTP/1.1 requests).")),
      buffered_(registry_.gauge("crossmux_buffered_body_bytes",
                                "Body bytes exchanges hold between their reader and their "
                                "writer (limits.max_buffers counts them in 16 KiB units).")),
      pool_hits_(registry_.counter("crossmux_backend_pool_hits_total",
                                   "Requests given a backend connection that had already served "
                                   "one (reuse), by cluster.",
                                   {"cluster"})),
      pool_misses_(registry_.counter("crossmux_backend_pool_misses_total",
                                     "Backend connections opened because none could take the "
                                     "request, by cluster.",
                                     {"cluster"})),
      pool_size_(registry_.gauge("crossmux_backend_pool_connections",
                                 "Open backend connections, by cluster.", {"cluster"})),
      frames_(registry_.counter("crossmux_h2_frames_total",
                                "HTTP/2 frames by connection side (client: client-facing; "
                                "backend), direction (in: received) and frame type.",
                                {"side", "direction", "type"})),
      resets_(registry_.counter("crossmux_h2_rst_stream_total",
                                "RST_STREAM frames by connection side, direction and error code.",
                                {"side", "direction", "code"})),
      goaways_(registry_.counter("crossmux_h2_goaway_total",
                                 "GOAWAY frames by connection side, direction and error code.",
                                 {"side", "direction", "code"})),
      limits_(registry_.counter("crossmux_limit_hits_total",
                                "Abuse limits that fired, by connection side and limit (the "
                                "configuration key that sets it).",
                                {"side", "limit"})),
      ring_(registry_.counter(
          "crossmux_io_uring_events_total",
          "The io_uring event loop's work (io_uring loops only), by event: enter (system "
          "calls), send (sends submitted), receive_armed (receives started: a multishot receive "
          "runs on, a paced one starts per buffer), completion (completions reaped).",
          {"event"})) {
  for (const auto& c : config.clusters) {
    clusters_.push_back(c.name);
    // Every cluster's pool series exist from the start, at zero.
    pool_hits_.set({c.name}, 0);
    pool_misses_.set({c.name}, 0);
    pool_size_.set({c.name}, 0);
    backend_series_.emplace_back();
    for (const auto& b : c.backends) {
      const LabelValues labels{c.name, b.address.to_string()};
      backend_series_.back().push_back(
          {backend_requests_.handle(labels), backend_errors_.handle(labels),
           backend_sent_.handle(labels), backend_received_.handle(labels),
           backend_duration_.handle(labels)});
    }
  }
  clusters_.push_back("-");  // index -1 maps here (see cluster_label)
  const size_t slots = clusters_.size();
  request_cache_.resize(slots * kPairings * kClasses);
  duration_cache_.resize(slots);
  // Every client-side limit is listed at zero, so an operator sees what can fire.
  std::vector<std::string_view> keys;
  auto slot_of = [&](std::string_view key) {
    const auto it = std::find(keys.begin(), keys.end(), key);
    if (it != keys.end()) return static_cast<size_t>(it - keys.begin());
    keys.push_back(key);
    client_limit_series_.push_back(limits_.handle({"client", std::string(key)}));
    return keys.size() - 1;
  };
  for (size_t i = 0; i < kProxyLimits; ++i) {
    proxy_limit_slot_[i] = slot_of(to_string(static_cast<ProxyLimit>(i)));
  }
  for (size_t i = 0; i < codecs::h2::kLimitKinds; ++i) {
    h2_limit_slot_[i] = slot_of(to_string(static_cast<codecs::h2::LimitKind>(i)));
  }
}

const std::string& ProxyMetrics::cluster_label(int cluster) const {
  return cluster < 0 ? clusters_.back() : clusters_[static_cast<size_t>(cluster)];
}

Family::Handle& ProxyMetrics::latency_series(Family& f, std::vector<Family::Handle>& cache,
                                             int cluster) {
  const size_t slot = cluster < 0 ? cache.size() - 1 : static_cast<size_t>(cluster);
  Family::Handle& h = cache[slot];
  if (!h) h = f.handle({cluster_label(cluster)});
  return h;
}

void ProxyMetrics::request(const RequestSample& r) {
  const size_t cluster_slot = r.cluster < 0 ? clusters_.size() - 1 : static_cast<size_t>(r.cluster);
  const size_t out = r.answered || r.cluster < 0 ? 2 : r.h2_out ? 1 : 0;
  const size_t pairing = (r.h2_in ? 3 : 0) + out;
  const size_t cls = status_class(r.status);
  Family::Handle& h = request_cache_[(cluster_slot * kPairings + pairing) * kClasses + cls];
  if (!h) {
    h = requests_.handle({cluster_label(r.cluster), std::string(kPairingNames[pairing]),
                          std::string(kClassNames[cls])});
  }
  h.add();
  latency_series(duration_, duration_cache_, r.cluster).observe(r.total_seconds);
  if (r.cluster < 0 || r.backend < 0) return;
  const auto c = static_cast<size_t>(r.cluster);
  const auto b = static_cast<size_t>(r.backend);
  if (c >= backend_series_.size() || b >= backend_series_[c].size()) return;
  BackendSeries& bs = backend_series_[c][b];
  bs.requests.add();
  if (r.backend_error) bs.errors.add();
  bs.sent.add(static_cast<double>(r.backend_bytes_sent));
  bs.received.add(static_cast<double>(r.backend_bytes_received));
  if (r.backend_seconds >= 0) bs.latency.observe(r.backend_seconds);
}

void ProxyMetrics::sync_limits() {
  // The same key can be enforced by both layers (max_header_fields: the H1 decoder and HPACK):
  // one series per key, the sum.
  std::array<uint64_t, kLimitKeys> client{};
  for (size_t i = 0; i < kProxyLimits; ++i) client[proxy_limit_slot_[i]] += proxy_limits_[i];
  for (size_t i = 0; i < codecs::h2::kLimitKinds; ++i) {
    client[h2_limit_slot_[i]] += h2_[0].limits[i];
    if (h2_[1].limits[i] > 0) {
      limits_.set({"backend", std::string(to_string(static_cast<codecs::h2::LimitKind>(i)))},
                  static_cast<double>(h2_[1].limits[i]));
    }
  }
  for (size_t s = 0; s < client_limit_series_.size(); ++s) {
    client_limit_series_[s].set(static_cast<double>(client[s]));
  }
}

const Registry& ProxyMetrics::sync(const Gauges& g) {
  connections_.set({}, static_cast<double>(g.client_connections));
  streams_.set({}, static_cast<double>(g.active_streams));
  buffered_.set({}, static_cast<double>(g.buffered_body_bytes));
  accepted_total_.set({}, static_cast<double>(accepted_));
  for (size_t c = 0; c + 1 < clusters_.size(); ++c) {
    const LabelValues labels{clusters_[c]};
    if (c < g.pool_connections.size())
      pool_size_.set(labels, static_cast<double>(g.pool_connections[c]));
    if (c < g.pool_hits.size()) pool_hits_.set(labels, static_cast<double>(g.pool_hits[c]));
    if (c < g.pool_misses.size()) pool_misses_.set(labels, static_cast<double>(g.pool_misses[c]));
  }
  sync_limits();
  if (g.io_uring) {
    ring_.set({"enter"}, static_cast<double>(g.ring_enters));
    ring_.set({"send"}, static_cast<double>(g.ring_sends));
    ring_.set({"receive_armed"}, static_cast<double>(g.ring_receives_armed));
    ring_.set({"completion"}, static_cast<double>(g.ring_completions));
  }
  using codecs::h2::Counters;
  for (size_t side = 0; side < h2_.size(); ++side) {
    const Counters& c = h2_[side];
    const std::string s(kSides[side]);
    // Series appear once they are non-zero (and stay), so an idle proxy's page stays short.
    auto put = [&](Family& f, const std::string& dir, std::string_view name, uint64_t v) {
      if (v > 0 || f.value({s, dir, std::string(name)}) > 0) {
        f.set({s, dir, std::string(name)}, static_cast<double>(v));
      }
    };
    for (size_t t = 0; t < Counters::kFrameSlots; ++t) {
      put(frames_, "in", Counters::frame_name(t), c.frames_in[t]);
      put(frames_, "out", Counters::frame_name(t), c.frames_out[t]);
    }
    for (size_t k = 0; k < Counters::kCodeSlots; ++k) {
      put(resets_, "in", Counters::code_name(k), c.rst_in[k]);
      put(resets_, "out", Counters::code_name(k), c.rst_out[k]);
      put(goaways_, "in", Counters::code_name(k), c.goaway_in[k]);
      put(goaways_, "out", Counters::code_name(k), c.goaway_out[k]);
    }
  }
  return registry_;
}

}  // namespace crossmux::mux::proxy
