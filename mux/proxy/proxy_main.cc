// run_proxy: the single-worker proxy's lifetime (access log, worker, loop).
#include "mux/proxy/proxy_main.h"

#include <iostream>

#include "mux/proxy/access_log.h"
#include "mux/proxy/admin_server.h"
#include "mux/proxy/metrics_hub.h"
#include "mux/proxy/worker.h"

namespace crossmux::mux::proxy {

codecs::Status run_proxy(const config::Config& config, const RunOptions& options) {
  AccessLog log(config.global.access_log, config.global.access_log_format);
  std::string why;
  if (!log.open(&why)) {
    std::cerr << "crossmux proxy: access log " << config.global.access_log << ": " << why << "\n";
    return codecs::unexpected(codecs::Error::http(500, kErrAccessLog, codecs::Side::Internal));
  }
  auto loop = net::EventLoop::create();
  if (!loop) return codecs::unexpected(loop.error());
  codecs::Status status = codecs::ok();
  MetricsHub hub(1);
  {
    Worker worker(**loop, config, &log);
    if (auto s = worker.start(); !s) return s;
    worker.publish_to(hub, 0, kMetricsPublishMs);
    std::unique_ptr<AdminServer> admin;
    if (config.global.admin) {
      auto at = resolve_address(*config.global.admin);
      if (!at) return codecs::unexpected(at.error());
      // The admin shares the worker's loop: a scrape first publishes this worker's latest values.
      auto a = AdminServer::start(**loop, *at, hub, [&worker] { worker.publish_metrics(); });
      if (!a) return codecs::unexpected(a.error());
      admin = std::move(*a);
      if (options.on_admin) options.on_admin(admin->port());
    }
    if (options.loop_out) options.loop_out->store(loop->get());
    if (options.on_listening) {
      std::vector<uint16_t> ports;
      for (size_t i = 0; i < config.listeners.size(); ++i) ports.push_back(worker.port(i));
      options.on_listening(ports);
    }
    // One flush of the access log per iteration keeps lines batched without delaying them.
    while (!(*loop)->stopping()) {
      status = (*loop)->run_once(100);
      log.flush();
      if (!status) break;
    }
    if (options.loop_out) options.loop_out->store(nullptr);
  }
  log.flush();
  return status;
}

}  // namespace crossmux::mux::proxy
