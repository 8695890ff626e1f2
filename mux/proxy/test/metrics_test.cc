// Metrics exposition format, histogram buckets and worker merging.
#include "mux/proxy/ops/metrics.h"

#include <gtest/gtest.h>

namespace crossmux::mux::proxy {
namespace {

TEST(Metrics, CountersAndGaugesRender) {
  Registry r;
  auto& req =
      r.counter("crossmux_requests_total", "Requests by status class.", {"class", "pairing"});
  auto& conns = r.gauge("crossmux_active_connections", "Open client connections.");
  req.add({"2xx", "h2-h1"});
  req.add({"2xx", "h2-h1"}, 2);
  req.add({"5xx", "h1-h1"});
  conns.set({}, 7);
  EXPECT_EQ(req.value({"2xx", "h2-h1"}), 3);
  EXPECT_EQ(r.render(),
            "# HELP crossmux_requests_total Requests by status class.\n"
            "# TYPE crossmux_requests_total counter\n"
            "crossmux_requests_total{class=\"2xx\",pairing=\"h2-h1\"} 3\n"
            "crossmux_requests_total{class=\"5xx\",pairing=\"h1-h1\"} 1\n"
            "# HELP crossmux_active_connections Open client connections.\n"
            "# TYPE crossmux_active_connections gauge\n"
            "crossmux_active_connections 7\n");
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.histogram("lat_seconds", "Latency.", {"cluster"}, {0.1, 1});
  h.observe({"c"}, 0.05);
  h.observe({"c"}, 0.5);
  h.observe({"c"}, 0.1);
  h.observe({"c"}, 3);
  EXPECT_EQ(h.count({"c"}), 4u);
  std::string text = r.render();
  EXPECT_NE(text.find("lat_seconds_bucket{cluster=\"c\",le=\"0.1\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_bucket{cluster=\"c\",le=\"1\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{cluster=\"c\",le=\"+Inf\"} 4\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("lat_seconds_sum{cluster=\"c\"} 3.65\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{cluster=\"c\"} 4\n"), std::string::npos) << text;
}

TEST(Metrics, LabelValuesAreEscapedAndWorkersMerge) {
  Registry a, b;
  auto& fa = a.counter("x_total", "X.", {"v"});
  auto& fb = b.counter("x_total", "X.", {"v"});
  fa.add({"a\"b\\c\nd"});
  fb.add({"a\"b\\c\nd"}, 4);
  a.merge_from(b);
  EXPECT_NE(a.render().find("x_total{v=\"a\\\"b\\\\c\\nd\"} 5\n"), std::string::npos) << a.render();
}

}  // namespace
}  // namespace crossmux::mux::proxy
