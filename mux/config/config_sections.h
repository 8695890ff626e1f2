// Readers of the configuration's larger sections: answers, [[listeners]] and [[clusters]] with
// their TLS, backends and health checks. Internal to mux/config (config_parser.cc).
#pragma once

#include <string>
#include <string_view>

#include "mux/config/config_reader.h"

namespace crossmux::mux::config {

// [answers.<status>] tables under `k` of `r`'s table.
void read_answers(TableReader& r, std::string_view k, Answers& out);
// One [[listeners]] entry at key `at` ("listeners[2]"), appended to c.listeners. Also checks
// that its protocols suit it: "h2" needs TLS, "h2c" needs cleartext.
void read_listener(const toml::table& t, const std::string& at, Config& c, ParseContext& ctx);
// One [[clusters]] entry, appended to c.clusters. Also checks that its TLS settings suit its
// protocol ("h2" is TLS, "h2c" is not) and its health check.
void read_cluster(const toml::table& t, const std::string& at, Config& c, ParseContext& ctx);

}  // namespace crossmux::mux::config
