// Reads a crossmux TOML configuration into Config, reporting every problem with the key it is at.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mux/config/config.h"

namespace crossmux::mux::config {

// One problem: the dotted key it concerns ("clusters[1].backends[0]"), why, and the line in the
// source when known (0 otherwise).
struct ConfigError {
  std::string key;
  std::string message;
  int line = 0;
};

// "FILE:LINE: KEY: MESSAGE" (LINE omitted when unknown).
std::string format_error(std::string_view source, const ConfigError& e);

struct ParseResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<ConfigError> errors;  // every problem found, in file order
};

// Parses TOML text. Syntax errors, unknown keys (with a suggestion when one is close), wrong
// types, values out of range and cross-references (frontends to clusters and listeners) are all
// reported; nothing is silently defaulted except keys that are absent.
ParseResult parse_config(std::string_view toml_text, std::string_view source_name);

// Reads and parses a file; an unreadable file is one error with key "".
ParseResult load_config_file(const std::string& path);

// Semantic checks on an assembled Config (also run by parse_config): unique names, references,
// addresses, TLS files readable, regexes compile, limits within protocol ranges.
std::vector<ConfigError> validate(const Config& config);

// "10s", "250ms", "2m", "1h" -> milliseconds; nullopt when malformed.
std::optional<Millis> parse_duration(std::string_view text);
// "127.0.0.1:8080", "[::1]:443", "localhost:80" -> Address; nullopt when malformed. Port 0 ("any
// free port", for listeners) only with `any_port`.
std::optional<Address> parse_address(std::string_view text, bool any_port = false);

}  // namespace crossmux::mux::config
