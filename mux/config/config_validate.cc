// Semantic checks on a Config and the small value grammars (durations, addresses).
#include <algorithm>
#include <charconv>
#include <fstream>
#include <regex>
#include <set>

#include "mux/config/config_parser.h"

namespace crossmux::mux::config {
namespace {

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool readable(const std::string& path) {
  return std::ifstream(path).good();
}

// hostname: exact ("a.example"), "*.suffix", or "*". Lowercase letters, digits, '-', '.', optional
// ":port".
bool valid_hostname_pattern(std::string_view h) {
  if (h == "*") return true;
  if (h.starts_with("*.")) h.remove_prefix(2);
  if (h.empty()) return false;
  for (char c : h) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':'))
      return false;
  }
  return true;
}

void check_answers(const Answers& answers, const std::string& at,
                   std::vector<ConfigError>& errors) {
  for (const auto& [status, a] : answers) {
    for (char c : a.content_type) {
      if (c == '\r' || c == '\n' || c == '\0') {
        errors.push_back({at + "." + std::to_string(status) + ".content_type",
                          "must not contain CR, LF or NUL"});
        break;
      }
    }
  }
}

void check_listeners(const Config& c, std::vector<ConfigError>& errors) {
  std::set<std::string> names, addresses;
  for (size_t i = 0; i < c.listeners.size(); ++i) {
    const auto& l = c.listeners[i];
    std::string at = "listeners[" + std::to_string(i) + "]";
    if (l.name.empty())
      errors.push_back({at + ".name", "is required"});
    else if (!names.insert(l.name).second)
      errors.push_back({at + ".name", "duplicate listener name \"" + l.name + "\""});
    if (!addresses.insert(l.address.to_string()).second) {
      errors.push_back({at + ".address", "another listener already uses " + l.address.to_string()});
    }
    if (!l.http1 && !l.http2)
      errors.push_back({at + ".protocols", "must enable at least one protocol"});
    for (size_t j = 0; j < l.certificates.size(); ++j) {
      const auto& cert = l.certificates[j];
      std::string cat = at + ".tls[" + std::to_string(j) + "]";
      if (!cert.cert_file.empty() && !readable(cert.cert_file))
        errors.push_back({cat + ".cert", "cannot read \"" + cert.cert_file + "\""});
      if (!cert.key_file.empty() && !readable(cert.key_file))
        errors.push_back({cat + ".key", "cannot read \"" + cert.key_file + "\""});
      for (const auto& n : cert.names) {
        if (!valid_hostname_pattern(n))
          errors.push_back({cat + ".names", "\"" + n + "\" is not a host name or *.wildcard"});
      }
    }
    if (l.https_redirect && l.tls())
      errors.push_back({at + ".https_redirect", "only makes sense on a plain (non-TLS) listener"});
    check_answers(l.answers, at + ".answers", errors);
  }
}

void check_clusters(const Config& c, std::vector<ConfigError>& errors) {
  std::set<std::string> names;
  for (size_t i = 0; i < c.clusters.size(); ++i) {
    const auto& cl = c.clusters[i];
    std::string at = "clusters[" + std::to_string(i) + "]";
    if (cl.name.empty())
      errors.push_back({at + ".name", "is required"});
    else if (!names.insert(cl.name).second)
      errors.push_back({at + ".name", "duplicate cluster name \"" + cl.name + "\""});
    if (cl.builtin_origin && !cl.backends.empty()) {
      errors.push_back({at + ".backends", "a builtin_origin cluster has no backends of its own"});
    }
    if (!cl.builtin_origin && cl.backends.empty()) {
      errors.push_back({at + ".backends", "needs at least one backend (\"host:port\")"});
    }
    if (cl.builtin_origin && cl.tls.enabled)
      errors.push_back({at + ".tls", "the built-in origin speaks plain HTTP/1.1 and h2c only"});
    if (!cl.tls.ca_file.empty() && !readable(cl.tls.ca_file))
      errors.push_back({at + ".tls.ca_file", "cannot read \"" + cl.tls.ca_file + "\""});
    check_answers(cl.answers, at + ".answers", errors);
  }
}

