// TCP sockets and listeners in completion mode: multishot receive into provided buffers, one
// gathered send per connection per loop turn, multishot accept.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mux/net/event_loop.h"
#include "mux/net/net_errors.h"
#include "mux/net/uring.h"

namespace crossmux::mux::net::detail {
namespace {

constexpr uint32_t bit(Ready r) {
  return static_cast<uint32_t>(r);
}

IoResult send_failure(int err) {
  if (err == EPIPE) return IoResult::closed(errors::kPeerGone);
  if (err == ECONNRESET) return IoResult::failed(err, errors::kReset);
  return IoResult::failed(err, errors::kIo);
}

bool resource_error(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

// The first parts of `chain` (as many as `iov` holds, 64 at most) as iovecs; returns how many.
size_t gather_iovecs(const codecs::ByteChain& chain, std::span<iovec> iov) {
  std::array<Bytes, 64> parts;
  const size_t n = chain.gather(std::span<Bytes>(parts).first(std::min(iov.size(), parts.size())));
  for (size_t i = 0; i < n; ++i) {
    iov[i] = iovec{const_cast<uint8_t*>(parts[i].data()), parts[i].size()};
  }
  return n;
}

}  // namespace

// --- RingSocket ---

RingSocket::RingSocket(Uring& ring, Fd fd, bool connecting, bool burst)
    : RingChannel(ring), fd_(std::move(fd)), throttled_(!burst), connecting_(connecting) {
  if (connecting_) {
    // Writability of a connecting socket means the handshake ended (either way); the owner then
    // asks finish_connect(). Receiving starts only after that, so that no receive consumes the
    // socket's pending error before finish_connect() reads it.
    io_uring_sqe* s = start(OpKind::Connect);
    io_uring_prep_poll_add(s, fd_.get(), POLLOUT);
  } else {
    arm_recv();
  }
}

void RingSocket::attach(IoWatch* watch) {
  watch_ = watch;
  if (watch == nullptr) return;
  // What epoll would report right after registration: the current state.
  uint32_t bits = 0;
  if (!connecting_ && queued_send() < Uring::kMaxQueued) bits |= bit(Ready::Writable);
  if (held_ > 0 || eof_ || recv_error_ != 0) bits |= bit(Ready::Readable);
  if (eof_) bits |= bit(Ready::Hangup);
  if (recv_error_ != 0 || send_error_ != 0) bits |= bit(Ready::Error);
  raise(bits);
}

bool RingSocket::may_receive() const {
  return !released_ && ring_ != nullptr && !connecting_ && !eof_ && recv_error_ == 0 &&
         held_ < Uring::kMaxHeld;
}

void RingSocket::want_flush() {
  if (ring_ != nullptr && (!released_ || lingering_)) ring_->want_flush(*this);
}

void RingSocket::arm_recv() {
  ++ring_->stats().receives_armed;
  io_uring_sqe* s = start(OpKind::Recv);
  if (throttled_) {
    // One buffer per receive: the owner fell behind once, so each receive waits for room.
    io_uring_prep_recv(s, fd_.get(), nullptr, Uring::kBufferSize, 0);
  } else {
    io_uring_prep_recv_multishot(s, fd_.get(), nullptr, 0, 0);
  }
  s->flags |= IOSQE_BUFFER_SELECT;
  s->buf_group = ring_->group();
  recv_armed_ = true;
  recv_cancelled_ = false;
}

void RingSocket::flush() {
  if (ring_ == nullptr) return;
  if (released_ && !lingering_) {
    maybe_free();  // a linger that ended with nothing in flight
    return;
  }
  if (!send_armed_ && !connecting_ && send_error_ == 0) {
    if (sending_.empty() && !pending_.empty()) std::swap(sending_, pending_);
    if (!sending_.empty()) {
      const size_t n = gather_iovecs(sending_, iov_);
      io_uring_sqe* s = start(OpKind::Send);
      // MSG_WAITALL: the kernel keeps sending until the whole gather is out (or an error), one
      // completion for it however full the socket buffer gets meanwhile. The parts stay in
      // sending_ (and, for a sendmsg, msg_ here) until it completes. One part goes as a plain
      // send: the kernel then copies no msghdr and imports no iovec array.
      if (n == 1) {
        io_uring_prep_send(s, fd_.get(), iov_[0].iov_base, iov_[0].iov_len,
                           MSG_NOSIGNAL | MSG_WAITALL);
      } else {
        msg_ = msghdr{};
        msg_.msg_iov = iov_.data();
        msg_.msg_iovlen = n;
        io_uring_prep_sendmsg(s, fd_.get(), &msg_, MSG_NOSIGNAL | MSG_WAITALL);
      }
      send_armed_ = true;
      ++ring_->stats().sends;
    }
  }
  if (!recv_armed_ && !starved_ && may_receive()) arm_recv();
}

IoResult RingSocket::read(MutableBytes into) {
  if (into.empty()) return IoResult::done(0);
  if (ring_ == nullptr) return IoResult::failed(ECONNABORTED, errors::kIo);
  // Spilled bytes came first (spill() takes every chunk held when it runs).
  size_t n = std::min(spill_.size(), into.size());
  if (n > 0) {
    std::memcpy(into.data(), spill_.data(), n);
    spill_.consume(n);
    if (spill_.empty()) spill_ = codecs::ByteBuffer();  // a reader caught up holds none
  }
  while (n < into.size() && chunk_head_ < chunks_.size()) {
    Chunk& c = chunks_[chunk_head_];
    const size_t take = std::min<size_t>(c.len - c.off, into.size() - n);
    std::memcpy(into.data() + n, ring_->buffer(c.bid) + c.off, take);
    c.off += static_cast<uint32_t>(take);
    n += take;
    if (c.off == c.len) {
      ring_->recycle(c.bid);
      ++chunk_head_;
    }
  }
  if (chunk_head_ == chunks_.size()) {
    chunks_.clear();
    chunk_head_ = 0;
  }
  held_ -= n;
  // Reading made room again after a pause for backpressure.
  if (!recv_armed_ && !starved_ && may_receive()) want_flush();
  if (n > 0) {
    // Emptied: like a short read on a socket, the next call would block (unless an end or an
    // error is still to be reported).
    if (held_ == 0 && !eof_ && recv_error_ == 0) return IoResult::partial(n, Direction::Read);
    return IoResult::done(n);
  }
  if (eof_) return IoResult::closed(errors::kPeerClosed);
  if (recv_error_ == ECONNRESET) return IoResult::failed(recv_error_, errors::kReset);
  if (recv_error_ != 0) return IoResult::failed(recv_error_, errors::kIo);
  return IoResult::blocked(Direction::Read);
}

IoResult RingSocket::write(Bytes data) {
  const Bytes one[1] = {data};
  return writev(one);
}

IoResult RingSocket::writev(std::span<const Bytes> data) {
  if (ring_ == nullptr) return IoResult::failed(ECONNABORTED, errors::kIo);
  if (send_error_ != 0) return send_failure(send_error_);
  // As a socket does after shutdown(SHUT_WR).
  if (shut_ || shutdown_pending_) return IoResult::closed(errors::kPeerGone);
  size_t want = 0;
  for (const Bytes& b : data) want += b.size();
  if (want == 0) return IoResult::done(0);
  const size_t queued = queued_send();
  const size_t room = queued < Uring::kMaxQueued ? Uring::kMaxQueued - queued : 0;
  if (room == 0) {
    write_blocked_ = true;
    return IoResult::blocked(Direction::Write);
  }
  ready_pending();
  size_t n = 0;
  for (const Bytes& b : data) {
    const size_t take = std::min(b.size(), room - n);
    pending_.append(b.first(take));
    n += take;
    if (n == room) break;
  }
  ring_->stats().send_copied += n;
  want_flush();
  if (n < want) {
    write_blocked_ = true;
    return IoResult::partial(n, Direction::Write);
  }
  return IoResult::done(n);
}

IoResult RingSocket::write_chain(codecs::ByteChain& out) {
  const size_t want = out.size();
  const size_t queued = queued_send();
  // Short output is copied (a part of its own costs its buffer a trip through the ring's
  // spares); what does not fit is copied up to the room left (writev reports the rest).
  if (ring_ == nullptr || send_error_ != 0 || shut_ || shutdown_pending_ || want < kMinSplice ||
      queued >= Uring::kMaxQueued || want > Uring::kMaxQueued - queued) {
    return ByteStream::write_chain_by_copy(out,
                                           [this](std::span<const Bytes> p) { return writev(p); });
  }
  pending_.splice(out);
  want_flush();
  return IoResult::done(want);
}

IoResult RingSocket::shutdown_write() {
  if (ring_ == nullptr) return IoResult::failed(ECONNABORTED, errors::kShutdown);
  if (shut_ || shutdown_pending_) return IoResult::done(0);
  if (queued_send() > 0 || send_armed_) {
    // The FIN must follow the queued bytes: sent once they are out.
    shutdown_pending_ = true;
    return IoResult::done(0);
  }
  shut_ = true;
  if (::shutdown(fd_.get(), SHUT_WR) == 0) return IoResult::done(0);
  if (errno == ENOTCONN) return IoResult::closed(errors::kPeerClosed);
  return IoResult::failed(errno, errors::kShutdown);
}

void RingSocket::finish_shutdown() {
  shutdown_pending_ = false;
  shut_ = true;
  (void)::shutdown(fd_.get(), SHUT_WR);
}

void RingSocket::complete(OpKind kind, const io_uring_cqe& cqe, bool last) {
  switch (kind) {
    case OpKind::Recv:
      on_recv(cqe, last);
      return;
    case OpKind::Send:
      on_send(cqe);
      return;
    case OpKind::Connect:
      on_connect(cqe);
      return;
    default:
      if (last) ended();
      return;
  }
}

void RingSocket::on_recv(const io_uring_cqe& cqe, bool last) {
  const bool has_buffer = (cqe.flags & IORING_CQE_F_BUFFER) != 0;
  const auto bid = static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
  if (cqe.res > 0 && has_buffer && !released_) {
    chunks_.push_back(Chunk{bid, static_cast<uint32_t>(cqe.res), 0});
    held_ += static_cast<size_t>(cqe.res);
    // Backpressure: a reader that stopped reading must not take the whole buffer group. A
    // multishot receive is cancelled; one kernel entry may already have drained what the
    // kernel held for the socket (and what its sender had queued), so from then on this socket
    // receives one buffer at a time while there is room.
    if (held_ >= Uring::kMaxHeld) {
      throttled_ = true;
      if (!last && !recv_cancelled_) {
        cancel(OpKind::Recv);
        recv_cancelled_ = true;
      }
    }
    // What the owner has not read by the end of the turn moves out of the buffer group (see
    // spill_unread()); until it caught up, what arrives joins the spill, in order.
    if (!spill_.empty()) {
      spill();
    } else {
      ring_->holds(*this);
    }
    raise(bit(Ready::Readable));
  } else if (has_buffer) {
    ring_->recycle(bid);
  }
  if (cqe.res == 0) {
    eof_ = true;
    raise(bit(Ready::Readable) | bit(Ready::Hangup));
  } else if (cqe.res == -ENOBUFS) {
    starved_ = true;
    ring_->starved(*this);
  } else if (cqe.res < 0 && cqe.res != -ECANCELED) {
    recv_error_ = -cqe.res;
    raise(bit(Ready::Readable) | bit(Ready::Hangup) | bit(Ready::Error));
  }
  if (!last) return;
  recv_armed_ = false;
  recv_cancelled_ = false;
  if (cqe.res == -ENOBUFS && !released_) {
    // Stays starved until Uring::recycle() queues it for a re-arm.
  } else {
    starved_ = false;
    if (may_receive()) want_flush();
  }
  ended();  // may free this
}

void RingSocket::on_send(const io_uring_cqe& cqe) {
  send_armed_ = false;
  if (cqe.res > 0) sending_.consume(static_cast<size_t>(cqe.res));
  if (cqe.res < 0 && cqe.res != -ECANCELED) {
    send_error_ = -cqe.res;
    if (!released_) raise(bit(Ready::Writable) | bit(Ready::Error));
  }
  if (send_error_ == 0 && cqe.res != -ECANCELED) {
    if (!sending_.empty() || !pending_.empty()) {
      want_flush();
    } else {
      // Idle: the buffers go back to the ring (an idle connection holds none).
      return_spares();
      if (shutdown_pending_) finish_shutdown();
      lingering_ = false;
      linger_.reset();
    }
    if (!released_ && write_blocked_ && queued_send() < Uring::kMaxQueued) {
      write_blocked_ = false;
      raise(bit(Ready::Writable));
    }
  }
  if (released_ && (send_error_ != 0 || cqe.res == -ECANCELED)) {
    lingering_ = false;
    linger_.reset();
  }
  ended();  // may free this
}

void RingSocket::on_connect(const io_uring_cqe& cqe) {
  connecting_ = false;
  const uint32_t mask = cqe.res > 0 ? static_cast<uint32_t>(cqe.res) : POLLERR;
  if (!released_) {
    raise(readiness_of(mask));
    if ((mask & (POLLERR | POLLHUP)) == 0) want_flush();  // start receiving, send what waits
  }
  ended();  // may free this
}

void RingSocket::ready_pending() {
  if (pending_.spares() == 0) pending_.give_spare(ring_->take_buffer());
}

void RingSocket::return_spares() {
  for (codecs::ByteChain* c : {&sending_, &pending_}) {
    while (c->spares() > 0) ring_->give_buffer(c->take_spare());
  }
}

void RingSocket::drop_received() {
  for (size_t i = chunk_head_; i < chunks_.size(); ++i) {
    if (ring_ != nullptr) ring_->recycle(chunks_[i].bid);
  }
  chunks_.clear();
  chunk_head_ = 0;
  spill_ = codecs::ByteBuffer();
  held_ = 0;
}

void RingSocket::spill_unread() {
  if (!released_ && ring_ != nullptr) spill();
}

void RingSocket::spill() {
  for (size_t i = chunk_head_; i < chunks_.size(); ++i) {
    const Chunk& c = chunks_[i];
    spill_.append(ring_->buffer(c.bid) + c.off, c.len - c.off);
    ring_->recycle(c.bid);
  }
  chunks_.clear();
  chunk_head_ = 0;
}

void RingSocket::on_release() {
  drop_received();
  if (recv_armed_) cancel(OpKind::Recv);
  if (connecting_) cancel(OpKind::Connect);
  if (send_error_ != 0 || connecting_ || (queued_send() == 0 && !send_armed_)) return;
  // Bytes written are bytes the owner considers sent, as they would be once in a socket's
  // buffer under epoll: they still go out, then the FIN (close). A peer that stops reading
  // gets kLingerMs, after which the send is cancelled and what is left is dropped, as the
  // kernel drops an orphaned socket's data in the end.
  lingering_ = true;
  want_flush();
  linger_ = std::make_unique<Timer>(ring_->loop().timers(), [this] {
    lingering_ = false;
    if (send_armed_) {
      cancel(OpKind::Send);
    } else {
      ring_->want_flush(*this);  // frees it there (not inside its own timer)
    }
  });
  linger_->arm(kLingerMs);
}

void RingSocket::on_orphaned() {
  // The ring (and its buffer memory) is gone; reads and writes report an aborted connection.
  linger_.reset();
  lingering_ = false;
  chunks_.clear();
  chunk_head_ = 0;
  spill_ = codecs::ByteBuffer();
  held_ = 0;
  recv_error_ = ECONNABORTED;
}

RingSocket::~RingSocket() {
  linger_.reset();
  // Reached with bytes still queued only when the ring went away or the linger ran out: hand
  // the kernel what it takes now.
  if (!fd_.valid() || send_error_ != 0) return;
  std::array<iovec, 2 * kMaxIov> iov;
  size_t count = gather_iovecs(sending_, std::span<iovec>(iov).first(kMaxIov));
  count += gather_iovecs(pending_, std::span<iovec>(iov).subspan(count, kMaxIov));
  if (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = count;
    (void)::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  if (shutdown_pending_) (void)::shutdown(fd_.get(), SHUT_WR);
}

// --- RingAcceptor ---

RingAcceptor::RingAcceptor(Uring& ring, int listen_fd) : RingChannel(ring), fd_(listen_fd) {}

void RingAcceptor::attach(IoWatch* watch) {
  watch_ = watch;
  if (watch == nullptr) return;
  if (!armed_) arm();
  if (head_ < queue_.size()) raise(bit(Ready::Readable));
}

void RingAcceptor::arm() {
  armed_ = true;
  if (op_live_) return;  // a cancelled accept has not reported yet; it is wanted again
  io_uring_sqe* s = start(OpKind::Accept);
  io_uring_prep_multishot_accept(s, fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  op_live_ = true;
}

void RingAcceptor::watch_gone() {
  watch_ = nullptr;
  if (armed_ && op_live_ && ring_ != nullptr) cancel(OpKind::Accept);
  armed_ = false;
  retry_.reset();
}

bool RingAcceptor::pop(int& fd) {
  if (head_ == queue_.size()) return false;
  fd = queue_[head_++];
  if (head_ == queue_.size()) {
    queue_.clear();
    head_ = 0;
  }
  return true;
}

void RingAcceptor::complete(OpKind, const io_uring_cqe& cqe, bool last) {
  if (cqe.res >= 0) {
    // Late completions after a cancel still carry connections the kernel accepted: keep them
    // for the listener's next owner, unless the listener itself is gone.
    if (released_) {
      ::close(cqe.res);
    } else {
      queue_.push_back(cqe.res);
      raise(bit(Ready::Readable));
    }
  } else if (cqe.res != -ECANCELED && !released_) {
    error_ = -cqe.res;
    raise(bit(Ready::Readable));
  }
  if (!last) return;
  op_live_ = false;
  if (!released_ && armed_) {
    if (cqe.res < 0 && resource_error(-cqe.res)) {
      // Out of descriptors: retrying at once would fail at once. Try again shortly.
      armed_ = false;
      retry_ = std::make_unique<Timer>(ring_->loop().timers(), [this] {
        if (watch_ != nullptr) arm();
      });
      retry_->arm(100);
    } else {
      armed_ = false;
      arm();
    }
  }
  ended();  // may free this
}

void RingAcceptor::adopt_queue(RingAcceptor& other) {
  while (other.head_ < other.queue_.size()) queue_.push_back(other.queue_[other.head_++]);
  other.queue_.clear();
  other.head_ = 0;
}

void RingAcceptor::on_orphaned() {
  retry_.reset();  // its timer wheel goes with the loop
  armed_ = false;
  op_live_ = false;
}

void RingAcceptor::on_release() {
  retry_.reset();
  if (op_live_) cancel(OpKind::Accept);
  armed_ = false;
}

RingAcceptor::~RingAcceptor() {
  // Connections nobody will serve.
  while (head_ < queue_.size()) ::close(queue_[head_++]);
}

}  // namespace crossmux::mux::net::detail
