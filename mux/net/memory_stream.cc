// In-memory stream: two byte queues, connection state flags, and edges raised on the stream's
// watch.
#include "mux/net/memory_stream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mux/net/event_loop.h"
#include "mux/net/net_errors.h"

namespace crossmux::mux::net {

namespace detail {

// One direction's bytes: appended at the back, taken from `off`, compacted when half is taken.
struct ByteQueue {
  std::string bytes;
  size_t off = 0;
  size_t size() const { return bytes.size() - off; }
  void take(size_t n) {
    off += n;
    if (off == bytes.size()) {
      bytes.clear();
      off = 0;
    } else if (off >= bytes.size() / 2) {
      bytes.erase(0, off);
      off = 0;
    }
  }
};

struct MemoryLink {
  size_t capacity = 0;
  ByteQueue to_stream;  // sent by the peer, read by the stream
  ByteQueue to_peer;    // written by the stream, received by the peer
  bool connecting = false;
  bool refused = false;
  bool peer_fin = false;     // the peer will send nothing more
  bool peer_closed = false;  // the peer reads nothing more
  bool reset = false;
  bool stream_fin = false;  // the stream called shutdown_write()
  bool stream_gone = false;
  bool write_blocked = false;
  IoWatch* watch = nullptr;

  void raise(Ready bits) {
    if (watch != nullptr && !connecting) watch->raise(bits);
  }
};

}  // namespace detail

namespace {

codecs::Error connect_error(const char* detail, int err) {
  return codecs::Error::sys(detail, err);
}

}  // namespace

MemoryPipe make_memory_pipe(const MemoryPipeOptions& options) {
  auto link = std::make_shared<detail::MemoryLink>();
  link->capacity = std::max<size_t>(options.capacity, 1);
  link->connecting = !options.connected;
  return MemoryPipe{std::make_unique<MemoryStream>(link), MemoryPeer(link)};
}

MemoryStream::~MemoryStream() {
  link_->stream_gone = true;
  link_->watch = nullptr;
}

void MemoryStream::attach_watch(IoWatch* watch) {
  link_->watch = watch;
  if (watch == nullptr || link_->connecting) return;
  // What epoll reports when a connected socket is registered: writable, and readable when
  // something (bytes, FIN, an error) is waiting.
  uint32_t bits = static_cast<uint32_t>(Ready::Writable);
  if (link_->to_stream.size() > 0 || link_->peer_fin)
    bits |= static_cast<uint32_t>(Ready::Readable);
  if (link_->reset || link_->refused) bits |= static_cast<uint32_t>(Ready::Error | Ready::Readable);
  watch->raise(static_cast<Ready>(bits));
}

IoResult MemoryStream::read(MutableBytes into) {
  detail::MemoryLink& l = *link_;
  if (l.reset) return IoResult::failed(ECONNRESET, errors::kReset);
  if (l.connecting) return IoResult::blocked(Direction::Read);
  if (into.empty()) return IoResult::done(0);
  const size_t n = std::min(into.size(), l.to_stream.size());
  if (n > 0) {
    // memcpy, not std::copy_n: char to uint8_t is an element-wise loop to the compiler, which
    // coverage instrumentation turns into a traced comparison per byte (the mux_session fuzzer
    // spent a fifth of its time there).
    std::memcpy(into.data(), l.to_stream.bytes.data() + l.to_stream.off, n);
    l.to_stream.take(n);
    return IoResult::done(n);
  }
  if (l.peer_fin) return IoResult::closed(errors::kPeerClosed);
  return IoResult::blocked(Direction::Read);
}

IoResult MemoryStream::write(Bytes data) {
  detail::MemoryLink& l = *link_;
  if (l.reset) return IoResult::failed(ECONNRESET, errors::kReset);
  if (l.connecting) return IoResult::blocked(Direction::Write);
  if (l.stream_fin) return IoResult::failed(EPIPE, errors::kIo);
  if (l.peer_closed) return IoResult::closed(errors::kPeerGone);
  if (data.empty()) return IoResult::done(0);
  const size_t room = l.capacity > l.to_peer.size() ? l.capacity - l.to_peer.size() : 0;
  if (room == 0) {
    l.write_blocked = true;
    return IoResult::blocked(Direction::Write);
  }
  const size_t n = std::min(room, data.size());
  l.to_peer.bytes.append(reinterpret_cast<const char*>(data.data()), n);
  return IoResult::done(n);
}

IoResult MemoryStream::writev(std::span<const Bytes> data) {
  size_t total = 0;
  for (const Bytes& b : data) {
    if (b.empty()) continue;
    IoResult r = write(b);
    if (!r.ok()) return total > 0 ? IoResult::done(total) : r;
    total += r.bytes;
    if (r.bytes < b.size()) break;
  }
  return IoResult::done(total);
}

IoResult MemoryStream::shutdown_write() {
  if (link_->reset) return IoResult::failed(ECONNRESET, errors::kReset);
  link_->stream_fin = true;
  return IoResult::done(0);
}

codecs::Status MemoryStream::finish_connect() const {
  const detail::MemoryLink& l = *link_;
  if (l.refused) return codecs::unexpected(connect_error(errors::kConnectRefused, ECONNREFUSED));
  if (l.reset) return codecs::unexpected(connect_error(errors::kConnectFailed, ECONNRESET));
  if (l.connecting) return codecs::unexpected(connect_error(errors::kConnectFailed, EINPROGRESS));
  return codecs::ok();
}

void MemoryPeer::send(Bytes data) {
  detail::MemoryLink& l = *link_;
  if (l.peer_fin || l.reset || data.empty()) return;
  l.to_stream.bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
  l.raise(Ready::Readable);
}

void MemoryPeer::close_write() {
  detail::MemoryLink& l = *link_;
  if (l.peer_fin || l.reset) return;
  l.peer_fin = true;
  l.raise(Ready::Readable | Ready::Hangup);
}

void MemoryPeer::close() {
  detail::MemoryLink& l = *link_;
  if (l.reset) return;
  l.peer_fin = true;
  l.peer_closed = true;
  l.to_peer = {};
  l.raise(Ready::Readable | Ready::Writable | Ready::Hangup);
}

void MemoryPeer::reset() {
  detail::MemoryLink& l = *link_;
  if (l.reset) return;
  l.reset = true;
  l.to_stream = {};
  l.to_peer = {};
  const bool was_connecting = l.connecting;
  l.connecting = false;
  if (was_connecting) l.refused = true;
  l.raise(Ready::Error | Ready::Readable | Ready::Writable);
}

void MemoryPeer::accept() {
  detail::MemoryLink& l = *link_;
  if (!l.connecting) return;
  l.connecting = false;
  if (l.watch == nullptr) return;
  l.watch->raise(l.to_stream.size() > 0 || l.peer_fin ? Ready::Writable | Ready::Readable
                                                      : Ready::Writable);
}

void MemoryPeer::refuse() {
  detail::MemoryLink& l = *link_;
  if (!l.connecting) return;
  l.connecting = false;
  l.refused = true;
  l.raise(Ready::Error | Ready::Readable | Ready::Writable);
}

size_t MemoryPeer::receive(std::string& out, size_t max) {
  detail::MemoryLink& l = *link_;
  const size_t n = std::min(max, l.to_peer.size());
  if (n == 0) return 0;
  out.append(l.to_peer.bytes, l.to_peer.off, n);
  l.to_peer.take(n);
  if (l.write_blocked) {
    l.write_blocked = false;
    l.raise(Ready::Writable);
  }
  return n;
}

size_t MemoryStream::unsent() const {
  return link_->to_peer.size();
}

size_t MemoryPeer::pending() const {
  return link_->to_peer.size();
}

size_t MemoryPeer::unread() const {
  return link_->to_stream.size();
}

bool MemoryPeer::eof() const {
  return link_->stream_fin && link_->to_peer.size() == 0;
}

bool MemoryPeer::stream_gone() const {
  return link_->stream_gone;
}

bool MemoryPeer::connected() const {
  return !link_->connecting && !link_->refused;
}

}  // namespace crossmux::mux::net
