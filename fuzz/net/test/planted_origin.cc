// planted_origin PORT [FLAW...]: the test origin built with its planted flaws
// (conformance/origin/planted_flaws.h), on 127.0.0.1:PORT until SIGTERM, for the test that
// `crossmux fuzz` finds them. FLAW: crash, late-data, swallow, freeze, leak (default: all).
// A test build only: crossmux itself never has these flaws.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "conformance/origin/origin_server.h"
#include "conformance/origin/planted_flaws.h"

namespace {
crossmux::mux::net::EventLoop* g_loop = nullptr;
void stop(int) {
  if (g_loop) g_loop->stop();
}
}  // namespace

int main(int argc, char** argv) {
  using namespace crossmux::conformance::planted;
  if (argc < 2) {
    std::fprintf(stderr, "usage: planted_origin PORT [crash|late-data|swallow|freeze|leak]...\n");
    return 2;
  }
  if (argc > 2) {
    armed() = 0;
    const std::pair<const char*, Flaw> kNames[] = {{"crash", kCrash},
                                                   {"late-data", kLateData},
                                                   {"swallow", kSwallow},
                                                   {"freeze", kFreeze},
                                                   {"leak", kLeak}};
    for (int i = 2; i < argc; ++i) {
      bool known = false;
      for (const auto& [name, flaw] : kNames) {
        if (std::strcmp(argv[i], name) == 0) armed() |= flaw, known = true;
      }
      if (!known) {
        std::fprintf(stderr, "planted_origin: unknown flaw %s\n", argv[i]);
        return 2;
      }
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  auto loop = crossmux::mux::net::EventLoop::create();
  if (!loop) return 1;
  crossmux::conformance::OriginOptions options;
  options.port = static_cast<uint16_t>(std::atoi(argv[1]));
  auto server = crossmux::conformance::OriginServer::start(**loop, options);
  if (!server) {
    std::fprintf(stderr, "planted_origin: cannot listen on port %s\n", argv[1]);
    return 1;
  }
  g_loop = loop->get();
  std::signal(SIGTERM, stop);
  std::signal(SIGINT, stop);
  return (*loop)->run() ? 0 : 1;
}
