// `crossmux origin`: the demo/test origin on its own.
#pragma once

#include <CLI/CLI.hpp>

namespace crossmux::cli {

void add_origin_command(CLI::App& app, int& exit_code);

}  // namespace crossmux::cli
