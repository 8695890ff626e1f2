// Frontend matching for the Router.
#include "mux/proxy/pool/router.h"

#include <algorithm>

#include "codecs/base/swar.h"

namespace crossmux::mux::proxy {

Router::Router(const config::Config& config) {
  for (const auto& f : config.frontends) {
    Compiled c{&f, config.cluster(f.cluster), nullptr};
    if (f.path_match == config::PathMatch::Regex) {
      // Validated by config::validate(); optimize for the hot path.
      c.regex = std::make_unique<std::regex>(f.path, std::regex::ECMAScript | std::regex::optimize);
    }
    if (c.cluster != nullptr) frontends_.push_back(std::move(c));
  }
}

std::string Router::normalize_host(std::string_view authority) {
  // RFC 3986 §3.2: authority = [ userinfo "@" ] host [ ":" port ]; userinfo is rejected earlier
  // by the codecs, strip it defensively anyway.
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  if (host.starts_with("[")) {
    auto close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.ends_with('.')) host.remove_suffix(1);  // "example.com." is the same name
  std::string out(host);
  // ASCII only (RFC 4343: DNS names compare case-insensitively in ASCII), whatever the locale.
  for (char& c : out) c = codecs::swar::ascii_lower(c);
  return out;
}

bool Router::host_matches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.starts_with("*.")) {
    std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.ends_with(suffix);
  }
  return pattern == host;
}

bool Router::path_matches(const Compiled& c, std::string_view path) const {
  const auto& f = *c.frontend;
  // OPTIONS * (RFC 9110 §9.3.7) concerns the server as a whole: it goes where "/" would.
  if (path == "*") return f.path_match == config::PathMatch::Prefix && f.path == "/";
  if (c.regex) return std::regex_search(path.begin(), path.end(), *c.regex);
  std::string_view p = path.substr(0, path.find('?'));
  if (f.path_match == config::PathMatch::Exact) return p == f.path;
  return p.starts_with(f.path);
}

RouteResult Router::route(std::string_view listener, std::string_view authority,
                          std::string_view path, std::string_view method) const {
  const std::string host = normalize_host(authority);
  RouteResult result;
  for (size_t i = 0; i < frontends_.size(); ++i) {
    const auto& c = frontends_[i];
    const auto& f = *c.frontend;
    if (!f.listeners.empty() &&
        std::find(f.listeners.begin(), f.listeners.end(), listener) == f.listeners.end()) {
      continue;
    }
    if (!host_matches(f.hostname, host) || !path_matches(c, path)) continue;
    if (!f.method.empty() && f.method != method) {
      result.miss = RouteMiss::MethodNotAllowed;
      continue;
    }
    result.cluster = c.cluster;
    result.frontend_index = i;
    return result;
  }
  return result;
}

}  // namespace crossmux::mux::proxy
