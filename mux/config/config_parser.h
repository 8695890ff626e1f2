// Reads a crossmux TOML configuration into Config, reporting every problem with the key it is at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mux/config/config.h"

namespace crossmux::mux::config {

// One problem: the dotted key it concerns, indexes from 1 as an operator counts entries
// ("clusters[1].backends[2]"; "" for the file as a whole), why, the line in the source when known
// (0 otherwise), and the value found there as TOML writes it ("\"10.0.0.1:0\"", "0", "[\"h2\"]";
// "" when the problem is not one value).
struct ConfigError {
  ConfigError() = default;
  ConfigError(std::string k, std::string m, int l = 0, std::string v = {})
      : key(std::move(k)), message(std::move(m)), line(l), value(std::move(v)) {}
  std::string key;
  std::string message;
  int line = 0;
  std::string value;
};

// "FILE:LINE: KEY = VALUE: MESSAGE" (":LINE" and " = VALUE" omitted when unknown). Startup,
// reload and --check print every configuration problem through this, so they read the same.
std::string format_error(std::string_view source, const ConfigError& e);
// Sets the line of every error that has none to where its key (or its closest parent) is.
void locate(const SourceMap& where, std::vector<ConfigError>& errors);
// `s` as a TOML basic string, quotes and escapes included.
std::string toml_quote(std::string_view s);

struct ParseResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // every problem found, in file order
};

// Parses TOML text. Syntax errors, unknown keys (with a suggestion when one is close), wrong
// types, values out of range, settings that contradict each other (a protocol a listener cannot
// speak, TLS options on a cleartext cluster, "0s" timeouts) and cross-references (frontends to
// clusters and listeners) are all reported, sorted by line; nothing is silently defaulted except
// keys that are absent. Relative file paths (certificates, keys, CA file, access log, pid file)
// are resolved against `base_dir` when it is given. The Config's `where` records every key's line.
// What the file names outside itself (certificates, host names, addresses to bind) is checked by
// mux/proxy's preflight().
ParseResult parse_config(std::string_view toml_text, std::string_view source_name,
                         std::string_view base_dir = {});

// Reads and parses a file, relative paths in it being relative to its folder; an unreadable file
// is one error with key "".
ParseResult load_config_file(const std::string& path);

// Semantic checks on an assembled Config (also run by parse_config): unique names, references,
// addresses, regexes compile, limits within protocol ranges. Errors carry no line (locate()).
std::vector<ConfigError> validate(const Config& config);

// "10s", "250ms", "2m", "1h" -> milliseconds; nullopt when malformed.
std::optional<Millis> parse_duration(std::string_view text);
// "127.0.0.1:8080", "[::1]:443", "localhost:80" -> Address; nullopt when malformed. Port 0 ("any
// free port", for listeners) only with `any_port`.
std::optional<Address> parse_address(std::string_view text, bool any_port = false);

}  // namespace crossmux::mux::config
