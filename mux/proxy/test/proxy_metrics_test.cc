// ProxyMetrics: label values of requests, limits summed across layers, H2 counters and gauges.
#include "mux/proxy/ops/proxy_metrics.h"

#include <gtest/gtest.h>

namespace crossmux::mux::proxy {
namespace {

config::Config two_clusters() {
  config::Config c;
  c.clusters.resize(2);
  c.clusters[0].name = "api";
  c.clusters[0].backends = {{{"10.0.0.1", 80}, 1}, {{"10.0.0.2", 80}, 1}};
  c.clusters[1].name = "static";
  c.clusters[1].backends = {{{"10.0.0.3", 80}, 1}};
  return c;
}

double value(const ProxyMetrics& m, std::string_view family, const LabelValues& labels) {
  Registry copy(m.registry());
  return copy.find(family)->value(labels);
}

TEST(ProxyMetrics, RequestsByClusterPairingAndClass) {
  ProxyMetrics m(two_clusters());
  m.request({.cluster = 0,
             .h2_in = true,
             .h2_out = false,
             .status = 200,
             .total_seconds = 0.002,
             .backend_seconds = 0.001,
             .backend = 1,
             .backend_bytes_sent = 10,
             .backend_bytes_received = 300});
  m.request({.cluster = 0, .h2_in = true, .h2_out = false, .status = 204});
  m.request({.cluster = 1, .h2_in = false, .h2_out = true, .status = 503});
  // Answered by the proxy (cluster known, no backend response) and unrouted.
  m.request({.cluster = 1, .h2_in = false, .answered = true, .h2_out = true, .status = 502});
  m.request({.cluster = -1, .h2_in = true, .status = 404});
  m.request({.cluster = -1, .h2_in = false, .status = 0});
  m.sync({});
  EXPECT_EQ(value(m, "crossmux_requests_total", {"api", "h2->h1", "2xx"}), 2);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"static", "h1->h2", "5xx"}), 1);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"static", "h1->proxy", "5xx"}), 1);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"-", "h2->proxy", "4xx"}), 1);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"-", "h1->proxy", "none"}), 1);
  Registry r(m.registry());
  EXPECT_EQ(r.find("crossmux_request_duration_seconds")->count({"api"}), 2u);
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count({"api", "10.0.0.2:80"}), 1u);
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count({"api", "10.0.0.1:80"}), 0u);
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count({"static", "10.0.0.3:80"}), 0u);
  EXPECT_EQ(r.find("crossmux_request_duration_seconds")->count({"-"}), 2u);
}

// RFC 9110 §15: a status code's first digit is its class, 1xx through 5xx, both ends included;
// anything outside 100..599 (and 0, no response) is "none".
TEST(ProxyMetrics, StatusClassesCoverExactly100To599) {
  ProxyMetrics m(two_clusters());
  for (uint16_t status : {100, 199, 200, 599, 600, 99}) {
    m.request({.cluster = 0, .h2_in = false, .h2_out = false, .status = status});
  }
  m.sync({});
  EXPECT_EQ(value(m, "crossmux_requests_total", {"api", "h1->h1", "1xx"}), 2);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"api", "h1->h1", "2xx"}), 1);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"api", "h1->h1", "5xx"}), 1);
  EXPECT_EQ(value(m, "crossmux_requests_total", {"api", "h1->h1", "none"}), 2);
}

// Per backend: requests, errors (no answer of its own, or a 5xx), body bytes each way, latency;
// every backend is listed at 0 from the start.
TEST(ProxyMetrics, PerBackendSeries) {
  ProxyMetrics m(two_clusters());
  const std::string before = m.registry().render();
  EXPECT_NE(before.find(
                "crossmux_backend_requests_total{cluster=\"static\",backend=\"10.0.0.3:80\"} 0\n"),
            std::string::npos)
      << before;
  m.request({.cluster = 0,
             .status = 200,
             .backend_seconds = 0.01,
             .backend = 0,
             .backend_bytes_sent = 5,
             .backend_bytes_received = 7});
  m.request({.cluster = 0,
             .status = 503,
             .backend_seconds = 0.02,
             .backend = 0,
             .backend_error = true,
             .backend_bytes_received = 3});
  // Answered by the proxy after a connect failure: no latency, an error.
  m.request({.cluster = 0, .answered = true, .status = 502, .backend = 1, .backend_error = true});
  // Routed but never sent (no backend picked): not a backend request.
  m.request({.cluster = 1, .answered = true, .status = 503});
  m.sync({});
  const LabelValues a{"api", "10.0.0.1:80"}, b{"api", "10.0.0.2:80"}, s{"static", "10.0.0.3:80"};
  EXPECT_EQ(value(m, "crossmux_backend_requests_total", a), 2);
  EXPECT_EQ(value(m, "crossmux_backend_errors_total", a), 1);
  EXPECT_EQ(value(m, "crossmux_backend_sent_bytes_total", a), 5);
  EXPECT_EQ(value(m, "crossmux_backend_received_bytes_total", a), 10);
  EXPECT_EQ(value(m, "crossmux_backend_requests_total", b), 1);
  EXPECT_EQ(value(m, "crossmux_backend_errors_total", b), 1);
  EXPECT_EQ(value(m, "crossmux_backend_requests_total", s), 0);
  Registry r(m.registry());
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count(a), 2u);
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count(b), 0u);
}

