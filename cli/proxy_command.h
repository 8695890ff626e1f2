// `crossmux proxy`: the multiplexing reverse proxy.
#pragma once

#include <CLI/CLI.hpp>

namespace crossmux::cli {

void add_proxy_command(CLI::App& app, int& exit_code);

}  // namespace crossmux::cli
