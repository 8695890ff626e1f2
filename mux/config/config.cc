// Lookups and string forms for configuration values.
#include "mux/config/config.h"

namespace crossmux::mux::config {

std::string Address::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

int SourceMap::line(std::string_view key) const {
  std::string k(key);
  for (;;) {
    if (auto it = lines.find(k); it != lines.end()) return it->second;
    // Up one level: "a[1].b" -> "a[1]" -> "a"; "a[1]" -> "a".
    const size_t cut = k.find_last_of(".[");
    if (cut == std::string::npos || cut == 0) return 0;
    k.resize(cut);
  }
}

const std::vector<std::string_view>& access_log_field_names() {
  static const std::vector<std::string_view> kNames = {"time",
                                                       "client",
                                                       "listener",
                                                       "protocol_in",
                                                       "protocol_out",
                                                       "method",
                                                       "authority",
                                                       "path",
                                                       "status",
                                                       "bytes_in",
                                                       "bytes_out",
                                                       "total_us",
                                                       "backend_connect_us",
                                                       "backend_response_us",
                                                       "cluster",
                                                       "backend",
                                                       "retries",
                                                       "reason",
                                                       "request_id",
                                                       "user_agent",
                                                       "referer",
                                                       "tls_version",
                                                       "tls_cipher",
                                                       "sni",
                                                       "alpn"};
  return kNames;
}

const std::vector<std::string_view>& default_access_log_fields() {
  return access_log_field_names();
}

const Cluster* Config::cluster(const std::string& name) const {
  for (const auto& c : clusters) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const Listener* Config::listener(const std::string& name) const {
  for (const auto& l : listeners) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

std::string_view to_string(BackendProtocol p) {
  switch (p) {
    case BackendProtocol::Http1:
      return "http1";
    case BackendProtocol::H2c:
      return "h2c";
    case BackendProtocol::H2:
      return "h2";
  }
  return "?";
}

std::string_view to_string(LoadBalancing l) {
  return l == LoadBalancing::RoundRobin ? "round_robin" : "least_connections";
}

std::string_view to_string(PathMatch m) {
  switch (m) {
    case PathMatch::Prefix:
      return "prefix";
    case PathMatch::Exact:
      return "exact";
    case PathMatch::Regex:
      return "regex";
  }
  return "?";
}

}  // namespace crossmux::mux::config
