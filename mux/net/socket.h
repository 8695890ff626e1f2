// File-descriptor RAII, numeric socket addresses, non-blocking TCP listeners and streams.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codecs/base/result.h"
#include "mux/net/byte_stream.h"

namespace crossmux::mux::net {

namespace detail {
class Uring;
class RingSocket;
class RingAcceptor;
}  // namespace detail

using codecs::Result;
using codecs::Status;

// Owns one file descriptor; closes it on destruction. Movable, not copyable.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// An IPv4 or IPv6 address and port. Only numeric hosts: name resolution belongs to configuration
// loading, never to a worker's loop.
class SocketAddress {
 public:
  SocketAddress() = default;
  // "127.0.0.1", "::1", "[::1]", "0.0.0.0", "::". Error kBadAddress otherwise.
  static Result<SocketAddress> parse(std::string_view host, uint16_t port);
  static SocketAddress from(const sockaddr* sa, socklen_t len);

  int family() const { return storage_.ss_family; }
  uint16_t port() const;
  // "127.0.0.1:8080" or "[::1]:8080".
  std::string to_string() const;
  const sockaddr* raw() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const { return len_; }

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

// A connected non-blocking TCP socket (accepted or connecting). Errors: see ByteStream; reads
// map ECONNRESET to Error(kReset), writes map EPIPE to Closed(kPeerGone).
//
// Two modes with one contract. Syscall mode (the default, and under epoll): each read and write
// is a recv/send. Completion mode (once watched by an io_uring loop: attach_ring): the loop
// receives into its provided buffers and read() copies out of them; write() queues the bytes
// (up to 64 KiB, then WouldBlock) and the loop sends everything queued in one operation per
// turn; shutdown_write() sends its FIN after the queued bytes; closing with bytes still queued
// hands what the kernel takes to it, as close() on a socket would.
class TcpStream final : public ByteStream {
 public:
  TcpStream() = default;
  explicit TcpStream(Fd fd) : fd_(std::move(fd)) {}
  TcpStream(TcpStream&& o) noexcept;
  TcpStream& operator=(TcpStream&& o) noexcept;
  ~TcpStream() override;

  // Starts a non-blocking connect (TCP_NODELAY set). The connection completes later: wait for
  // the socket to become writable, then call finish_connect(). Errors (Error::code = errno):
  // kSocket, kSetOption, kConnect (immediate failure other than EINPROGRESS, e.g. ENETUNREACH).
  static Result<TcpStream> connect(const SocketAddress& to);
  // After writability (or an error/hang-up event) on a connecting socket: ok() when connected,
  // else the SO_ERROR: kConnectRefused (code ECONNREFUSED) or kConnectFailed (code = errno).
  Status finish_connect() const override;

  int fd() const override;
  bool valid() const { return fd() >= 0; }
  IoResult read(MutableBytes into) override;
  IoResult write(Bytes data) override;
  IoResult writev(std::span<const Bytes> data) override;
  // In completion mode the ring socket takes the chain's parts (no copy) while its send queue
  // has room for all of them.
  IoResult write_chain(codecs::ByteChain& out) override;
  IoResult shutdown_write() override;  // shutdown(SHUT_WR): sends FIN
  size_t unsent() const override;      // the ring's send queue, then SIOCOUTQ (one ioctl)
  detail::RingSocket* attach_ring(detail::Uring& ring) override;
  // True once an io_uring loop moves this stream's bytes.
  bool completion_mode() const { return ring_ != nullptr; }
  // Completion mode only, set before the stream is watched: whether the loop receives in bursts
  // (a multishot receive, every buffer the kernel can fill in a turn) from the start, or one
  // buffer per turn until the owner has shown it keeps up. Accepted connections burst; a
  // connection this side opened is paced unless told otherwise, since a backend whose client
  // stalled leaves its bytes unread, and a burst would first take a socket buffer's worth out of
  // the kernel into memory. A multiplexed (HTTP/2) backend, read on whatever one stream does,
  // bursts.
  void set_burst_receive(bool on) { burst_ = on; }
  Status set_nodelay(bool on);
  Result<SocketAddress> local_address() const;
  Result<SocketAddress> peer_address() const;
  // Closes now (also done by the destructor).
  void close();

 private:
  Fd fd_;                               // syscall mode (completion mode: the ring socket owns it)
  detail::RingSocket* ring_ = nullptr;  // completion mode
  bool connecting_ = false;             // connect() started and not reported yet
  std::optional<bool> burst_;           // set_burst_receive(); unset: burst unless connecting
};

struct ListenOptions {
  int backlog = 1024;
  bool reuse_address = true;  // SO_REUSEADDR: rebind while old connections sit in TIME_WAIT
  bool reuse_port = false;    // SO_REUSEPORT: one listener per worker on the same port
  bool v6_only = true;        // IPV6_V6ONLY for "::" (false: also accept IPv4-mapped)
};

struct Accepted {
  TcpStream stream;
  SocketAddress peer;
};

// A non-blocking listening socket. Watch it with IoWatch::create(loop, listener, handler); on
// readability call accept_all() (edge-triggered: new connections are reported once). Under
// io_uring the loop accepts (multishot) and accept() hands out what it accepted; connections
// accepted but not handed out yet stay with the listener when it is moved or its watch goes.
class TcpListener {
 public:
  TcpListener() = default;
  TcpListener(TcpListener&& o) noexcept;
  TcpListener& operator=(TcpListener&& o) noexcept;
  ~TcpListener();

  // Binds and listens; port 0 picks a free port (read it back with port()). Errors (code = errno):
  // kSocket, kSetOption, kBind, kListen, kGetName.
  static Result<TcpListener> bind(const SocketAddress& at, const ListenOptions& options = {});

  int fd() const { return fd_.get(); }
  const SocketAddress& local_address() const { return local_; }
  uint16_t port() const { return local_.port(); }

  // One connection (non-blocking, TCP_NODELAY), WouldBlock when none is pending, or Error
  // (kAccept; EMFILE/ENFILE/ENOBUFS/ENOMEM included: the caller decides whether to pause).
  // Transient per-connection failures (ECONNABORTED, EPROTO, EPERM) are skipped, not reported.
  IoResult accept(Accepted& out);
  // Accepts until WouldBlock or Error, handing each connection to `on_accept(Accepted&&)`. Returns
  // the final IoResult (WouldBlock in the normal case; on Error the listener stays readable).
  template <class F>
  IoResult accept_all(F&& on_accept) {
    for (;;) {
      Accepted a;
      IoResult r = accept(a);
      if (!r.ok()) return r;
      on_accept(std::move(a));
    }
  }
  // The multishot accept of `ring` for this listener (created on first use; IoWatch::create).
  detail::RingAcceptor* attach_ring(detail::Uring& ring);

 private:
  Fd fd_;
  SocketAddress local_;
  detail::RingAcceptor* ring_ = nullptr;
};

}  // namespace crossmux::mux::net
