// The proxy's configuration as plain values: listeners, TLS, clusters, backends, frontends, limits,
// timeouts and answers. Parsed from TOML by config_parser.h and checked by validate().
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace crossmux::mux::config {

using Millis = std::chrono::milliseconds;

// host:port. host is an IPv4/IPv6 literal or a name resolved at startup; IPv6 is written [::1]:80.
struct Address {
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;
};

// A certificate and its private key (PEM files). `names` are the SNI names it serves: exact
// ("example.com") or wildcard ("*.example.com"); empty means "read them from the certificate".
struct Certificate {
  std::string cert_file;
  std::string key_file;
  std::vector<std::string> names;
};

// A default answer the proxy gives itself, overriding the built-in text for one status.
struct Answer {
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};
using Answers = std::map<uint16_t, Answer>;  // by status code

enum class ClientProtocol : uint8_t { Http1 = 0, H2c = 1 };

struct Listener {
  std::string name;
  Address address;
  // Plain listeners: HTTP/1.1 and/or HTTP/2 with prior knowledge (told apart by the preface).
  // TLS listeners: ALPN offers "h2" and/or "http/1.1" in this order of preference.
  bool http1 = true;
  bool http2 = true;
  std::vector<Certificate> certificates;  // non-empty: a TLS listener
  bool https_redirect = false;            // plain listener answering 301/308 to https
  bool allow_connect = false;             // CONNECT tunnels (RFC 9110 §9.3.6)
  Answers answers;
  bool tls() const { return !certificates.empty(); }
};

enum class BackendProtocol : uint8_t { Http1 = 0, H2c = 1, H2 = 2 /* HTTP/2 over TLS */ };
enum class LoadBalancing : uint8_t { RoundRobin = 0, LeastConnections = 1 };

struct BackendTls {
  bool enabled = false;  // implied by protocol = "h2"; may be set for HTTP/1.1 over TLS
  bool verify = true;
  std::string ca_file;  // empty: the system store
  std::string sni;      // empty: the backend's host
};

struct Backend {
  Address address;
  uint32_t weight = 1;
};

// Active health checking of a cluster's backends: every `interval` each backend gets one request
// on a new connection in the cluster's protocol (HTTP/1.1, h2c, or TLS with ALPN); an answer with
// an expected status within `timeout` is a pass, anything else (refused, reset, timeout, another
// status) a failure. `fall` failures in a row take a backend out of rotation, `rise` passes in a
// row bring it back. Backends start in rotation.
struct HealthCheck {
  std::string method = "GET";  // GET, HEAD or OPTIONS
  std::string path = "/";
  std::string host;  // Host / :authority; empty: the backend's "host:port" as configured
  Millis interval{5000};
  Millis timeout{2000};
  uint32_t rise = 2;
  uint32_t fall = 3;
  std::vector<uint16_t> expect_status;  // empty: any 2xx or 3xx
};

struct Cluster {
  std::string name;
  BackendProtocol protocol = BackendProtocol::Http1;
  LoadBalancing load_balancing = LoadBalancing::RoundRobin;
  BackendTls tls;
  std::vector<Backend> backends;
  uint32_t max_connections_per_backend = 256;
  uint32_t connect_retries = 2;  // other backends tried after a connect failure
  // Served by the demo origin built into the crossmux binary (`crossmux origin`), started
  // in-process on an ephemeral loopback port; used by the embedded default configuration.
  bool builtin_origin = false;
  Answers answers;
  std::optional<HealthCheck> health_check;
};

enum class PathMatch : uint8_t { Prefix = 0, Exact = 1, Regex = 2 };

// Routes requests whose host, path and (optionally) method match to a cluster. Frontends are
// tried in file order; the first match wins.
struct Frontend {
  std::vector<std::string> listeners;  // empty: every listener
  std::string hostname = "*";          // exact, "*.suffix" wildcard, or "*" for any
  std::string path = "/";
  PathMatch path_match = PathMatch::Prefix;
  std::string method;  // empty: any
  std::string cluster;
};

struct Limits {
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_ip = 1000;
  // Body bytes the exchanges of a worker / of one client connection hold, in 16 KiB units
  // (mux/proxy/exchange/buffer_budget.h): past either, stalled exchanges get a short grace.
  uint32_t max_buffers = 8192;
  uint32_t max_buffers_per_connection = 64;
  // HTTP/2 (advertised in SETTINGS and enforced).
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_window_size = 65535;
  uint32_t max_frame_size = 16384;
  uint32_t header_table_size = 4096;
  uint32_t max_header_list_size = 65536;
  uint32_t max_header_fields = 128;
  uint32_t max_continuation_frames = 16;
  uint32_t max_header_block_bytes = 256u << 10;  // encoded, across CONTINUATION frames
  // Tokens for resets the peer sends or provokes (Rapid Reset, MadeYouReset); a stream that ends
  // cleanly gives one back, so only a connection that resets more than it completes runs out.
  uint32_t reset_budget = 200;
  uint32_t max_queued_control_acks = 1000;
  uint32_t max_settings_entries = 32;
  // Tokens for empty DATA, PRIORITY and refused streams; a clean stream gives ten back.
  uint32_t glitch_budget = 1000;
  uint32_t connection_window = 16u << 20;  // HTTP/2 connection receive window
  // HTTP/1.1.
  uint32_t max_request_line = 8192;
  uint32_t max_header_bytes = 65536;
  uint64_t max_request_body = 0;  // 0: unlimited (bodies stream)
};

struct Timeouts {
  Millis request_headers{10000};
  Millis client_idle{60000};
  Millis backend_connect{3000};
  Millis backend_response{30000};
  Millis stream_progress{30000};
  // An open tunnel (WebSocket after its 101 / extended CONNECT 200, CONNECT after its 2xx) with no
  // byte moving either way is closed after this; WebSockets idle for minutes between messages, so
  // stream_progress would cut them (HAProxy's `timeout tunnel`, nginx's proxy_read_timeout).
  Millis tunnel{3600000};
  Millis flow_control_stall{30000};
  Millis settings_ack{10000};
  // SIGTERM/SIGINT: how long in-flight exchanges may take to finish once every worker stopped
  // accepting and drained its connections; what is still open then is closed.
  Millis graceful_shutdown{10000};
};

enum class LogFormat : uint8_t { Text = 0, Json = 1 };

// workers, access_log, access_log_format, access_log_fields and admin are read at startup only (a
// reload keeps them).
struct Global {
  uint32_t workers = 0;  // worker threads; 0: one per core (`crossmux proxy --workers` overrides)
  // RFC 9110 §7.6.3 pseudonym added as `Via: <protocol> <via>` to every forwarded request and
  // response; empty: no Via (the operator's choice, e.g. behind another proxy that adds one).
  std::string via = "crossmux";
  // A path, "stdout", or "off"; SIGUSR1 reopens a path. Empty (the key absent): "stdout", or
  // "off" when stdout is a terminal (resolve_defaults()).
  std::string access_log;
  LogFormat access_log_format = LogFormat::Text;
  // Fields of each access log line, in order (names: access_log_field_names()); empty: the
  // default list.
  std::vector<std::string> access_log_fields;
  // Request field carrying the request id: taken from the request when present and valid, else
  // generated and added to the forwarded request. Empty: ids are generated for the log only.
  std::string request_id_header = "x-request-id";
  // A listening address another process already holds is shared with it (SO_REUSEPORT) instead
  // of refused: for starting a new proxy beside the old one (binary upgrade).
  bool shared_ports = false;
  // Written with the proxy's pid once it listens, removed when it exits; read by
  // `crossmux proxy --reload` to find the process to signal (`--pid-file` overrides).
  std::string pid_file;
  std::optional<Address> admin;  // metrics and admin endpoints
};

// Where each key of a parsed file came from: the file and the line of every key read, keys
// spelled as errors spell them (1-based indexes: "listeners[1].tls[2].cert"). Checks made after
// parsing (semantics, certificates, names, binds) use it to name the line.
struct SourceMap {
  std::string source;  // the file path, or "<embedded default>"
  std::map<std::string, int> lines;
  // The line of `key`, else of its closest recorded parent ("listeners[1]" for
  // "listeners[1].name" when the name is absent); 0 when none is known.
  int line(std::string_view key) const;
};

struct Config {
  Global global;
  Limits limits;
  Timeouts timeouts;
  Answers answers;  // proxy-wide overrides; listener and cluster answers take precedence
  std::vector<Listener> listeners;
  std::vector<Cluster> clusters;
  std::vector<Frontend> frontends;
  SourceMap where;

  const Cluster* cluster(const std::string& name) const;
  const Listener* listener(const std::string& name) const;
};

// The access log fields a line can carry (global.access_log_fields), and the default list.
const std::vector<std::string_view>& access_log_field_names();
const std::vector<std::string_view>& default_access_log_fields();

std::string_view to_string(BackendProtocol p);
std::string_view to_string(LoadBalancing l);
std::string_view to_string(PathMatch m);

}  // namespace crossmux::mux::config
