// preflight: every check startup makes before serving, without serving — what `crossmux proxy
// --check`, startup and reload all run, so the three report the same problems in the same words.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "codecs/base/result.h"
#include "mux/config/config.h"
#include "mux/config/config_parser.h"
#include "mux/net/socket.h"

namespace crossmux::mux::proxy {

struct PreflightOptions {
  // Listening addresses (Worker::listener_key) this process already holds: on a reload these keep
  // their sockets, so they are not bound again.
  std::set<std::string> held;
  // Startup and --check: the admin address binds, the access log and pid file can be written.
  // A reload keeps the admin listener and the access log of the running process.
  bool startup = true;
};

// Checks, in file order, everything that lies outside the file: each listener and the admin
// address resolve and can be bound (a bind and release, no listen: nothing is served; refused
// when another process holds the address unless global.shared_ports), each certificate and key
// reads, parses and matches, each listener's TLS context builds with its ALPN list, each
// cluster's CA file loads, each backend name resolves, the access log and the pid file can be
// written. Every problem is one ConfigError at its key, line (from config.where) and value, e.g.
//   listeners[1].address = "127.0.0.1:8080": is in use by another process (...)
//   listeners[2].tls[1].key = "k.pem": does not match the certificate of listeners[2].tls[1].cert
//   clusters[1].backends[2] = "api.invalid:80": does not resolve: Name or service not known
std::vector<config::ConfigError> preflight(const config::Config& config,
                                           const PreflightOptions& options = {});

// The addresses among `config`'s listeners and admin that process `pid` alone listens on (its
// socket inodes matched against /proc/net/tcp and tcp6 by port; an address another process also
// listens on is not included). A reload of that process keeps them, so `--check` of the file a
// running proxy uses leaves them out of the bind probe instead of calling them in use.
std::set<std::string> addresses_held_by(int pid, const config::Config& config);

// Resolves a configured address (numeric, else getaddrinfo, the first address). Errors
// Error::none(kErrResolve) with `why` set to getaddrinfo's reason.
codecs::Result<net::SocketAddress> resolve(const config::Address& a, std::string* why = nullptr);

// Binds a socket to `at` the way a listener would (SO_REUSEADDR, SO_REUSEPORT when `shared`) and
// closes it, without listening. Fails (Error::sys(kBind, EADDRINUSE)) when another process
// listens there: with `shared`, only when that process does not share it (SO_REUSEPORT, same
// user). Port 0 always succeeds.
codecs::Status probe_bind(const net::SocketAddress& at, bool shared);

// The operator's words for a failed bind of `at` ("is in use by another process; ...").
std::string bind_problem(const codecs::Error& e, bool shared);

inline constexpr char kErrPreflightResolve[] = "proxy: address does not resolve";

}  // namespace crossmux::mux::proxy
