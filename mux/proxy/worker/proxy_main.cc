// run_proxy: builds the supervisor (supervisor.h) on the calling thread and runs it.
#include "mux/proxy/worker/proxy_main.h"

#include "mux/proxy/worker/supervisor.h"

namespace crossmux::mux::proxy {

codecs::Status run_proxy(std::shared_ptr<const config::Config> config, const RunOptions& options) {
  Supervisor s(std::move(config), options);
  return s.run();
}

}  // namespace crossmux::mux::proxy
