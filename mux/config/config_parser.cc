// TOML -> Config: walks each table, converting values and reporting unknown keys and bad types.
#include "mux/config/config_parser.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace crossmux::mux::config {
namespace {

// Levenshtein distance, for "did you mean" on unknown keys.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Reads one TOML table at a dotted key path, remembering which keys were read so the rest can be
// reported as unknown.
class TableReader {
 public:
  TableReader(const toml::table& t, std::string path, std::vector<ConfigError>& errors)
      : table_(t), path_(std::move(path)), errors_(errors) {}

  std::string key(std::string_view k) const {
    return path_.empty() ? std::string(k) : path_ + "." + std::string(k);
  }
  const toml::node* get(std::string_view k) {
    known_.insert(std::string(k));
    return table_.get(k);
  }
  void error(std::string_view k, std::string msg, const toml::node* n = nullptr) {
    int line =
        n ? static_cast<int>(n->source().begin.line) : static_cast<int>(table_.source().begin.line);
    errors_.push_back(ConfigError{key(k), std::move(msg), line});
  }

  void read(std::string_view k, std::string& out) {
    if (const auto* n = get(k)) {
      if (auto v = n->value<std::string>())
        out = *v;
      else
        error(k, "must be a string", n);
    }
  }
  void read(std::string_view k, bool& out) {
    if (const auto* n = get(k)) {
      if (auto v = n->value<bool>())
        out = *v;
      else
        error(k, "must be true or false", n);
    }
  }
  template <class Int>
  void read_int(std::string_view k, Int& out, int64_t lo, int64_t hi) {
    const auto* n = get(k);
    if (!n) return;
    auto v = n->value<int64_t>();
    if (!v || !n->is_integer()) return error(k, "must be an integer", n);
    if (*v < lo || *v > hi) {
      return error(k,
                   "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                       " (got " + std::to_string(*v) + ")",
                   n);
    }
    out = static_cast<Int>(*v);
  }
  void read(std::string_view k, Millis& out) {
    const auto* n = get(k);
    if (!n) return;
    auto s = n->value<std::string>();
    auto d = s ? parse_duration(*s) : std::nullopt;
    if (!d) return error(k, "must be a duration string such as \"500ms\", \"10s\", \"2m\"", n);
    out = *d;
  }
  // `any_port`: port 0 (the kernel picks a free port) is allowed, for listeners.
  void read(std::string_view k, Address& out, bool required, bool any_port = false) {
    const auto* n = get(k);
    if (!n) {
      if (required) error(k, "is required (\"host:port\")");
      return;
    }
    auto s = n->value<std::string>();
    auto a = s ? parse_address(*s, any_port) : std::nullopt;
    if (!a) {
      return error(k,
                   any_port ? "must be \"host:port\" with a port 0-65535 (0: any free port; IPv6 "
                              "as \"[::1]:80\")"
                            : "must be \"host:port\" with a port 1-65535 (IPv6 as \"[::1]:80\")",
                   n);
    }
    out = *a;
  }
  void read(std::string_view k, std::vector<std::string>& out) {
    const auto* n = get(k);
    if (!n) return;
    const auto* arr = n->as_array();
    if (!arr) return error(k, "must be an array of strings", n);
    out.clear();
    for (const auto& e : *arr) {
      auto v = e.value<std::string>();
      if (!v) return error(k, "must be an array of strings", &e);
      out.push_back(*v);
    }
  }
  // Reads a string restricted to `choices`, returning its index.
  template <class Enum>
  void read_enum(std::string_view k, Enum& out, std::initializer_list<std::string_view> choices) {
    const auto* n = get(k);
    if (!n) return;
    auto v = n->value<std::string>();
    size_t i = 0;
    for (auto c : choices) {
      if (v && *v == c) {
        out = static_cast<Enum>(i);
        return;
      }
      ++i;
    }
    std::string list;
    for (auto c : choices)
      list += (list.empty() ? "" : ", ") + std::string("\"") + std::string(c) + "\"";
    error(k, "must be one of " + list, n);
  }
  const toml::table* subtable(std::string_view k) {
    const auto* n = get(k);
    if (!n) return nullptr;
    if (!n->is_table()) {
      error(k, "must be a table", n);
      return nullptr;
    }
    return n->as_table();
  }
  // Array of tables ([[k]]); each element is passed to fn(table, "k[i]").
  template <class Fn>
  void each_table(std::string_view k, Fn&& fn) {
    const auto* n = get(k);
    if (!n) return;
    const auto* arr = n->as_array();
    if (!arr) return error(k, "must be an array of tables ([[" + std::string(k) + "]])", n);
    for (size_t i = 0; i < arr->size(); ++i) {
      const auto* t = (*arr)[i].as_table();
      std::string at = key(k) + "[" + std::to_string(i) + "]";
      if (!t) {
        errors_.push_back(
            ConfigError{at, "must be a table", static_cast<int>((*arr)[i].source().begin.line)});
        continue;
      }
      fn(*t, at);
    }
  }

