// The supervisor's metric families, built afresh for each scrape (a handful of series).
#include "mux/proxy/ops/supervisor_metrics.h"

#include "crossmux_version.h"
#include "mux/net/tls.h"
#include "mux/proxy/ops/metrics.h"

namespace crossmux::mux::proxy {

std::string_view compiler_version() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown";
#endif
}

std::string render_supervisor_metrics(const config::Config& config, HealthBoard& board,
                                      const SupervisorFacts& facts) {
  Registry r;
  r.gauge("crossmux_build_info", "Always 1; the labels say what is running.",
          {"version", "compiler", "tls_library"})
      .set({CROSSMUX_VERSION, std::string(compiler_version()),
            std::string(net::tls_library_version())},
           1);
  r.gauge("crossmux_start_time_seconds", "When the proxy started serving, Unix time.")
      .set({}, facts.start_time_seconds);
  Family& reloads = r.counter("crossmux_config_reloads_total",
                              "Configuration reloads, by outcome (rejected: the previous "
                              "configuration stayed).",
                              {"result"});
  reloads.set({"accepted"}, static_cast<double>(facts.reloads_accepted));
  reloads.set({"rejected"}, static_cast<double>(facts.reloads_rejected));
  Family& up = r.gauge("crossmux_backend_up",
                       "1 while the backend is in rotation, 0 while its health checks keep it "
                       "out (always 1 without health checks).",
                       {"cluster", "backend"});
  Family& checks = r.counter("crossmux_backend_health_checks_total",
                             "Active health checks, by result.", {"cluster", "backend", "result"});
  for (const auto& c : config.clusters) {
    for (const auto& b : c.backends) {
      const std::string addr = b.address.to_string();
      BackendHealth& h = board.entry(c.name, addr);
      up.set({c.name, addr}, h.up.load(std::memory_order_relaxed) ? 1 : 0);
      if (!h.checked) continue;
      checks.set({c.name, addr, "pass"}, static_cast<double>(h.passes));
      checks.set({c.name, addr, "fail"}, static_cast<double>(h.failures));
    }
  }
  return r.render();
}

}  // namespace crossmux::mux::proxy
