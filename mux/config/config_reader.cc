// TableReader: typed reads of one TOML table with the key, line and value of every problem.
#include "mux/config/config_reader.h"

#include <algorithm>
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

// The timers take milliseconds as unsigned 32-bit values on some paths (HTTP/2 deadlines).
constexpr int64_t kMaxDurationMs = 0x7fffffff;

}  // namespace

std::string toml_value(const toml::node& n) {
  if (n.is_table()) return {};
  std::ostringstream os;
  if (const auto* s = n.as_string()) {
    os << toml_quote(s->get());
  } else if (const auto* a = n.as_array()) {
    os << '[';
    for (size_t i = 0; i < a->size(); ++i) os << (i ? ", " : "") << toml_value((*a)[i]);
    os << ']';
  } else {
    n.visit([&os](const auto& v) { os << v; });
  }
  std::string out = os.str();
  if (out.size() > 120) out = out.substr(0, 117) + "...";
  return out;
}

TableReader::TableReader(const toml::table& t, std::string path, ParseContext& ctx)
    : table_(t), path_(std::move(path)), ctx_(ctx) {
  if (!path_.empty() && !ctx_.where.lines.contains(path_)) ctx_.where.lines[path_] = line_of(t);
}

const toml::node* TableReader::get(std::string_view k) {
  known_.insert(std::string(k));
  const toml::node* n = table_.get(k);
  if (n) ctx_.where.lines[key(k)] = line_of(*n);
  return n;
}

void TableReader::error(std::string_view k, std::string msg, const toml::node* n) {
  error_value(k, n ? toml_value(*n) : std::string(), std::move(msg), n);
}

void TableReader::error_value(std::string_view k, std::string value, std::string msg,
                              const toml::node* n) {
  const int line = n ? line_of(*n) : line_of(table_);
  ctx_.errors.push_back(ConfigError{key(k), std::move(msg), line, std::move(value)});
}

void TableReader::read(std::string_view k, std::string& out) {
  if (const auto* n = get(k)) {
    if (auto v = n->value<std::string>())
      out = *v;
    else
      error(k, "must be a string", n);
  }
}

void TableReader::read(std::string_view k, bool& out) {
  if (const auto* n = get(k)) {
    // Strictly a TOML boolean: toml++'s value<bool>() would also take 1 or 0.
    if (const auto* b = n->as_boolean())
      out = b->get();
    else
      error(k, "must be true or false", n);
  }
}

bool TableReader::read_int64(std::string_view k, int64_t& out, int64_t lo, int64_t hi) {
  const auto* n = get(k);
  if (!n) return false;
  auto v = n->value<int64_t>();
  if (!v || !n->is_integer()) {
    error(k, "must be an integer", n);
    return false;
  }
  if (*v < lo || *v > hi) {
    error(k, "must be between " + std::to_string(lo) + " and " + std::to_string(hi), n);
    return false;
  }
  out = *v;
  return true;
}

void TableReader::read(std::string_view k, Millis& out, Millis min) {
  const auto* n = get(k);
  if (!n) return;
  auto s = n->value<std::string>();
  auto d = s ? parse_duration(*s) : std::nullopt;
  if (!d) return error(k, "must be a duration string such as \"500ms\", \"10s\", \"2m\"", n);
  if (*d < min) {
    return error(k,
                 min == Millis(1) ? "must be longer than 0 (nothing could ever complete)"
                                  : "must be at least " + std::to_string(min.count()) + "ms",
                 n);
  }
  if (d->count() > kMaxDurationMs) return error(k, "must be at most 596h (2^31-1 ms)", n);
  out = *d;
}

void TableReader::read(std::string_view k, Address& out, bool required, bool any_port) {
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

void TableReader::read(std::string_view k, std::vector<std::string>& out) {
  const auto* n = get(k);
  if (!n) return;
  const auto* arr = n->as_array();
  if (!arr) return error(k, "must be an array of strings", n);
  out.clear();
  for (const auto& e : *arr) {
    auto v = e.value<std::string>();
    if (!v) return error(k, "must be an array of strings", n);
    out.push_back(*v);
  }
}

void TableReader::read_path(std::string_view k, std::string& out) {
  read(k, out);
  if (!out.empty() && out.front() != '/' && !ctx_.base_dir.empty()) {
    out = ctx_.base_dir + "/" + out;
  }
}

bool TableReader::read_choice(std::string_view k, size_t& out,
                              std::initializer_list<std::string_view> choices) {
  const auto* n = get(k);
  if (!n) return false;
  auto v = n->value<std::string>();
  size_t i = 0;
  for (auto c : choices) {
    if (v && *v == c) {
      out = i;
      return true;
    }
    ++i;
  }
  std::string list;
  for (auto c : choices) list += (list.empty() ? "" : ", ") + toml_quote(c);
  error(k, "must be one of " + list, n);
  return false;
}

const toml::table* TableReader::subtable(std::string_view k) {
  const auto* n = get(k);
  if (!n) return nullptr;
  if (!n->is_table()) {
    error(k, "must be a table", n);
    return nullptr;
  }
  return n->as_table();
}

void TableReader::finish() {
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
    ctx_.errors.push_back(ConfigError{key(name), msg, line_of(v), {}});
  }
}

}  // namespace crossmux::mux::config
