// The embedded default configuration (see embedded_default.h).
#include "mux/config/embedded_default.h"

namespace crossmux::mux::config {

std::string_view embedded_default_toml() {
  return R"toml(# crossmux embedded default: try `curl http://127.0.0.1:8080/` and
# `curl --http2-prior-knowledge http://127.0.0.1:8080/h2/`; metrics: `curl http://127.0.0.1:9901/metrics`.
# The access log goes to stdout, or nowhere when stdout is a terminal (global.access_log unset).
[global]
admin = "127.0.0.1:9901"

[[listeners]]
name = "demo"
address = "127.0.0.1:8080"
protocols = ["http/1.1", "h2c"]

[[clusters]]
name = "origin-h2c"
protocol = "h2c"
builtin_origin = true

[[clusters]]
name = "origin-http1"
protocol = "http1"
builtin_origin = true

[[frontends]]
path = "/h2/"
cluster = "origin-h2c"

[[frontends]]
path = "/"
cluster = "origin-http1"
)toml";
}

}  // namespace crossmux::mux::config
