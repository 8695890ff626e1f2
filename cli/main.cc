// The crossmux executable: thin CLI11 wiring of the subcommands.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "cli/conform_command.h"
#include "cli/origin_command.h"
#include "cli/proxy_command.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "crossmux: HTTP/1.1 <-> HTTP/2 translation toolkit.\n"
      "  conform  run conformance suites against a server\n"
      "  origin   the demo/test origin (HTTP/1.1 and h2c)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "crossmux 0.1.0");
  int exit_code = 0;
  crossmux::cli::add_conform_command(app, exit_code);
  crossmux::cli::add_origin_command(app, exit_code);
  crossmux::cli::add_proxy_command(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
