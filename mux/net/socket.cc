// Non-blocking TCP: listeners, connectors and the read/write/writev result mapping.
#include "mux/net/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mux/net/net_errors.h"
#if CROSSMUX_IO_URING
#include "mux/net/uring.h"
#endif

namespace crossmux::mux::net {
namespace {

codecs::Error sys_error(const char* detail, int err) {
  return codecs::Error::sys(detail, err);
}

Status set_int_option(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return codecs::unexpected(sys_error(errors::kSetOption, errno));
  }
  return codecs::ok();
}

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK;
}

// Maps a failed send/sendmsg. EPIPE means the peer closed its read side (or the whole socket).
IoResult write_failure(int err) {
  if (would_block(err)) return IoResult::blocked(Direction::Write);
  if (err == EPIPE) return IoResult::closed(errors::kPeerGone);
  if (err == ECONNRESET) return IoResult::failed(err, errors::kReset);
  return IoResult::failed(err, errors::kIo);
}

}  // namespace

std::string_view to_string(IoStatus s) {
  switch (s) {
    case IoStatus::Ok:
      return "ok";
    case IoStatus::WouldBlock:
      return "would-block";
    case IoStatus::Closed:
      return "closed";
    case IoStatus::Error:
      return "error";
  }
  return "unknown";
}

std::string_view to_string(Direction d) {
  return d == Direction::Read ? "read" : "write";
}

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<SocketAddress> SocketAddress::parse(std::string_view host, uint16_t port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (host.size() >= sizeof buf) return codecs::unexpected(sys_error(errors::kBadAddress, EINVAL));
  std::memcpy(buf, host.data(), host.size());
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (::inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
  } else {
    return codecs::unexpected(sys_error(errors::kBadAddress, EINVAL));
  }
  return a;
}

SocketAddress SocketAddress::from(const sockaddr* sa, socklen_t len) {
  SocketAddress a;
  a.len_ = std::min<socklen_t>(len, sizeof a.storage_);
  std::memcpy(&a.storage_, sa, a.len_);
  return a;
}

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  if (family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  return 0;
}

std::string SocketAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  std::string out;
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
                sizeof buf);
    out.append(buf);
  } else if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
                sizeof buf);
    out.append(1, '[').append(buf).append(1, ']');
  } else {
    return "unspecified";
  }
  out.append(1, ':').append(std::to_string(port()));
  return out;
}

TcpStream::TcpStream(TcpStream&& o) noexcept
    : fd_(std::move(o.fd_)), ring_(o.ring_), connecting_(o.connecting_), burst_(o.burst_) {
  o.ring_ = nullptr;
}

TcpStream& TcpStream::operator=(TcpStream&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::move(o.fd_);
    ring_ = o.ring_;
    connecting_ = o.connecting_;
    burst_ = o.burst_;
    o.ring_ = nullptr;
  }
  return *this;
}

TcpStream::~TcpStream() {
  close();
}

void TcpStream::close() {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) ring_->release();
#endif
  ring_ = nullptr;
  // The FIN goes now even when something else still holds the socket open: an io_uring poll
  // watching the descriptor (a plain fd watch) keeps its own reference until the ring has
  // reaped its removal, which could hold a closed connection open for seconds on a busy
  // machine. On the wire this is what close() does (queued bytes, then FIN; RST when unread
  // bytes remain, as close() sends then).
  if (fd_.valid() && !connecting_) (void)::shutdown(fd_.get(), SHUT_WR);
  fd_.reset();
}

size_t TcpStream::unsent() const {
  size_t n = 0;
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) n = ring_->queued_send();
#endif
  int q = 0;
  if (fd() >= 0 && ::ioctl(fd(), SIOCOUTQ, &q) == 0 && q > 0) n += static_cast<size_t>(q);
  return n;
}

int TcpStream::fd() const {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) return ring_->fd();
#endif
  return fd_.get();
}

