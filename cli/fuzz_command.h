// `crossmux fuzz h2|h1`: the network fuzzer's command line.
#pragma once

#include <CLI/CLI.hpp>

namespace crossmux::cli {

// Adds the `fuzz` subcommand tree to `app`; a run sets `exit_code` (0 nothing found, 1 findings,
// 2 usage or setup errors).
void add_fuzz_command(CLI::App& app, int& exit_code);

}  // namespace crossmux::cli
