// `crossmux proxy [--config FILE] [--check] [--workers N] [--pid-file F] [--reload]`: checks a
// configuration, runs it (the embedded default when no file is given; the built-in origin for
// builtin_origin clusters) under the signal-handling supervisor, or reloads a running proxy and
// waits for its verdict.
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
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "conformance/origin/origin_server.h"
#include "mux/config/config_parser.h"
#include "mux/config/embedded_default.h"
#include "mux/proxy/ops/log.h"
#include "mux/proxy/ops/preflight.h"
#include "mux/proxy/ops/reload_reply.h"
#include "mux/proxy/worker/proxy_main.h"

namespace crossmux::cli {

namespace {

struct ProxyArgs {
  std::string config;
  bool check = false;
  bool reload = false;
  uint32_t workers = 0;
  std::string pid_file;
  double reload_timeout = 60;
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

// Parses and validates the configuration; nullopt when invalid, with every problem given to
// `report` (format_error's words: --check prints them, startup and reload log them).
std::optional<mux::config::Config> load(const ProxyArgs& args,
                                        const std::function<void(const std::string&)>& report) {
  const bool embedded = args.config.empty();
  const std::string source = embedded ? "<embedded default>" : args.config;
  auto parsed = embedded ? mux::config::parse_config(mux::config::embedded_default_toml(), source)
                         : mux::config::load_config_file(args.config);
  if (!parsed.config) {
    for (const auto& e : parsed.errors) report(mux::config::format_error(source, e));
    return std::nullopt;
  }
  return std::move(*parsed.config);
}

void print_problem(const std::string& m) {
  std::cerr << m << "\n";
}

// The pid in the pid file (--pid-file, else global.pid_file); 0 when there is none.
long read_pid(const ProxyArgs& args, const mux::config::Config& config) {
  const std::string path = args.pid_file.empty() ? config.global.pid_file : args.pid_file;
  std::ifstream in(path);
  long pid = 0;
  if (path.empty() || !(in >> pid) || pid <= 1) return 0;
  return pid;
}

// `--check`: what startup checks (mux/proxy/ops/preflight.h), printed without serving. Addresses
// the proxy named by the pid file alone listens on are left out of the bind probe: a reload of
// that proxy keeps them, and checking its own file before a reload must not call them in use.
int check(const ProxyArgs& args, const mux::config::Config& config) {
  mux::proxy::PreflightOptions options;
  if (const long pid = read_pid(args, config); pid > 0) {
    options.held = mux::proxy::addresses_held_by(static_cast<int>(pid), config);
  }
  auto problems = mux::proxy::preflight(config, options);
  for (const auto& e : problems) print_problem(mux::config::format_error(config.where.source, e));
  if (!problems.empty()) {
    std::cerr << problems.size() << " problem(s)\n";
    return 1;
  }
  std::cout << "configuration ok\n";
  return 0;
}

// `--reload`: signals the running proxy (SIGHUP), found through its pid file, and waits for its
// verdict (mux/proxy/ops/reload_reply.h). The file is parsed here first, so its syntax errors
// show on this terminal and nothing is signalled; what only the running proxy can check
// (addresses to bind, names, certificates) comes back in its answer.
int signal_reload(const ProxyArgs& args, const mux::config::Config& config) {
  const std::string path = args.pid_file.empty() ? config.global.pid_file : args.pid_file;
  if (path.empty()) {
    std::cerr << "crossmux proxy --reload: no pid file (--pid-file or global.pid_file)\n";
    return 1;
  }
  const long pid = read_pid(args, config);
  if (pid == 0) {
    std::cerr << "crossmux proxy --reload: no pid in " << path << "\n";
    return 1;
  }
  auto waiter = mux::proxy::ReloadWaiter::open();
  if (!waiter) {
    std::cerr << "crossmux proxy --reload: " << codecs::describe(waiter.error()) << "\n";
    return 1;
  }
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    std::cerr << "crossmux proxy --reload: pid " << pid << " from " << path << ": "
              << std::strerror(errno) << "\n";
    return 1;
  }
  auto outcome =
      waiter->wait(static_cast<pid_t>(pid), static_cast<int>(args.reload_timeout * 1000));
  if (!outcome) {
    std::cerr << "crossmux proxy --reload: pid " << pid << " sent no answer within "
              << args.reload_timeout << " s (its log says what happened)\n";
    return 1;
  }
  std::cerr << outcome->messages;
  if (!outcome->accepted) {
    std::cerr << "crossmux proxy --reload: pid " << pid
              << " rejected the configuration; it keeps running the previous one\n";
    return 1;
  }
  std::cout << "configuration reloaded by pid " << pid << "\n";
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
      mux::proxy::log_error("the built-in origin could not start");
      return false;
    }
    mux::proxy::log_info("built-in origin on 127.0.0.1:" + std::to_string(port));
  }
  for (auto& c : config.clusters) {
    if (c.builtin_origin) c.backends = {mux::config::Backend{{"127.0.0.1", port}, 1}};
  }
  return true;
}