detail::RingSocket* TcpStream::attach_ring(detail::Uring& ring) {
#if !CROSSMUX_IO_URING
  return nullptr;
#else
  if (ring_ != nullptr) return ring_->ring() == &ring ? ring_ : nullptr;
  if (!fd_.valid()) return nullptr;
  // From here on the ring socket owns the descriptor (it may outlive this stream until the
  // kernel has finished with its buffers).
  ring_ = new detail::RingSocket(ring, std::move(fd_), connecting_, burst_.value_or(!connecting_));
  connecting_ = false;
  return ring_;
#endif
}

Result<TcpStream> TcpStream::connect(const SocketAddress& to) {
  Fd fd(::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd.valid()) return codecs::unexpected(sys_error(errors::kSocket, errno));
  if (auto s = set_int_option(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1); !s) {
    return codecs::unexpected(s.error());
  }
  if (::connect(fd.get(), to.raw(), to.size()) != 0 && errno != EINPROGRESS) {
    return codecs::unexpected(sys_error(errors::kConnect, errno));
  }
  TcpStream s(std::move(fd));
  s.connecting_ = true;
  return s;
}

Status TcpStream::finish_connect() const {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) return codecs::ok();
  return codecs::unexpected(
      sys_error(err == ECONNREFUSED ? errors::kConnectRefused : errors::kConnectFailed, err));
}

IoResult TcpStream::read(MutableBytes into) {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) return ring_->read(into);
#endif
  if (into.empty()) return IoResult::done(0);
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), into.data(), into.size(), 0);
    if (n > 0 && static_cast<size_t>(n) < into.size()) {
      return IoResult::partial(static_cast<size_t>(n), Direction::Read);
    }
    if (n > 0) return IoResult::done(static_cast<size_t>(n));
    if (n == 0) return IoResult::closed(errors::kPeerClosed);
    if (errno == EINTR) continue;
    if (would_block(errno)) return IoResult::blocked(Direction::Read);
    if (errno == ECONNRESET) return IoResult::failed(errno, errors::kReset);
    return IoResult::failed(errno, errors::kIo);
  }
}

IoResult TcpStream::write(Bytes data) {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) return ring_->write(data);
#endif
  if (data.empty()) return IoResult::done(0);
  for (;;) {
    const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0 && static_cast<size_t>(n) < data.size()) {
      return IoResult::partial(static_cast<size_t>(n), Direction::Write);
    }
    if (n >= 0) return IoResult::done(static_cast<size_t>(n));
    if (errno != EINTR) return write_failure(errno);
  }
}

IoResult TcpStream::write_chain(codecs::ByteChain& out) {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) return ring_->write_chain(out);
#endif
  return ByteStream::write_chain(out);
}

IoResult TcpStream::writev(std::span<const Bytes> data) {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) return ring_->writev(data);
#endif
  constexpr size_t kMaxIov = 64;  // well under IOV_MAX; the caller loops on partial writes
  iovec iov[kMaxIov];
  size_t count = 0;
  for (const Bytes& b : data) {
    if (b.empty()) continue;
    if (count == kMaxIov) break;
    iov[count].iov_base = const_cast<uint8_t*>(b.data());
    iov[count].iov_len = b.size();
    ++count;
  }
  if (count == 0) return IoResult::done(0);
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  for (;;) {
    const ssize_t n = ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL);
    if (n >= 0) return IoResult::done(static_cast<size_t>(n));
    if (errno != EINTR) return write_failure(errno);
  }
}

IoResult TcpStream::shutdown_write() {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) return ring_->shutdown_write();
#endif
  if (::shutdown(fd_.get(), SHUT_WR) == 0) return IoResult::done(0);
  if (errno == ENOTCONN) return IoResult::closed(errors::kPeerClosed);
  return IoResult::failed(errno, errors::kShutdown);
}

Status TcpStream::set_nodelay(bool on) {
  return set_int_option(fd(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

Result<SocketAddress> TcpStream::local_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return codecs::unexpected(sys_error(errors::kGetName, errno));
  }
  return SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
}

Result<SocketAddress> TcpStream::peer_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return codecs::unexpected(sys_error(errors::kGetName, errno));
  }
  return SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
}