TEST(ProxyMetrics, LimitsAreListedAtZeroAndSummedAcrossLayers) {
  ProxyMetrics m(two_clusters());
  const std::string text = m.registry().render();
  EXPECT_NE(text.find("crossmux_limit_hits_total{side=\"client\",limit=\"reset_budget\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("crossmux_limit_hits_total{side=\"client\",limit=\"max_connections_per_ip\"} 0\n"),
      std::string::npos);
  m.limit(ProxyLimit::MaxHeaderFields);  // an HTTP/1.1 head
  ++m.h2_client_side().limits[static_cast<size_t>(codecs::h2::LimitKind::HeaderFields)];  // HPACK
  ++m.h2_backend_side().limits[static_cast<size_t>(codecs::h2::LimitKind::ResetBudget)];
  m.limit(ProxyLimit::MaxConnectionsPerIp);
  m.sync({});
  EXPECT_EQ(value(m, "crossmux_limit_hits_total", {"client", "max_header_fields"}), 2);
  EXPECT_EQ(value(m, "crossmux_limit_hits_total", {"client", "max_connections_per_ip"}), 1);
  EXPECT_EQ(value(m, "crossmux_limit_hits_total", {"backend", "reset_budget"}), 1);
  EXPECT_EQ(value(m, "crossmux_limit_hits_total", {"client", "reset_budget"}), 0);
}

TEST(ProxyMetrics, SyncCopiesH2CountersAndGauges) {
  ProxyMetrics m(two_clusters());
  auto& c = m.h2_client_side();
  c.frames_in[codecs::h2::Counters::frame_slot(0x1)] = 5;
  c.rst_in[8] = 3;
  m.h2_backend_side().goaway_out[0] = 1;
  m.connection_accepted();
  m.connection_accepted();
  ProxyMetrics::Gauges g;
  g.client_connections = 4;
  g.active_streams = 9;
  g.pool_connections = {2, 0};
  g.pool_hits = {10, 1};
  g.pool_misses = {2, 1};
  m.sync(g);
  EXPECT_EQ(value(m, "crossmux_h2_frames_total", {"client", "in", "HEADERS"}), 5);
  EXPECT_EQ(value(m, "crossmux_h2_rst_stream_total", {"client", "in", "CANCEL"}), 3);
  EXPECT_EQ(value(m, "crossmux_h2_goaway_total", {"backend", "out", "NO_ERROR"}), 1);
  EXPECT_EQ(value(m, "crossmux_client_connections", {}), 4);
  EXPECT_EQ(value(m, "crossmux_client_connections_total", {}), 2);
  EXPECT_EQ(value(m, "crossmux_active_streams", {}), 9);
  EXPECT_EQ(value(m, "crossmux_backend_pool_connections", {"api"}), 2);
  EXPECT_EQ(value(m, "crossmux_backend_pool_hits_total", {"api"}), 10);
  EXPECT_EQ(value(m, "crossmux_backend_pool_misses_total", {"static"}), 1);
  // Zero H2 series stay off the page until they count something.
  EXPECT_EQ(m.registry().render().find("type=\"DATA\""), std::string::npos);
  // Counters are absolute: syncing twice does not add twice.
  m.sync(g);
  EXPECT_EQ(value(m, "crossmux_h2_frames_total", {"client", "in", "HEADERS"}), 5);
}

// The io_uring loop's counters: no series on epoll (an empty family), each event on io_uring.
TEST(ProxyMetrics, IoUringEventsOnlyOnIoUringLoops) {
  ProxyMetrics m(two_clusters());
  m.sync({});
  EXPECT_EQ(m.registry().render().find("crossmux_io_uring_events_total{"), std::string::npos);
  ProxyMetrics::Gauges g;
  g.io_uring = true;
  g.ring_enters = 3;
  g.ring_sends = 5;
  g.ring_receives_armed = 7;
  g.ring_completions = 11;
  m.sync(g);
  EXPECT_EQ(value(m, "crossmux_io_uring_events_total", {"enter"}), 3);
  EXPECT_EQ(value(m, "crossmux_io_uring_events_total", {"send"}), 5);
  EXPECT_EQ(value(m, "crossmux_io_uring_events_total", {"receive_armed"}), 7);
  EXPECT_EQ(value(m, "crossmux_io_uring_events_total", {"completion"}), 11);
}

}  // namespace
}  // namespace crossmux::mux::proxy
