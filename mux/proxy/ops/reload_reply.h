// How `crossmux proxy --reload` learns whether the running proxy took the new configuration.
// The waiting process binds an abstract datagram socket named after its own pid, then sends the
// proxy SIGHUP; the proxy reads the sender's pid from the signal (signalfd's ssi_pid) and, once
// the reload is decided (checked, bound, every worker switched or one failed), sends the outcome
// there. The waiter takes only a datagram whose sender the kernel certifies (SCM_CREDENTIALS)
// as the proxy it signalled.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "codecs/base/result.h"
#include "mux/net/socket.h"

namespace crossmux::mux::proxy {

struct ReloadOutcome {
  bool accepted = false;
  std::string messages;  // what the proxy logged about the reload, one message per line
};

// Proxy side: sends `outcome` to the process `waiter`, if it waits (an ordinary `kill -HUP`
// has nobody listening: false, nothing else happens). Messages past 60 KiB are cut.
bool send_reload_outcome(pid_t waiter, const ReloadOutcome& outcome);

class ReloadWaiter {
 public:
  // Binds this process's reply socket. Errors: Error::sys(kSocket / kBind, errno).
  static codecs::Result<ReloadWaiter> open();
  // The outcome sent by process `proxy`, or nullopt when none came within `timeout_ms`.
  std::optional<ReloadOutcome> wait(pid_t proxy, int timeout_ms);

 private:
  explicit ReloadWaiter(net::Fd fd) : fd_(std::move(fd)) {}
  net::Fd fd_;
};

}  // namespace crossmux::mux::proxy
