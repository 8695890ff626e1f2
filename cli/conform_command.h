// `crossmux conform ...`: the conformance runner's command line.
#pragma once

#include <CLI/CLI.hpp>

namespace crossmux::cli {

// Adds the `conform` subcommand tree to `app`; the chosen suite runs from the callback and sets
// `exit_code` (1 on any failure, as h2spec).
void add_conform_command(CLI::App& app, int& exit_code);

}  // namespace crossmux::cli
