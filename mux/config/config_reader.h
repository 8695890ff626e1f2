// TableReader: reads one TOML table of a crossmux configuration, converting values, recording
// the line of every key for later messages and reporting wrong types, ranges and unknown keys.
// Internal to mux/config (config_parser.cc and its section readers).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mux/config/config_parser.h"

namespace crossmux::mux::config {

// The line a TOML node starts on (for diagnostics).
inline int line_of(const toml::node& n) {
  return static_cast<int>(n.source().begin.line);
}

// What every reader of one parse shares: the errors found so far, where each key is, and the
// folder relative file paths are resolved against ("" keeps them as written).
struct ParseContext {
  std::vector<ConfigError>& errors;
  SourceMap& where;
  std::string base_dir;
};

// The value of a node as TOML would write it, for messages: "\"a:1\"", "30", "[\"h2\"]"; "" for
// tables; cut at 120 characters.
std::string toml_value(const toml::node& n);

class TableReader {
 public:
  // `path` is the table's dotted key ("" for the root, "listeners[2]", "clusters[1].tls").
  TableReader(const toml::table& t, std::string path, ParseContext& ctx);

  std::string key(std::string_view k) const {
    return path_.empty() ? std::string(k) : path_ + "." + std::string(k);
  }
  // The node at `k` (marked as known, its line recorded), or null when absent.
  const toml::node* get(std::string_view k);
  // An error at key `k`; the value and line come from `n` when given (else the table's line).
  void error(std::string_view k, std::string msg, const toml::node* n = nullptr);
  // An error at `k` whose value is given as text (already TOML-rendered).
  void error_value(std::string_view k, std::string value, std::string msg,
                   const toml::node* n = nullptr);

  void read(std::string_view k, std::string& out);
  void read(std::string_view k, bool& out);
  template <class Int>
  void read_int(std::string_view k, Int& out, int64_t lo, int64_t hi) {
    int64_t v = 0;
    if (read_int64(k, v, lo, hi)) out = static_cast<Int>(v);
  }
  // A duration ("250ms", "10s", "2m", "1h") from `min` to 2^31-1 ms (the timers' range).
  void read(std::string_view k, Millis& out, Millis min = Millis(1));
  // `any_port`: port 0 (the kernel picks a free port) is allowed, for listeners.
  void read(std::string_view k, Address& out, bool required, bool any_port = false);
  void read(std::string_view k, std::vector<std::string>& out);
  // A file path; a relative one is resolved against the context's base_dir.
  void read_path(std::string_view k, std::string& out);
  // Reads a string restricted to `choices`, storing its index.
  template <class Enum>
  void read_enum(std::string_view k, Enum& out, std::initializer_list<std::string_view> choices) {
    size_t i = 0;
    if (read_choice(k, i, choices)) out = static_cast<Enum>(i);
  }
  const toml::table* subtable(std::string_view k);
  // Array of tables ([[k]]); each element is passed to fn(table, "k[i]"), i from 1.
  template <class Fn>
  void each_table(std::string_view k, Fn&& fn) {
    const auto* n = get(k);
    if (!n) return;
    const auto* arr = n->as_array();
    if (!arr) return error(k, "must be an array of tables ([[" + std::string(k) + "]])", n);
    for (size_t i = 0; i < arr->size(); ++i) {
      const auto* t = (*arr)[i].as_table();
      const std::string at = key(k) + "[" + std::to_string(i + 1) + "]";
      ctx_.where.lines[at] = static_cast<int>((*arr)[i].source().begin.line);
      if (!t) {
        ctx_.errors.push_back(
            ConfigError{at, "must be a table", static_cast<int>((*arr)[i].source().begin.line)});
        continue;
      }
      fn(*t, at);
    }
  }
  // Reports keys present in the table but never read, with a suggestion when one is close.
  void finish();

  ParseContext& context() { return ctx_; }

 private:
  bool read_int64(std::string_view k, int64_t& out, int64_t lo, int64_t hi);
  bool read_choice(std::string_view k, size_t& out,
                   std::initializer_list<std::string_view> choices);

  const toml::table& table_;
  std::string path_;
  ParseContext& ctx_;
  std::set<std::string> known_;
};

}  // namespace crossmux::mux::config
