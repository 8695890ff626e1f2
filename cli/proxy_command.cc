// `crossmux proxy [--config FILE] [--check] [--workers N] [--pid-file F] [--reload]`: validates a
// configuration, runs it (the embedded default when no file is given; the built-in origin for
// builtin_origin clusters) under the signal-handling supervisor, or signals a running proxy.
#include "cli/proxy_command.h"

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "conformance/origin/origin_server.h"
#include "mux/config/config_parser.h"
#include "mux/config/embedded_default.h"
#include "mux/proxy/worker/proxy_main.h"

namespace crossmux::cli {

namespace {

struct ProxyArgs {
  std::string config;
  bool check = false;
  bool reload = false;
  uint32_t workers = 0;
  std::string pid_file;
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

// Parses and validates the configuration, printing every error; nullopt when invalid.
std::optional<mux::config::Config> load(const ProxyArgs& args) {
  const bool embedded = args.config.empty();
  const std::string source = embedded ? "<embedded default>" : args.config;
  auto parsed = embedded ? mux::config::parse_config(mux::config::embedded_default_toml(), source)
                         : mux::config::load_config_file(args.config);
  if (!parsed.config) {
    for (const auto& e : parsed.errors) std::cerr << mux::config::format_error(source, e) << "\n";
    return std::nullopt;
  }
  return std::move(*parsed.config);
}

// `--reload`: signals the running proxy (SIGHUP) found through its pid file. The configuration
// is checked here first, so its errors show on this terminal and nothing is signalled.
int signal_reload(const ProxyArgs& args, const mux::config::Config& config) {
  const std::string path = args.pid_file.empty() ? config.global.pid_file : args.pid_file;
  if (path.empty()) {
    std::cerr << "crossmux proxy --reload: no pid file (--pid-file or global.pid_file)\n";
    return 1;
  }
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 1) {
    std::cerr << "crossmux proxy --reload: no pid in " << path << "\n";
    return 1;
  }
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    std::cerr << "crossmux proxy --reload: pid " << pid << " from " << path << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }
  std::cout << "reload signalled to pid " << pid << " (its stderr reports the outcome)\n";
  return 0;
}

// Points builtin_origin clusters at the built-in origin, starting it the first time one needs it.
bool attach_origin(mux::config::Config& config, BuiltinOrigin& origin, uint16_t& port) {
  bool needs_origin = false;
  for (const auto& c : config.clusters) needs_origin = needs_origin || c.builtin_origin;
  if (!needs_origin) return true;
  if (port == 0) {
    port = origin.start();
    if (port == 0) {
      std::cerr << "crossmux proxy: the built-in origin could not start\n";
      return false;
    }
    std::cerr << "crossmux proxy: built-in origin on 127.0.0.1:" << port << "\n";
  }
  for (auto& c : config.clusters) {
    if (c.builtin_origin) c.backends = {mux::config::Backend{{"127.0.0.1", port}, 1}};
  }
  return true;
}

int run(const ProxyArgs& args) {
  auto loaded = load(args);
  if (!loaded) return 1;
  if (args.check) {
    std::cout << "configuration ok\n";
    return 0;
  }
  if (args.reload) return signal_reload(args, *loaded);

  // Signals are read by the supervisor from a signalfd; they are blocked in every thread, so the
  // mask is set before the first thread (the built-in origin, the workers) starts.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    std::cerr << "crossmux proxy: signalfd: " << std::strerror(errno) << "\n";
    return 1;
  }

  BuiltinOrigin origin;
  uint16_t origin_port = 0;
  auto config = std::make_shared<mux::config::Config>(std::move(*loaded));
  if (!attach_origin(*config, origin, origin_port)) {
    ::close(signal_fd);
    return 1;
  }
  const std::string pid_file = args.pid_file.empty() ? config->global.pid_file : args.pid_file;
  mux::proxy::RunOptions options;
  options.workers = args.workers;
  options.signal_fd = signal_fd;
  options.on_listening = [config, &pid_file](const std::vector<uint16_t>& ports) {
    for (size_t i = 0; i < ports.size(); ++i) {
      std::cerr << "crossmux proxy: listener " << config->listeners[i].name << " on "
                << config->listeners[i].address.host << ":" << ports[i] << "\n";
    }
    if (!pid_file.empty()) {
      std::ofstream(pid_file) << ::getpid() << "\n";
    }
  };
  options.on_admin = [config](uint16_t port) {
    std::cerr << "crossmux proxy: admin on " << config->global.admin->host << ":" << port
              << " (GET /metrics, /ready)\n";
  };
  options.load_config = [&args, &origin,
                         &origin_port]() -> std::shared_ptr<const mux::config::Config> {
    if (args.config.empty()) {
      std::cerr << "crossmux proxy: the embedded default has no file to read again\n";
      return nullptr;
    }
    auto next = load(args);
    if (!next || !attach_origin(*next, origin, origin_port)) return nullptr;
    return std::make_shared<const mux::config::Config>(std::move(*next));
  };
  auto status = mux::proxy::run_proxy(config, options);
  ::close(signal_fd);
  if (!pid_file.empty()) {
    // Only our own pid file: another proxy may have taken the path since.
    std::ifstream in(pid_file);
    long pid = 0;
    if (in >> pid && pid == ::getpid()) std::remove(pid_file.c_str());
  }
  if (!status) {
    std::cerr << "crossmux proxy: " << codecs::describe(status.error()) << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ProxyArgs>();
  auto* cmd = app.add_subcommand(
      "proxy",
      "The multiplexing reverse proxy. Clients speak HTTP/1.1 or HTTP/2: on plain listeners by\n"
      "prior knowledge (told apart by the preface on one port), on TLS listeners by ALPN.\n"
      "Clusters speak HTTP/1.1 (optionally over TLS), h2c, or HTTP/2 over TLS. Without --config\n"
      "it runs the embedded default: 127.0.0.1:8080 in front of the built-in origin (/h2/ over\n"
      "h2c, everything else over HTTP/1.1), so `curl http://127.0.0.1:8080/` works at once, with\n"
      "the admin listener on 127.0.0.1:9901. One access log line per request; metrics of every\n"
      "worker merged on the admin listener (global.admin) at /metrics. Every configuration key\n"
      "is described in docs/configuration.md.\n"
      "Worker threads share each listening port (SO_REUSEPORT); the main thread handles signals:\n"
      "  SIGTERM/SIGINT  graceful shutdown: stop accepting, GOAWAY / Connection: close, finish\n"
      "                  in-flight requests for up to timeouts.graceful_shutdown (10s), exit 0;\n"
      "                  a second signal stops at once\n"
      "  SIGHUP          reload --config: an invalid file is reported and changes nothing;\n"
      "                  a valid one serves new connections (unchanged listeners keep their\n"
      "                  sockets), open connections finish on the old one\n"
      "  SIGUSR1         reopen the access log file (after logrotate moved it)");
  cmd->add_option("-c,--config", args->config,
                  "TOML configuration file (every key: docs/configuration.md)");
  cmd->add_flag("--check", args->check,
                "Validate the configuration, print every error with its key, and exit (1 on "
                "error, 0 and \"configuration ok\" otherwise)");
  cmd->add_option("-w,--workers", args->workers,
                  "Worker threads (overrides global.workers; default: one per core)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--pid-file", args->pid_file,
                  "Write the pid here while running (overrides global.pid_file)");
  cmd->add_flag("--reload", args->reload,
                "Check --config, then make the running proxy (found through --pid-file or the "
                "file's global.pid_file) reload it with SIGHUP");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace crossmux::cli
