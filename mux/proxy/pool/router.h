// Router: picks the cluster for a request from (listener, host, path, method), per the frontends.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "mux/config/config.h"

namespace crossmux::mux::proxy {

// Why no route was found, so the proxy can answer precisely.
enum class RouteMiss : uint8_t {
  NoFrontend = 0,        // nothing matches host+path (404)
  MethodNotAllowed = 1,  // host+path match but no frontend allows this method (405)
};

struct RouteResult {
  const config::Cluster* cluster = nullptr;  // set on a match
  size_t frontend_index = 0;
  RouteMiss miss = RouteMiss::NoFrontend;
  explicit operator bool() const { return cluster != nullptr; }
};

// Compiled frontends. Matching rules:
// - host: the request authority without port, lowercased; exact names match exactly, "*.suffix"
//   matches any name with at least one more label ending in ".suffix", "*" matches anything;
// - path: the path before '?' for prefix and exact; regex (ECMAScript, searched) sees path+query;
// - method: exact, case-sensitive (RFC 9110 §9.1), empty matches any;
// - the asterisk target of OPTIONS * matches only the catch-all prefix "/".
// First match in configuration order wins. The Config must outlive the Router.
class Router {
 public:
  explicit Router(const config::Config& config);

  RouteResult route(std::string_view listener, std::string_view authority, std::string_view path,
                    std::string_view method) const;

  // "Example.COM:8080" -> "example.com"; "[::1]:80" -> "::1".
  static std::string normalize_host(std::string_view authority);

 private:
  struct Compiled {
    const config::Frontend* frontend;
    const config::Cluster* cluster;
    std::unique_ptr<std::regex> regex;
  };
  static bool host_matches(std::string_view pattern, std::string_view host);
  bool path_matches(const Compiled& c, std::string_view path) const;

  std::vector<Compiled> frontends_;
};

}  // namespace crossmux::mux::proxy
