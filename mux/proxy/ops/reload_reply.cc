// The reload outcome datagram: "accepted\n" or "rejected\n", then the messages.
#include "mux/proxy/ops/reload_reply.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>

#include "mux/net/net_errors.h"

namespace crossmux::mux::proxy {
namespace {

constexpr size_t kMaxMessages = 60 * 1024;

// The abstract name (no file, no permissions to manage; gone with the socket).
socklen_t reply_address(pid_t waiter, sockaddr_un& addr) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  const std::string name = "crossmux-reload." + std::to_string(waiter);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

}  // namespace

bool send_reload_outcome(pid_t waiter, const ReloadOutcome& outcome) {
  if (waiter <= 0) return false;
  sockaddr_un addr;
  const socklen_t len = reply_address(waiter, addr);
  std::string msg = outcome.accepted ? "accepted\n" : "rejected\n";
  msg += outcome.messages.substr(0, kMaxMessages);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const ssize_t n = ::sendto(fd, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&addr), len);
  ::close(fd);
  return n == static_cast<ssize_t>(msg.size());
}

codecs::Result<ReloadWaiter> ReloadWaiter::open() {
  net::Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return codecs::unexpected(codecs::Error::sys(net::errors::kSocket, errno));
  const int one = 1;
  // With SO_PASSCRED the kernel attaches the sender's real pid to every datagram.
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) != 0) {
    return codecs::unexpected(codecs::Error::sys(net::errors::kSetOption, errno));
  }
  sockaddr_un addr;
  const socklen_t len = reply_address(::getpid(), addr);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    return codecs::unexpected(codecs::Error::sys(net::errors::kBind, errno));
  }
  return ReloadWaiter(std::move(fd));
}

std::optional<ReloadOutcome> ReloadWaiter::wait(pid_t proxy, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string buf(kMaxMessages + 64, '\0');
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd_.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    iovec iov{buf.data(), buf.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd_.get(), &mh, MSG_DONTWAIT);
    if (n < 0) continue;
    pid_t sender = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred{};
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        sender = cred.pid;
      }
    }
    if (sender != proxy) continue;  // not from the proxy we signalled
    const std::string_view text(buf.data(), static_cast<size_t>(n));
    const size_t eol = text.find('\n');
    ReloadOutcome out;
    out.accepted = text.substr(0, eol) == "accepted";
    if (eol != std::string_view::npos) out.messages = std::string(text.substr(eol + 1));
    return out;
  }
}

}  // namespace crossmux::mux::proxy
