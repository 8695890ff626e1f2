// `crossmux proxy [--config FILE] [--check]`: validates a configuration, or runs it (the embedded
// default when no file is given), starting the built-in origin for builtin_origin clusters.
#include "cli/proxy_command.h"

#include <atomic>
#include <csignal>
#include <cstring>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

#include "conformance/origin/origin_server.h"
#include "mux/config/config_parser.h"
#include "mux/config/embedded_default.h"
#include "mux/proxy/proxy_main.h"

namespace crossmux::cli {

namespace {

std::atomic<mux::net::EventLoop*> g_proxy_loop{nullptr};
void stop_proxy(int) {
  if (auto* l = g_proxy_loop.load()) l->stop();
}

struct ProxyArgs {
  std::string config;
  bool check = false;
};

// The demo origin on its own thread and loop, on an ephemeral loopback port.
class BuiltinOrigin {
 public:
  ~BuiltinOrigin() {
    if (auto* l = loop_.load()) l->stop();
    if (thread_.joinable()) thread_.join();
  }
  // The port, or 0 when the origin could not start.
  uint16_t start() {
    std::promise<uint16_t> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, &port] {
      auto loop = mux::net::EventLoop::create();
      if (!loop) {
        port.set_value(0);
        return;
      }
      auto server = conformance::OriginServer::start(**loop, conformance::OriginOptions{});
      if (!server) {
        port.set_value(0);
        return;
      }
      loop_.store(loop->get());
      port.set_value((*server)->port());
      (void)(*loop)->run();
      loop_.store(nullptr);
      // The proxy closed its backend connections before stopping us: let the origin's side see
      // those ends (at most a second), so no connection outlives the server.
      for (int i = 0; i < 100 && (*server)->open_connections() > 0; ++i)
        (void)(*loop)->run_once(10);
      server->reset();
    });
    return ready.get();
  }

 private:
  std::thread thread_;
  std::atomic<mux::net::EventLoop*> loop_{nullptr};
};

int run(const ProxyArgs& args) {
  const bool embedded = args.config.empty();
  const std::string source = embedded ? "<embedded default>" : args.config;
  auto parsed = embedded ? mux::config::parse_config(mux::config::embedded_default_toml(), source)
                         : mux::config::load_config_file(args.config);
  if (!parsed.config) {
    for (const auto& e : parsed.errors) std::cerr << mux::config::format_error(source, e) << "\n";
    return 1;
  }
  if (args.check) {
    std::cout << "configuration ok\n";
    return 0;
  }
  mux::config::Config config = std::move(*parsed.config);
  BuiltinOrigin origin;
  bool needs_origin = false;
  for (const auto& c : config.clusters) needs_origin = needs_origin || c.builtin_origin;
  if (needs_origin) {
    const uint16_t port = origin.start();
    if (port == 0) {
      std::cerr << "crossmux proxy: the built-in origin could not start\n";
      return 1;
    }
    for (auto& c : config.clusters) {
      if (c.builtin_origin) c.backends = {mux::config::Backend{{"127.0.0.1", port}, 1}};
    }
    std::cerr << "crossmux proxy: built-in origin on 127.0.0.1:" << port << "\n";
  }
  mux::proxy::RunOptions options;
  options.loop_out = &g_proxy_loop;
  options.on_listening = [&config](const std::vector<uint16_t>& ports) {
    for (size_t i = 0; i < ports.size(); ++i) {
      std::cerr << "crossmux proxy: listener " << config.listeners[i].name << " on "
                << config.listeners[i].address.host << ":" << ports[i] << "\n";
    }
  };
  options.on_admin = [&config](uint16_t port) {
    std::cerr << "crossmux proxy: admin on " << config.global.admin->host << ":" << port
              << " (GET /metrics, /ready)\n";
  };
  std::signal(SIGINT, stop_proxy);
  std::signal(SIGTERM, stop_proxy);
  auto status = mux::proxy::run_proxy(config, options);
  if (!status) {
    // Socket errors carry errno in Error::code (mux/net/net_errors.h).
    const codecs::Error& e = status.error();
    std::cerr << "crossmux proxy: " << e.detail;
    if (std::string_view(e.detail).starts_with("net:") && e.code != 0) {
      std::cerr << ": " << std::strerror(static_cast<int>(e.code));
    }
    std::cerr << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ProxyArgs>();
  auto* cmd = app.add_subcommand(
      "proxy",
      "The multiplexing reverse proxy. Clients speak HTTP/1.1 or HTTP/2 (prior knowledge, told\n"
      "apart by the preface on one port); clusters speak HTTP/1.1 or h2c. Without --config it "
      "runs\n"
      "the embedded default: 127.0.0.1:8080 in front of the built-in origin (/h2/ over h2c,\n"
      "everything else over HTTP/1.1), so `curl http://127.0.0.1:8080/` works at once. One access\n"
      "log line per request; metrics on the admin listener (global.admin) at /metrics;\n"
      "SIGINT/SIGTERM stop it.");
  cmd->add_option("-c,--config", args->config, "TOML configuration file (see mux/config/config.h)");
  cmd->add_flag("--check", args->check,
                "Validate the configuration, print every error with its key, and exit (1 on "
                "error, 0 and \"configuration ok\" otherwise)");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace crossmux::cli