TcpListener::TcpListener(TcpListener&& o) noexcept
    : fd_(std::move(o.fd_)), local_(o.local_), ring_(o.ring_) {
  o.ring_ = nullptr;
}

TcpListener& TcpListener::operator=(TcpListener&& o) noexcept {
  if (this != &o) {
#if CROSSMUX_IO_URING
    if (ring_ != nullptr) ring_->release();
#endif
    fd_ = std::move(o.fd_);
    local_ = o.local_;
    ring_ = o.ring_;
    o.ring_ = nullptr;
  }
  return *this;
}

TcpListener::~TcpListener() {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) ring_->release();
#endif
}

detail::RingAcceptor* TcpListener::attach_ring(detail::Uring& ring) {
#if !CROSSMUX_IO_URING
  return nullptr;
#else
  if (ring_ != nullptr && ring_->ring() == &ring) return ring_;
  auto* fresh = new detail::RingAcceptor(ring, fd_.get());
  if (ring_ != nullptr) {  // watched by another loop before: its accepted connections come along
    fresh->adopt_queue(*ring_);
    ring_->release();
  }
  ring_ = fresh;
  return ring_;
#endif
}

Result<TcpListener> TcpListener::bind(const SocketAddress& at, const ListenOptions& options) {
  Fd fd(::socket(at.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd.valid()) return codecs::unexpected(sys_error(errors::kSocket, errno));
  Status s = set_int_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, options.reuse_address ? 1 : 0);
  if (s && options.reuse_port) s = set_int_option(fd.get(), SOL_SOCKET, SO_REUSEPORT, 1);
  if (s && at.family() == AF_INET6) {
    s = set_int_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, options.v6_only ? 1 : 0);
  }
  if (!s) return codecs::unexpected(s.error());
  if (::bind(fd.get(), at.raw(), at.size()) != 0) {
    return codecs::unexpected(sys_error(errors::kBind, errno));
  }
  if (::listen(fd.get(), options.backlog) != 0) {
    return codecs::unexpected(sys_error(errors::kListen, errno));
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return codecs::unexpected(sys_error(errors::kGetName, errno));
  }
  TcpListener l;
  l.fd_ = std::move(fd);
  l.local_ = SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
  return l;
}

#if CROSSMUX_IO_URING
// Finishes a connection the ring accepted: TCP_NODELAY and the peer's address, as accept4 gives.
// False (and closed) when it is already gone, like the transient failures accept4 skips.
static bool adopt_accepted(int fd, Accepted& out) {
  Fd owned(fd);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  out.peer = SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
  out.stream = TcpStream(std::move(owned));
  (void)out.stream.set_nodelay(true);
  return true;
}
#endif

IoResult TcpListener::accept(Accepted& out) {
#if CROSSMUX_IO_URING
  if (ring_ != nullptr) {
    int fd;
    while (ring_->pop(fd)) {
      if (adopt_accepted(fd, out)) return IoResult::done(1);
    }
    if (const int err = ring_->take_error()) return IoResult::failed(err, errors::kAccept);
    // Not armed (no watch on a ring loop): accept with system calls, below.
    if (ring_->armed()) return IoResult::blocked(Direction::Read);
  }
#endif
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd =
        ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      out.stream = TcpStream(Fd(fd));
      out.peer = SocketAddress::from(reinterpret_cast<sockaddr*>(&ss), len);
      // Best effort: a failure here leaves Nagle on, which is slower but correct.
      (void)out.stream.set_nodelay(true);
      return IoResult::done(1);
    }
    const int err = errno;
    if (err == EINTR || err == ECONNABORTED || err == EPROTO || err == EPERM) continue;
    if (would_block(err)) return IoResult::blocked(Direction::Read);
    return IoResult::failed(err, errors::kAccept);
  }
}

}  // namespace crossmux::mux::net
