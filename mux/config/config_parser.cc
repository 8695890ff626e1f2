// TOML -> Config: walks each table, converting values and reporting unknown keys and bad types
// at their key, line and value; listeners and clusters are read in config_sections.cc.
#include "mux/config/config_parser.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "mux/config/config_reader.h"
#include "mux/config/config_sections.h"

namespace crossmux::mux::config {
namespace {

void read_global(TableReader& root, Config& c) {
  const auto* t = root.subtable("global");
  if (!t) return;
  TableReader r(*t, "global", root.context());
  r.read_int("workers", c.global.workers, 0, 256);
  r.read("via", c.global.via);
  if (const auto* n = r.get("access_log")) {
    r.read("access_log", c.global.access_log);
    if (c.global.access_log.empty()) {
      r.error("access_log", "must be a file path, \"stdout\" or \"off\"", n);
    } else if (c.global.access_log != "stdout" && c.global.access_log != "off") {
      r.read_path("access_log", c.global.access_log);
    }
  }
  r.read_enum("access_log_format", c.global.access_log_format, {"text", "json"});
  if (const auto* n = r.get("access_log_fields")) {
    r.read("access_log_fields", c.global.access_log_fields);
    const auto& known = access_log_field_names();
    for (const auto& f : c.global.access_log_fields) {
      if (std::find(known.begin(), known.end(), std::string_view(f)) == known.end()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : " ") + std::string(k);
        r.error("access_log_fields", "unknown field " + toml_quote(f) + " (fields: " + list + ")",
                n);
      }
    }
    if (c.global.access_log_fields.empty() && n->is_array()) {
      r.error("access_log_fields", "must name at least one field", n);
    }
  }
  r.read("request_id_header", c.global.request_id_header);
  r.read_path("pid_file", c.global.pid_file);
  if (r.get("admin")) {
    Address a;
    r.read("admin", a, true);
    c.global.admin = a;
  }
  r.read("shared_ports", c.global.shared_ports);
  r.finish();
}

void read_limits(TableReader& root, Limits& l) {
  const auto* t = root.subtable("limits");
  if (!t) return;
  TableReader r(*t, "limits", root.context());
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

void read_timeouts(TableReader& root, Timeouts& tm) {
  const auto* t = root.subtable("timeouts");
  if (!t) return;
  TableReader r(*t, "timeouts", root.context());
  // "0s" would fail every request, connection or stream at once; only the shutdown deadline may
  // be 0 (close what is open at once).
  r.read("request_headers", tm.request_headers);
  r.read("client_idle", tm.client_idle);
  r.read("backend_connect", tm.backend_connect);
  r.read("backend_response", tm.backend_response);
  r.read("stream_progress", tm.stream_progress);
  r.read("tunnel", tm.tunnel);
  r.read("flow_control_stall", tm.flow_control_stall);
  r.read("settings_ack", tm.settings_ack);
  r.read("graceful_shutdown", tm.graceful_shutdown, Millis(0));
  r.finish();
}

void read_frontend(const toml::table& t, const std::string& at, Config& c, ParseContext& ctx) {
  TableReader r(t, at, ctx);
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

std::string toml_quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      out += "\\u00";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out + "\"";
}

std::string format_error(std::string_view source, const ConfigError& e) {
  std::string out(source);
  if (e.line > 0) out += ":" + std::to_string(e.line);
  out += ": ";
  if (!e.key.empty()) {
    out += e.key;
    if (!e.value.empty()) out += " = " + e.value;
    out += ": ";
  }
  out += e.message;
  return out;
}

void locate(const SourceMap& where, std::vector<ConfigError>& errors) {
  for (auto& e : errors) {
    if (e.line == 0 && !e.key.empty()) e.line = where.line(e.key);
  }
}

ParseResult parse_config(std::string_view text, std::string_view source_name,
                         std::string_view base_dir) {
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
  c.where.source = std::string(source_name);
  ParseContext ctx{result.errors, c.where, std::string(base_dir)};
  TableReader r(root, "", ctx);
  read_global(r, c);
  read_limits(r, c.limits);
  read_timeouts(r, c.timeouts);
  read_answers(r, "answers", c.answers);
  r.each_table("listeners",
               [&](const toml::table& t, const std::string& at) { read_listener(t, at, c, ctx); });
  r.each_table("clusters",
               [&](const toml::table& t, const std::string& at) { read_cluster(t, at, c, ctx); });
  r.each_table("frontends",
               [&](const toml::table& t, const std::string& at) { read_frontend(t, at, c, ctx); });
  r.finish();
  // Semantic checks run even after conversion errors, so one pass reports everything.
  auto semantic = validate(c);
  result.errors.insert(result.errors.end(), semantic.begin(), semantic.end());
  locate(c.where, result.errors);
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

ParseResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    ParseResult r;
    r.errors.push_back(
        ConfigError{"", std::string("cannot read the file: ") + std::strerror(errno)});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  // Relative paths in the file (certificates, logs) are relative to the file's folder.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + (slash == 0));
  return parse_config(ss.str(), path, dir);
}

}  // namespace crossmux::mux::config
