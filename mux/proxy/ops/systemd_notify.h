// sd_notify(3) without libsystemd: tells the service manager (systemd with Type=notify) that the
// proxy is ready, reloading or stopping, over the datagram socket named by $NOTIFY_SOCKET.
#pragma once

#include <string>
#include <string_view>

namespace crossmux::mux::proxy {

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET: a filesystem path, or "@name" for an abstract socket. Without it every
  // call below does nothing.
  SystemdNotifier();
  explicit SystemdNotifier(std::string socket_path);

  bool active() const { return !path_.empty(); }
  // Sends one datagram of newline-separated assignments (sd_notify's protocol). False when the
  // socket is unset or the send failed (the proxy goes on: the manager's timeout reports it).
  bool notify(std::string_view state) const;

  // The messages of the proxy's life (systemd.service(5), sd_notify(3)):
  bool ready(std::string_view status) const;  // READY=1, STATUS=..., MAINPID=<pid>
  bool reloading() const;                     // RELOADING=1, MONOTONIC_USEC=<now>
  bool stopping() const;                      // STOPPING=1
  bool status(std::string_view text) const;   // STATUS=...

 private:
  std::string path_;
};

}  // namespace crossmux::mux::proxy
