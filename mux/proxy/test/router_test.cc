// Router: host (exact, wildcard, any), path (prefix, exact, regex), method and listener matching.
#include "mux/proxy/pool/router.h"

#include <gtest/gtest.h>

#include "mux/config/config_parser.h"

namespace crossmux::mux::proxy {
namespace {

config::Config load(const char* toml) {
  auto r = config::parse_config(toml, "router.toml");
  EXPECT_TRUE(r.config) << (r.errors.empty() ? ""
                                             : config::format_error("router.toml", r.errors[0]));
  return r.config ? std::move(*r.config) : config::Config{};
}

constexpr char kRoutes[] = R"(
[[listeners]]
name = "a"
address = "127.0.0.1:1"
[[listeners]]
name = "b"
address = "127.0.0.1:2"
[[clusters]]
name = "exact"
backends = ["127.0.0.1:10"]
[[clusters]]
name = "wild"
backends = ["127.0.0.1:11"]
[[clusters]]
name = "api-post"
backends = ["127.0.0.1:12"]
[[clusters]]
name = "regex"
backends = ["127.0.0.1:13"]
[[clusters]]
name = "only-b"
backends = ["127.0.0.1:14"]
[[clusters]]
name = "fallback"
backends = ["127.0.0.1:15"]
[[frontends]]
hostname = "www.example.com"
path = "/index.html"
path_match = "exact"
cluster = "exact"
[[frontends]]
hostname = "*.example.com"
path = "/api/"
method = "POST"
cluster = "api-post"
[[frontends]]
hostname = "*.example.com"
cluster = "wild"
[[frontends]]
path = "^/v[0-9]+/items\\?id="
path_match = "regex"
cluster = "regex"
[[frontends]]
listener = "b"
cluster = "only-b"
[[frontends]]
hostname = "fallback.test"
cluster = "fallback"
)";

std::string route_name(const Router& r, std::string_view l, std::string_view host,
                       std::string_view path, std::string_view method = "GET") {
  auto res = r.route(l, host, path, method);
  if (!res) return res.miss == RouteMiss::MethodNotAllowed ? "405" : "404";
  return res.cluster->name;
}

TEST(Router, MatchesInOrderWithEveryRuleKind) {
  auto cfg = load(kRoutes);
  Router r(cfg);
  EXPECT_EQ(route_name(r, "a", "www.example.com", "/index.html"), "exact");
  EXPECT_EQ(route_name(r, "a", "WWW.Example.COM:8080", "/index.html?x=1"), "exact")
      << "host is case-insensitive, port and query ignored for exact paths";
  EXPECT_EQ(route_name(r, "a", "www.example.com", "/index.htmlx"), "wild") << "exact is exact";
  EXPECT_EQ(route_name(r, "a", "api.example.com", "/api/users", "POST"), "api-post");
  EXPECT_EQ(route_name(r, "a", "api.example.com", "/api/users", "GET"), "wild")
      << "a method-restricted frontend falls through to the next match";
  EXPECT_EQ(route_name(r, "a", "example.com", "/"), "404") << "*.example.com needs a label";
  EXPECT_EQ(route_name(r, "a", "badexample.com", "/"), "404")
      << "*.example.com matches whole labels, not a name that ends the same";
  EXPECT_EQ(route_name(r, "a", "x.test", "/v2/items?id=3"), "regex") << "regex sees the query";
  EXPECT_EQ(route_name(r, "a", "x.test", "/v/items?id=3"), "404");
  EXPECT_EQ(route_name(r, "b", "x.test", "/anything"), "only-b");
  EXPECT_EQ(route_name(r, "a", "fallback.test.", "/"), "fallback")
      << "trailing dot is the same name";
  EXPECT_EQ(route_name(r, "a", "[::1]:80", "/"), "404");
  EXPECT_EQ(route_name(r, "a", "api.example.com", "*", "OPTIONS"), "wild")
      << "OPTIONS * routes as /";
  EXPECT_EQ(route_name(r, "a", "www.example.com", "*", "OPTIONS"), "wild")
      << "an exact path never matches *";
}

TEST(Router, MethodOnlyMissIs405) {
  auto cfg = load(R"(
[[listeners]]
name = "a"
address = "127.0.0.1:1"
[[clusters]]
name = "c"
backends = ["127.0.0.1:10"]
[[frontends]]
method = "GET"
cluster = "c"
)");
  Router r(cfg);
  EXPECT_EQ(route_name(r, "a", "h", "/", "GET"), "c");
  EXPECT_EQ(route_name(r, "a", "h", "/", "DELETE"), "405");
  EXPECT_EQ(route_name(r, "a", "h", "/", "get"), "405") << "methods are case-sensitive";
}

TEST(Router, NormalizeHost) {
  EXPECT_EQ(Router::normalize_host("Example.COM:443"), "example.com");
  EXPECT_EQ(Router::normalize_host("[2001:DB8::1]:80"), "2001:db8::1");
  EXPECT_EQ(Router::normalize_host("user@host"), "host");
  EXPECT_EQ(Router::normalize_host(""), "");
}

}  // namespace
}  // namespace crossmux::mux::proxy
