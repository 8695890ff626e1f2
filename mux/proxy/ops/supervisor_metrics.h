// The metric families only the supervisor knows (build, start, reloads, backend health), in
// Prometheus text format, served after the workers' on the admin listener.
#pragma once

#include <cstdint>
#include <string>

#include "mux/config/config.h"
#include "mux/proxy/ops/health_board.h"

namespace crossmux::mux::proxy {

struct SupervisorFacts {
  double start_time_seconds = 0;  // Unix time the process started serving
  uint64_t reloads_accepted = 0;
  uint64_t reloads_rejected = 0;
};

// crossmux_build_info{version,compiler,tls_library} 1, crossmux_start_time_seconds,
// crossmux_config_reloads_total{result="accepted"|"rejected"}, and for every backend of `config`:
// crossmux_backend_up{cluster,backend} (1 in rotation, 0 out: health checks) and
// crossmux_backend_health_checks_total{cluster,backend,result="pass"|"fail"} (checked backends).
// Call on the supervisor's thread (it reads the board's supervisor-only counters).
std::string render_supervisor_metrics(const config::Config& config, HealthBoard& board,
                                      const SupervisorFacts& facts);

// "gcc 12.2.0" or "clang 19.1.7": the compiler this binary was built with.
std::string_view compiler_version();

}  // namespace crossmux::mux::proxy
