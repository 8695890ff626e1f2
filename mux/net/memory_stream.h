// MemoryStream: a ByteStream backed by memory, with a MemoryPeer handle that scripts the other end
// (sends, stops reading, closes, resets, accepts or refuses a connect). It lets a test or a fuzz
// target run real connection code on an EventLoop with no socket: the stream raises its own
// readiness edges on the IoWatch registered for it (IoWatch::create(loop, stream, handler)).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "mux/net/byte_stream.h"

namespace crossmux::mux::net {

namespace detail {
struct MemoryLink;
}  // namespace detail

struct MemoryPipeOptions {
  // Bytes the stream may write that the peer has not taken yet (the socket buffers): beyond it,
  // writes return WouldBlock until the peer takes some.
  size_t capacity = 64 * 1024;
  // False: the stream starts connecting (WouldBlock both ways) until MemoryPeer::accept() or
  // refuse(); finish_connect() then reports the outcome.
  bool connected = true;
};

// The local end, held by connection code. fd() is -1. Reads return what the peer sent (Closed
// after the peer's FIN, Error(kReset) after its reset); writes are taken up to the capacity
// (Closed(kPeerGone) once the peer closed, Error(kReset) after a reset).
class MemoryStream final : public ByteStream {
 public:
  explicit MemoryStream(std::shared_ptr<detail::MemoryLink> link) : link_(std::move(link)) {}
  ~MemoryStream() override;

  int fd() const override { return -1; }
  IoResult read(MutableBytes into) override;
  IoResult write(Bytes data) override;
  IoResult writev(std::span<const Bytes> data) override;
  IoResult shutdown_write() override;
  codecs::Status finish_connect() const override;
  size_t unsent() const override;  // written and not received by the peer yet
  void attach_watch(IoWatch* watch) override;

 private:
  std::shared_ptr<detail::MemoryLink> link_;
};

// The remote end, held by the driver. Every call that changes what the stream would see raises
// the matching edge on the stream's watch (if one is attached), as epoll would.
class MemoryPeer {
 public:
  MemoryPeer() = default;
  explicit MemoryPeer(std::shared_ptr<detail::MemoryLink> link) : link_(std::move(link)) {}

  // Bytes for the stream to read.
  void send(Bytes data);
  // FIN: the stream reads what is buffered, then Closed.
  void close_write();
  // Stops reading too: further writes by the stream return Closed(kPeerGone).
  void close();
  // Connection reset: the stream's next read or write returns Error(kReset); unread bytes are lost.
  void reset();
  // A connecting stream: the connect succeeds, or fails with kConnectRefused.
  void accept();
  void refuse();

  // Appends up to `max` bytes the stream wrote to `out` and returns how many; making room for a
  // writer that hit the capacity raises its writable edge.
  size_t receive(std::string& out, size_t max = SIZE_MAX);
  // Bytes written by the stream and not received yet.
  size_t pending() const;
  // Bytes sent to the stream and not read by it yet.
  size_t unread() const;
  // The stream sent FIN (shutdown_write) and every byte before it was received.
  bool eof() const;
  // The stream was destroyed (the connection code closed it).
  bool stream_gone() const;
  bool connected() const;
  bool valid() const { return link_ != nullptr; }

 private:
  std::shared_ptr<detail::MemoryLink> link_;
};

struct MemoryPipe {
  std::unique_ptr<MemoryStream> stream;
  MemoryPeer peer;
};
MemoryPipe make_memory_pipe(const MemoryPipeOptions& options = {});

}  // namespace crossmux::mux::net