int run(const ProxyArgs& args) {
  if (args.check || args.reload) {
    auto loaded = load(args, print_problem);
    if (!loaded) {
      std::cerr << "configuration rejected\n";
      return 1;
    }
    return args.check ? check(args, *loaded) : signal_reload(args, *loaded);
  }
  auto loaded = load(args, [](const std::string& m) { mux::proxy::log_error(m); });
  if (!loaded) {
    mux::proxy::log_error("configuration rejected");
    return 1;
  }

  // Signals are read by the supervisor from a signalfd; they are blocked in every thread, so the
  // mask is set before the first thread (the built-in origin, the workers) starts.
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&signals, sig);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) {
    mux::proxy::log_error(std::string("signalfd: ") + std::strerror(errno));
    return 1;
  }

  BuiltinOrigin origin;
  uint16_t origin_port = 0;
  auto config = std::make_shared<mux::config::Config>(std::move(*loaded));
  if (!attach_origin(*config, origin, origin_port)) {
    ::close(signal_fd);
    return 1;
  }
  mux::proxy::RunOptions options;
  options.workers = args.workers;
  options.signal_fd = signal_fd;
  options.pid_file = args.pid_file;
  if (!args.config.empty()) {
    options.load_config =
        [&args, &origin, &origin_port](
            std::vector<std::string>& problems) -> std::shared_ptr<const mux::config::Config> {
      auto next = load(args, [&problems](const std::string& m) { problems.push_back(m); });
      if (!next || !attach_origin(*next, origin, origin_port)) return nullptr;
      return std::make_shared<const mux::config::Config>(std::move(*next));
    };
  }
  auto status = mux::proxy::run_proxy(config, options);  // logs its own failures
  ::close(signal_fd);
  return status ? 0 : 1;
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
      "the admin listener on 127.0.0.1:9901. One access log line per request (global.access_log;\n"
      "unset: stdout, or off when stdout is a terminal); metrics of every worker merged on the\n"
      "admin listener (global.admin) at /metrics. Active health checks per cluster take\n"
      "failing backends out of rotation. Every configuration key is described in\n"
      "docs/configuration.md (installed as share/doc/crossmux/configuration.md, with example\n"
      "configurations in share/doc/crossmux/examples/).\n"
      "Startup checks everything --check checks and names the key, line and value of each\n"
      "problem; messages go to stderr with a time and level, or to the journal under systemd\n"
      "(Type=notify: READY, RELOADING and STOPPING are reported on $NOTIFY_SOCKET).\n"
      "Worker threads share each listening port (SO_REUSEPORT); an address another process\n"
      "listens on is refused unless global.shared_ports. The main thread handles signals:\n"
      "  SIGTERM/SIGINT  graceful shutdown: stop accepting, GOAWAY / Connection: close, finish\n"
      "                  in-flight requests for up to timeouts.graceful_shutdown (10s), exit 0;\n"
      "                  a second signal stops at once\n"
      "  SIGHUP          reload --config with the same checks as startup: a rejected file is\n"
      "                  logged and changes nothing; a valid one serves new connections\n"
      "                  (unchanged listeners keep their sockets), open connections finish on\n"
      "                  the old one\n"
      "  SIGUSR1         reopen the access log file (after logrotate moved it)\n"
      "Event loop: io_uring where the kernel allows it, else epoll (the start-up line says\n"
      "which, and why not io_uring); CROSSMUX_EVENT_LOOP=epoll in the environment asks for epoll.\n"
      "Exit status: 0 after a graceful shutdown or a successful --check / --reload, 1 otherwise.");
  cmd->add_option("-c,--config", args->config,
                  "TOML configuration file (every key: docs/configuration.md); relative paths in "
                  "it are relative to its folder");
  cmd->add_flag("--check", args->check,
                "Check the configuration as startup does, without serving: syntax and every "
                "key, certificates and keys (read, parsed, matching), names resolved, each listen "
                "and admin address bound and released (except those the proxy in the pid file "
                "alone listens on: a reload keeps them), access log and pid file writable. Prints "
                "each problem as FILE:LINE: KEY = VALUE: WHY and exits 1, else prints "
                "\"configuration ok\" and exits 0");
  cmd->add_option("-w,--workers", args->workers,
                  "Worker threads (overrides global.workers; default: one per core)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--pid-file", args->pid_file,
                  "Write the pid here while running (overrides global.pid_file)");
  cmd->add_flag("--reload", args->reload,
                "Make the running proxy (found through --pid-file or the file's global.pid_file) "
                "reload its configuration (SIGHUP) and wait for its verdict: prints the "
                "proxy's messages, exits 0 when it switched, 1 when it rejected the file (it "
                "keeps the previous one) or did not answer");
  cmd->add_option("--reload-timeout", args->reload_timeout,
                  "Seconds --reload waits for the proxy's verdict (default 60)")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace crossmux::cli
