// ProxyMetrics: label values of requests, limits summed across layers, H2 counters and gauges.
#include "mux/proxy/ops/proxy_metrics.h"

#include <gtest/gtest.h>

namespace crossmux::mux::proxy {
namespace {

config::Config two_clusters() {
  config::Config c;
  c.clusters.resize(2);
  c.clusters[0].name = "api";
  c.clusters[1].name = "static";
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
             .backend_seconds = 0.001});
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
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count({"api"}), 1u);
  EXPECT_EQ(r.find("crossmux_backend_response_seconds")->count({"static"}), 0u);
  EXPECT_EQ(r.find("crossmux_request_duration_seconds")->count({"-"}), 2u);
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

}  // namespace
}  // namespace crossmux::mux::proxy