  // Reports keys present in the table but never read.
  void finish() {
    for (const auto& [k, v] : table_) {
      std::string name(k.str());
      if (known_.count(name)) continue;
      std::string msg = "unknown key";
      size_t best = 3;
      std::string suggestion;
      for (const auto& cand : known_) {
        size_t d = edit_distance(name, cand);
        if (d < best) {
          best = d;
          suggestion = cand;
        }
      }
      if (!suggestion.empty()) msg += "; did you mean \"" + suggestion + "\"?";
      error(name, msg, &v);
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  std::vector<ConfigError>& errors_;
  std::set<std::string> known_;
};

void read_answers(TableReader& r, std::string_view k, Answers& out,
                  std::vector<ConfigError>& errors) {
  const auto* t = r.subtable(k);
  if (!t) return;
  for (const auto& [code, node] : *t) {
    std::string at = r.key(k) + "." + std::string(code.str());
    int status = 0;
    try {
      status = std::stoi(std::string(code.str()));
    } catch (...) {
      status = 0;
    }
    if (status < 200 || status > 599 || std::to_string(status) != code.str()) {
      errors.push_back(ConfigError{at, "answer keys are HTTP status codes 200-599",
                                   static_cast<int>(node.source().begin.line)});
      continue;
    }
    const auto* at_table = node.as_table();
    if (!at_table) {
      errors.push_back(ConfigError{at,
                                   "must be a table with \"body\" and optional \"content_type\"",
                                   static_cast<int>(node.source().begin.line)});
      continue;
    }
    TableReader ar(*at_table, at, errors);
    Answer a;
    ar.read("body", a.body);
    ar.read("content_type", a.content_type);
    ar.finish();
    out[static_cast<uint16_t>(status)] = std::move(a);
  }
}

void read_global(TableReader& root, Config& c, std::vector<ConfigError>& errors) {
  if (const auto* t = root.subtable("global")) {
    TableReader r(*t, "global", errors);
    r.read_int("workers", c.global.workers, 0, 256);
    r.read("via", c.global.via);
    r.read("access_log", c.global.access_log);
    r.read_enum("access_log_format", c.global.access_log_format, {"text", "json"});
    r.read("pid_file", c.global.pid_file);
    if (r.get("admin")) {
      Address a;
      r.read("admin", a, true);
      c.global.admin = a;
    }
    r.finish();
  }
}

void read_limits(TableReader& root, Limits& l, std::vector<ConfigError>& errors) {
  const auto* t = root.subtable("limits");
  if (!t) return;
  TableReader r(*t, "limits", errors);
  constexpr int64_t kU31 = 0x7fffffff;
  r.read_int("max_connections", l.max_connections, 1, 10'000'000);
  r.read_int("max_connections_per_ip", l.max_connections_per_ip, 1, 10'000'000);
  r.read_int("max_buffers", l.max_buffers, 4, 100'000'000);
  r.read_int("max_buffers_per_connection", l.max_buffers_per_connection, 2, 1'000'000);
  r.read_int("max_concurrent_streams", l.max_concurrent_streams, 1, kU31);
  // RFC 9113 §6.5.2 ranges.
  r.read_int("initial_window_size", l.initial_window_size, 0, kU31);
  r.read_int("max_frame_size", l.max_frame_size, 16384, 16777215);
  r.read_int("header_table_size", l.header_table_size, 0, 1 << 20);
  r.read_int("max_header_list_size", l.max_header_list_size, 1024, 16 << 20);
  r.read_int("max_header_fields", l.max_header_fields, 8, 100'000);
  r.read_int("max_continuation_frames", l.max_continuation_frames, 1, 10'000);
  r.read_int("max_header_block_bytes", l.max_header_block_bytes, 1024, 64 << 20);
  r.read_int("reset_budget", l.reset_budget, 1, 10'000'000);
  r.read_int("max_queued_control_acks", l.max_queued_control_acks, 1, 1'000'000);
  r.read_int("max_settings_entries", l.max_settings_entries, 6, 10'000);
  r.read_int("glitch_budget", l.glitch_budget, 1, 100'000'000);
  // RFC 9113 §6.9.1: at least the initial 65535, at most 2^31-1.
  r.read_int("connection_window", l.connection_window, 65535, kU31);
  r.read_int("max_request_line", l.max_request_line, 64, 1 << 20);
  r.read_int("max_header_bytes", l.max_header_bytes, 256, 16 << 20);
  r.read_int("max_request_body", l.max_request_body, 0, INT64_MAX);
  r.finish();
}

void read_timeouts(TableReader& root, Timeouts& tm, std::vector<ConfigError>& errors) {
  const auto* t = root.subtable("timeouts");
  if (!t) return;
  TableReader r(*t, "timeouts", errors);
  r.read("request_headers", tm.request_headers);
  r.read("client_idle", tm.client_idle);
  r.read("backend_connect", tm.backend_connect);
  r.read("backend_response", tm.backend_response);
  r.read("stream_progress", tm.stream_progress);
  r.read("tunnel", tm.tunnel);
  r.read("flow_control_stall", tm.flow_control_stall);
  r.read("settings_ack", tm.settings_ack);
  r.read("graceful_shutdown", tm.graceful_shutdown);
  r.finish();
}

void read_listener(const toml::table& t, const std::string& at, Config& c,
                   std::vector<ConfigError>& errors) {
  TableReader r(t, at, errors);
  Listener l;
  r.read("name", l.name);
  r.read("address", l.address, true, true);
  std::vector<std::string> protocols;
  r.read("protocols", protocols);
  if (r.get("protocols")) {
    l.http1 = l.http2 = false;
    for (const auto& p : protocols) {
      if (p == "http/1.1")
        l.http1 = true;
      else if (p == "h2" || p == "h2c")
        l.http2 = true;
      else
        r.error("protocols",
                "unknown protocol \"" + p + "\" (use \"http/1.1\", \"h2c\" or \"h2\")");
    }
  }
  r.each_table("tls", [&](const toml::table& ct, const std::string& cat) {
    TableReader cr(ct, cat, errors);
    Certificate cert;
    cr.read("cert", cert.cert_file);
    cr.read("key", cert.key_file);
    cr.read("names", cert.names);
    if (cert.cert_file.empty()) cr.error("cert", "is required (PEM certificate file)");
    if (cert.key_file.empty()) cr.error("key", "is required (PEM private key file)");
    cr.finish();
    l.certificates.push_back(std::move(cert));
  });
  r.read("https_redirect", l.https_redirect);
  r.read("allow_connect", l.allow_connect);
  read_answers(r, "answers", l.answers, errors);
  r.finish();
  c.listeners.push_back(std::move(l));
}

void read_cluster(const toml::table& t, const std::string& at, Config& c,
                  std::vector<ConfigError>& errors) {
  TableReader r(t, at, errors);
  Cluster cl;
  r.read("name", cl.name);
  r.read_enum("protocol", cl.protocol, {"http1", "h2c", "h2"});
  r.read_enum("load_balancing", cl.load_balancing, {"round_robin", "least_connections"});
  r.read_int("max_connections_per_backend", cl.max_connections_per_backend, 1, 1'000'000);
  r.read_int("connect_retries", cl.connect_retries, 0, 16);
  r.read("builtin_origin", cl.builtin_origin);
  if (const auto* tt = r.subtable("tls")) {
    TableReader tr(*tt, r.key("tls"), errors);
    cl.tls.enabled = true;
    tr.read("enabled", cl.tls.enabled);
    tr.read("verify", cl.tls.verify);
    tr.read("ca_file", cl.tls.ca_file);
    tr.read("sni", cl.tls.sni);
    tr.finish();
  }
  if (cl.protocol == BackendProtocol::H2) cl.tls.enabled = true;
  if (const auto* n = r.get("backends")) {
    const auto* arr = n->as_array();
    if (!arr) {
      r.error("backends", "must be an array of \"host:port\" strings or {address, weight} tables",
              n);
    } else {
      for (size_t i = 0; i < arr->size(); ++i) {
        const auto& e = (*arr)[i];
        std::string bat = r.key("backends") + "[" + std::to_string(i) + "]";
        Backend b;
        if (auto s = e.value<std::string>()) {
          auto a = parse_address(*s);
          if (!a)
            errors.push_back(ConfigError{bat, "\"" + *s + "\" is not \"host:port\"",
                                         static_cast<int>(e.source().begin.line)});
          else
            b.address = *a;
        } else if (const auto* bt = e.as_table()) {
          TableReader br(*bt, bat, errors);
          br.read("address", b.address, true);
          br.read_int("weight", b.weight, 1, 1000);
          br.finish();
        } else {
          errors.push_back(ConfigError{bat, "must be \"host:port\" or {address, weight}",
                                       static_cast<int>(e.source().begin.line)});
          continue;
        }
        cl.backends.push_back(std::move(b));
      }
    }
  }
  read_answers(r, "answers", cl.answers, errors);
  r.finish();
  c.clusters.push_back(std::move(cl));
}

void read_frontend(const toml::table& t, const std::string& at, Config& c,
                   std::vector<ConfigError>& errors) {
  TableReader r(t, at, errors);
  Frontend f;
  if (const auto* n = r.get("listener")) {
    if (auto s = n->value<std::string>())
      f.listeners = {*s};
    else
      r.error("listener", "must be a listener name", n);
  }
  r.read("listeners", f.listeners);
  r.read("hostname", f.hostname);
  r.read("path", f.path);
  r.read_enum("path_match", f.path_match, {"prefix", "exact", "regex"});
  r.read("method", f.method);
  r.read("cluster", f.cluster);
  r.finish();
  c.frontends.push_back(std::move(f));
}

}  // namespace

std::string format_error(std::string_view source, const ConfigError& e) {
  std::string out(source);
  if (e.line > 0) out += ":" + std::to_string(e.line);
  out += ": ";
  if (!e.key.empty()) out += e.key + ": ";
  out += e.message;
  return out;
}

ParseResult parse_config(std::string_view text, std::string_view source_name) {
  ParseResult result;
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& err) {
    result.errors.push_back(
        ConfigError{"", std::string(err.description()), static_cast<int>(err.source().begin.line)});
    return result;
  }
  Config c;
  auto& errors = result.errors;
  TableReader r(root, "", errors);
  read_global(r, c, errors);
  read_limits(r, c.limits, errors);
  read_timeouts(r, c.timeouts, errors);
  read_answers(r, "answers", c.answers, errors);
  r.each_table("listeners", [&](const toml::table& t, const std::string& at) {
    read_listener(t, at, c, errors);
  });
  r.each_table("clusters", [&](const toml::table& t, const std::string& at) {
    read_cluster(t, at, c, errors);
  });
  r.each_table("frontends", [&](const toml::table& t, const std::string& at) {
    read_frontend(t, at, c, errors);
  });
  r.finish();
  // Semantic checks run even after conversion errors, so one pass reports everything.
  auto semantic = validate(c);
  errors.insert(errors.end(), semantic.begin(), semantic.end());
  if (errors.empty()) result.config = std::move(c);
  return result;
}

ParseResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ParseResult r;
    r.errors.push_back(ConfigError{"", "cannot read the file", 0});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace crossmux::mux::config
