// The crossmux executable: thin CLI11 wiring of the subcommands.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "cli/conform_command.h"
#include "cli/fuzz_command.h"
#include "cli/origin_command.h"
#include "cli/proxy_command.h"
#include "crossmux_version.h"

namespace {

constexpr const char* kVersion = "crossmux " CROSSMUX_VERSION;

// --version on every subcommand, as on the top level (h2spec users type `... h2 --version`).
void add_version_flags(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands({})) {
    sub->set_version_flag("--version", kVersion);
    add_version_flags(*sub);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "crossmux: HTTP/1.1 <-> HTTP/2 translation toolkit.\n"
      "  proxy    the multiplexing reverse proxy\n"
      "  conform  run conformance suites against a server\n"
      "  fuzz     fuzz a server or proxy over the network (h2, h1)\n"
      "  origin   the demo/test origin (HTTP/1.1 and h2c)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", kVersion);
  int exit_code = 0;
  crossmux::cli::add_conform_command(app, exit_code);
  crossmux::cli::add_fuzz_command(app, exit_code);
  crossmux::cli::add_origin_command(app, exit_code);
  crossmux::cli::add_proxy_command(app, exit_code);
  add_version_flags(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A usage error exits 2, as getopt-style tools do (CLI11's own codes are 100-114), so
    // scripts can tell it from a failed run (1).
    app.exit(e);
    return 2;
  }
  return exit_code;
}
