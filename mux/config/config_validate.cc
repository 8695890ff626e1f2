// Semantic checks on a Config and the small value grammars (durations, addresses).
#include <algorithm>
#include <charconv>
#include <map>
#include <regex>
#include <set>

#include "codecs/base/token.h"
#include "mux/config/config_parser.h"

namespace crossmux::mux::config {
namespace {

bool is_token_char(char c) {
  return codecs::is_tchar(static_cast<uint8_t>(c));
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

std::string indexed(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i + 1) + "]";
}

void check_answers(const Answers& answers, const std::string& at,
                   std::vector<ConfigError>& errors) {
  for (const auto& [status, a] : answers) {
    for (char c : a.content_type) {
      if (c == '\r' || c == '\n' || c == '\0') {
        errors.push_back({at + "." + std::to_string(status) + ".content_type",
                          "must not contain CR, LF or NUL", 0, toml_quote(a.content_type)});
        break;
      }
    }
  }
}

void check_listeners(const Config& c, std::vector<ConfigError>& errors) {
  std::set<std::string> names;
  std::map<std::string, size_t> addresses;
  for (size_t i = 0; i < c.listeners.size(); ++i) {
    const auto& l = c.listeners[i];
    const std::string at = indexed("listeners", i);
    if (l.name.empty()) {
      errors.push_back({at + ".name", "is required"});
    } else if (!names.insert(l.name).second) {
      errors.push_back({at + ".name", "another listener has this name", 0, toml_quote(l.name)});
    }
    const std::string addr = l.address.to_string();
    if (auto [it, fresh] = addresses.emplace(addr, i); !fresh) {
      errors.push_back({at + ".address", indexed("listeners", it->second) + " already uses it", 0,
                        toml_quote(addr)});
    }
    if (!l.http1 && !l.http2) {
      errors.push_back({at + ".protocols", "must enable at least one protocol", 0, "[]"});
    }
    for (size_t j = 0; j < l.certificates.size(); ++j) {
      const auto& cert = l.certificates[j];
      const std::string cat = at + "." + indexed("tls", j);
      for (const auto& n : cert.names) {
        if (!valid_hostname_pattern(n)) {
          errors.push_back(
              {cat + ".names", toml_quote(n) + " is not a lowercase host name or *.wildcard", 0});
        }
      }
    }
    if (l.https_redirect && l.tls()) {
      errors.push_back(
          {at + ".https_redirect", "only makes sense on a plain (non-TLS) listener", 0, "true"});
    }
    check_answers(l.answers, at + ".answers", errors);
  }
}

void check_clusters(const Config& c, std::vector<ConfigError>& errors) {
  std::set<std::string> names;
  for (size_t i = 0; i < c.clusters.size(); ++i) {
    const auto& cl = c.clusters[i];
    const std::string at = indexed("clusters", i);
    if (cl.name.empty()) {
      errors.push_back({at + ".name", "is required"});
    } else if (!names.insert(cl.name).second) {
      errors.push_back({at + ".name", "another cluster has this name", 0, toml_quote(cl.name)});
    }
    if (cl.builtin_origin && !cl.backends.empty()) {
      errors.push_back({at + ".backends", "a builtin_origin cluster has no backends of its own"});
    }
    if (!cl.builtin_origin && cl.backends.empty()) {
      errors.push_back({at + ".backends", "needs at least one backend (\"host:port\")"});
    }
    if (cl.builtin_origin && cl.tls.enabled) {
      errors.push_back({at + ".tls", "the built-in origin speaks plain HTTP/1.1 and h2c only"});
    }
    check_answers(cl.answers, at + ".answers", errors);
  }
}

void check_frontends(const Config& c, std::vector<ConfigError>& errors) {
  if (c.frontends.empty() && !c.listeners.empty()) {
    errors.push_back({"frontends", "at least one [[frontends]] entry is needed to route requests"});
  }
  for (size_t i = 0; i < c.frontends.size(); ++i) {
    const auto& f = c.frontends[i];
    const std::string at = indexed("frontends", i);
    if (f.cluster.empty()) {
      errors.push_back({at + ".cluster", "is required"});
    } else if (!c.cluster(f.cluster)) {
      errors.push_back(
          {at + ".cluster", "no [[clusters]] entry has this name", 0, toml_quote(f.cluster)});
    }
    for (const auto& l : f.listeners) {
      if (!c.listener(l)) {
        errors.push_back({at + ".listeners", "no [[listeners]] entry is named " + toml_quote(l)});
      }
    }
    if (!valid_hostname_pattern(f.hostname)) {
      errors.push_back({at + ".hostname", "is not a lowercase host name, *.wildcard or *", 0,
                        toml_quote(f.hostname)});
    }
    if (f.path_match == PathMatch::Regex) {
      try {
        std::regex re(f.path, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        errors.push_back(
            {at + ".path", std::string("invalid regex: ") + e.what(), 0, toml_quote(f.path)});
      }
    } else if (!f.path.starts_with("/")) {
      errors.push_back({at + ".path", "must start with \"/\"", 0, toml_quote(f.path)});
    }
    if (!f.method.empty() && !std::all_of(f.method.begin(), f.method.end(), is_token_char)) {
      errors.push_back({at + ".method", "is not an HTTP method token", 0, toml_quote(f.method)});
    }
  }
}

void check_global(const Config& c, std::vector<ConfigError>& errors) {
  const Global& g = c.global;
  // RFC 9110 §7.6.3: received-by is a pseudonym (a token) or host[:port].
  if (!std::all_of(g.via.begin(), g.via.end(), [](char ch) {
        return is_token_char(ch) || ch == ':' || ch == '[' || ch == ']';
      })) {
    errors.push_back(
        {"global.via", "is not a pseudonym (token) or host[:port]", 0, toml_quote(g.via)});
  }
  // RFC 9110 §5.1: a field name is a token; HTTP/2 wants it lowercase (RFC 9113 §8.2.1).
  if (!std::all_of(g.request_id_header.begin(), g.request_id_header.end(),
                   [](char ch) { return is_token_char(ch) && !(ch >= 'A' && ch <= 'Z'); })) {
    errors.push_back({"global.request_id_header", "is not a lowercase field name (token)", 0,
                      toml_quote(g.request_id_header)});
  }
  if (g.admin) {
    for (size_t i = 0; i < c.listeners.size(); ++i) {
      if (c.listeners[i].address.to_string() == g.admin->to_string()) {
        errors.push_back({"global.admin", indexed("listeners", i) + " already uses it", 0,
                          toml_quote(g.admin->to_string())});
      }
    }
  }
}

}  // namespace

std::vector<ConfigError> validate(const Config& c) {
  std::vector<ConfigError> errors;
  if (c.listeners.empty()) {
    errors.push_back({"listeners", "at least one [[listeners]] entry is needed"});
  }
  check_listeners(c, errors);
  check_clusters(c, errors);
  check_frontends(c, errors);
  check_answers(c.answers, "answers", errors);
  check_global(c, errors);
  if (c.limits.max_buffers_per_connection > c.limits.max_buffers) {
    errors.push_back(
        {"limits.max_buffers_per_connection",
         "cannot exceed limits.max_buffers (" + std::to_string(c.limits.max_buffers) + ")", 0,
         std::to_string(c.limits.max_buffers_per_connection)});
  }
  if (c.limits.max_connections_per_ip > c.limits.max_connections) {
    errors.push_back(
        {"limits.max_connections_per_ip",
         "cannot exceed limits.max_connections (" + std::to_string(c.limits.max_connections) + ")",
         0, std::to_string(c.limits.max_connections_per_ip)});
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
