// `crossmux origin --listen HOST:PORT [--record FILE]`: serves origin_app.h's endpoints over
// HTTP/1.1 and h2c on one port until SIGINT or SIGTERM.
#include "cli/origin_command.h"

#include <csignal>
#include <iostream>
#include <memory>

#include "conformance/origin/origin_server.h"
#include "mux/config/config_parser.h"

namespace crossmux::cli {

namespace {

mux::net::EventLoop* g_loop = nullptr;
void stop_on_signal(int) {
  if (g_loop) g_loop->stop();
}

struct OriginArgs {
  std::string listen = "127.0.0.1:8081";
  std::string record;
};

}  // namespace

void add_origin_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<OriginArgs>();
  auto* cmd = app.add_subcommand(
      "origin",
      "The demo origin (HTTP/1.1 and h2c on one port). Endpoints: / (who reached me, over which\n"
      "protocol), /echo, /sha256, /headers, /bytes/N, /chunked/N[/K], /slow/MS[/N], /trailers,\n"
      "/status/CODE, /early-hints, /cookies, /raw/NAME, /ws (WebSocket echo: HTTP/1.1 Upgrade or\n"
      "HTTP/2 extended CONNECT). Tests and `crossmux conform translate` use it as the backend.");
  cmd->add_option("-l,--listen", args->listen, "host:port to listen on (port 0: any free port)")
      ->capture_default_str();
  cmd->add_option("-r,--record", args->record,
                  "Append one JSON line per request received (method, target, headers, body "
                  "length and SHA-256, trailers) to this file");
  cmd->callback([args, &exit_code] {
    auto addr = mux::config::parse_address(args->listen);
    if (!addr && args->listen.ends_with(":0")) {
      addr = mux::config::Address{args->listen.substr(0, args->listen.size() - 2), 0};
    }
    if (!addr) {
      std::cerr << "crossmux origin: --listen must be host:port, got \"" << args->listen << "\"\n";
      exit_code = 2;
      return;
    }
    auto loop = mux::net::EventLoop::create();
    if (!loop) {
      std::cerr << "crossmux origin: " << codecs::to_string(loop.error()) << "\n";
      exit_code = 1;
      return;
    }
    conformance::OriginOptions options;
    options.host = addr->host;
    options.port = addr->port;
    options.record_path = args->record;
    auto server = conformance::OriginServer::start(**loop, options);
    if (!server) {
      std::cerr << "crossmux origin: cannot listen on " << args->listen << ": "
                << codecs::to_string(server.error()) << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "crossmux origin listening on " << (*server)->address() << " (HTTP/1.1 and h2c)"
              << std::endl;
    g_loop = loop->get();
    std::signal(SIGINT, stop_on_signal);
    std::signal(SIGTERM, stop_on_signal);
    auto status = (*loop)->run();
    g_loop = nullptr;
    server->reset();
    exit_code = status ? 0 : 1;
  });
}

}  // namespace crossmux::cli
