// The sd_notify datagram protocol: "KEY=VALUE\n..." sent to $NOTIFY_SOCKET (AF_UNIX, SOCK_DGRAM).
#include "mux/proxy/ops/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace crossmux::mux::proxy {

SystemdNotifier::SystemdNotifier() {
  if (const char* p = std::getenv("NOTIFY_SOCKET")) path_ = p;
}

SystemdNotifier::SystemdNotifier(std::string socket_path) : path_(std::move(socket_path)) {}

bool SystemdNotifier::notify(std::string_view state) const {
  if (path_.empty() || path_.size() >= sizeof(sockaddr_un::sun_path)) return false;
  // sd_notify(3): a path, or an abstract socket written with a leading '@'.
  if (path_[0] != '/' && path_[0] != '@') return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  if (path_[0] == '@') addr.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path_.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), len);
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

bool SystemdNotifier::ready(std::string_view status) const {
  return notify("READY=1\nSTATUS=" + std::string(status) +
                "\nMAINPID=" + std::to_string(::getpid()));
}

bool SystemdNotifier::reloading() const {
  // systemd 253's Type=notify-reload wants the monotonic time of the reload start; older
  // managers ignore it.
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  const long long usec = static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
  return notify("RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=" +
                std::to_string(usec));
}

bool SystemdNotifier::stopping() const {
  return notify("STOPPING=1\nSTATUS=draining connections");
}

bool SystemdNotifier::status(std::string_view text) const {
  return notify("STATUS=" + std::string(text));
}

}  // namespace crossmux::mux::proxy
