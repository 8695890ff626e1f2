// The configuration `crossmux proxy` runs with when given no file: a demo anyone can curl at once.
#pragma once

#include <string_view>

namespace crossmux::mux::config {

// TOML text: 127.0.0.1:8080 serving HTTP/1.1 and h2c (prior knowledge), routing /h2/ to the
// built-in origin over h2c and everything else to it over HTTP/1.1, so both translations show.
std::string_view embedded_default_toml();

}  // namespace crossmux::mux::config