void check_frontends(const Config& c, std::vector<ConfigError>& errors) {
  if (c.frontends.empty() && !c.listeners.empty()) {
    errors.push_back({"frontends", "at least one [[frontends]] entry is needed to route requests"});
  }
  for (size_t i = 0; i < c.frontends.size(); ++i) {
    const auto& f = c.frontends[i];
    std::string at = "frontends[" + std::to_string(i) + "]";
    if (f.cluster.empty())
      errors.push_back({at + ".cluster", "is required"});
    else if (!c.cluster(f.cluster))
      errors.push_back({at + ".cluster", "no cluster named \"" + f.cluster + "\""});
    for (const auto& l : f.listeners) {
      if (!c.listener(l)) errors.push_back({at + ".listeners", "no listener named \"" + l + "\""});
    }
    if (!valid_hostname_pattern(f.hostname))
      errors.push_back({at + ".hostname",
                        "\"" + f.hostname + "\" is not a lowercase host name, *.wildcard or *"});
    if (f.path_match == PathMatch::Regex) {
      try {
        std::regex re(f.path, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        errors.push_back({at + ".path", std::string("invalid regex: ") + e.what()});
      }
    } else if (!f.path.starts_with("/")) {
      errors.push_back({at + ".path", "must start with \"/\""});
    }
    if (!f.method.empty() && !std::all_of(f.method.begin(), f.method.end(), is_token_char)) {
      errors.push_back({at + ".method", "\"" + f.method + "\" is not an HTTP method token"});
    }
  }
}

}  // namespace

std::vector<ConfigError> validate(const Config& c) {
  std::vector<ConfigError> errors;
  if (c.listeners.empty())
    errors.push_back({"listeners", "at least one [[listeners]] entry is needed"});
  check_listeners(c, errors);
  check_clusters(c, errors);
  check_frontends(c, errors);
  check_answers(c.answers, "answers", errors);
  // RFC 9110 §7.6.3: received-by is a pseudonym (a token) or host[:port].
  if (!std::all_of(c.global.via.begin(), c.global.via.end(), [](char ch) {
        return is_token_char(ch) || ch == ':' || ch == '[' || ch == ']';
      })) {
    errors.push_back(
        {"global.via", "\"" + c.global.via + "\" is not a pseudonym (token) or host[:port]"});
  }
  if (c.limits.max_buffers_per_connection > c.limits.max_buffers) {
    errors.push_back({"limits.max_buffers_per_connection", "cannot exceed limits.max_buffers"});
  }
  if (c.global.admin) {
    for (const auto& l : c.listeners) {
      if (l.address.to_string() == c.global.admin->to_string()) {
        errors.push_back(
            {"global.admin", "listener \"" + l.name + "\" already uses " + l.address.to_string()});
      }
    }
  }
  if (c.limits.max_connections_per_ip > c.limits.max_connections) {
    errors.push_back({"limits.max_connections_per_ip", "cannot exceed limits.max_connections"});
  }
  return errors;
}

std::optional<Millis> parse_duration(std::string_view text) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  std::string_view unit(p, text.data() + text.size() - p);
  uint64_t factor;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else
    return std::nullopt;
  if (n > UINT64_MAX / factor / 2) return std::nullopt;
  return Millis(static_cast<int64_t>(n * factor));
}

std::optional<Address> parse_address(std::string_view text, bool any_port) {
  Address a;
  std::string_view port;
  if (text.starts_with("[")) {
    auto close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    a.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    a.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (a.host.empty()) return std::nullopt;
  for (char c : a.host) {
    if (c == ' ' || c == '/' || c == '\r' || c == '\n' || c == '\0') return std::nullopt;
  }
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc() || p != port.data() + port.size() || (v == 0 && !any_port) || v > 65535) {
    return std::nullopt;
  }
  a.port = static_cast<uint16_t>(v);
  return a;
}

}  // namespace crossmux::mux::config
