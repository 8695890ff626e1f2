// io_uring ring of one EventLoop: setup with its provided-buffer group, one submit-and-wait per
// loop turn, completion dispatch, and multishot poll watches for plain descriptors.
#include "mux/net/uring.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "mux/net/event_loop.h"

namespace crossmux::mux::net::detail {
namespace {

// Multishot receive needs Linux 6.0; provided-buffer rings 5.19; DEFER_TASKRUN 6.1 (optional).
bool kernel_at_least(int major, int minor) {
  utsname u{};
  if (::uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

uint64_t tag(const RingChannel* c, OpKind kind) {
  return reinterpret_cast<uint64_t>(c) | static_cast<uint64_t>(kind);
}

}  // namespace

bool valid_fd(int fd) {
  return fd >= 0 && ::fcntl(fd, F_GETFD) != -1;
}

// --- RingChannel ---

RingChannel::RingChannel(Uring& ring) : ring_(&ring) {
  ring.link(*this);
}

RingChannel::~RingChannel() = default;

void RingChannel::release() {
  if (released_) return;
  released_ = true;
  if (watch_ != nullptr) watch_->channel_ = nullptr;
  watch_ = nullptr;
  if (ring_ != nullptr) on_release();
  maybe_free();
}

void RingChannel::raise(uint32_t bits) {
  if (watch_ != nullptr && bits != 0) watch_->raise(static_cast<Ready>(bits));
}

void RingChannel::maybe_free() {
  if (!released_ || ((inflight_ > 0 || lingers()) && ring_ != nullptr)) return;
  if (ring_ != nullptr) ring_->unlink(*this);
  delete this;
}

io_uring_sqe* RingChannel::start(OpKind kind) {
  io_uring_sqe* s = ring_->sqe();
  // The caller prepares the SQE; prep helpers leave user_data alone, so it can be set first.
  io_uring_sqe_set_data64(s, tag(this, kind));
  ++inflight_;
  return s;
}

void RingChannel::cancel(OpKind kind) {
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_cancel64(s, tag(this, kind), 0);
  io_uring_sqe_set_data64(s, 0);
  // The cancelled operation reports with -ECANCELED (or its own result if it won the race); the
  // cancel request's own success completion is not needed.
  s->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

// --- RingPoll ---

RingPoll::RingPoll(Uring& ring, int fd, IoWatch& watch) : RingChannel(ring), fd_(fd) {
  watch_ = &watch;
  arm();
}

void RingPoll::arm() {
  io_uring_sqe* s = start(OpKind::Poll);
  // Multishot polls are edge-triggered unless IORING_POLL_ADD_LEVEL is asked for, like the
  // EPOLLET registration of the epoll backend; the first completion reports the current state.
  io_uring_prep_poll_multishot(s, fd_, POLLIN | POLLOUT | POLLRDHUP);
  armed_ = true;
}

void RingPoll::complete(OpKind, const io_uring_cqe& cqe, bool last) {
  if (cqe.res > 0) {
    raise(readiness_of(static_cast<uint32_t>(cqe.res)));
  } else if (cqe.res < 0 && cqe.res != -ECANCELED) {
    raise(static_cast<uint32_t>(Ready::Error | Ready::Readable | Ready::Writable));
  }
  if (!last) return;
  armed_ = false;
  // A multishot poll can end without an error (e.g. the completion queue overflowed): go on.
  if (!released_ && cqe.res >= 0) arm();
  ended();
}

void RingPoll::on_release() {
  if (!armed_) return;
  io_uring_sqe* s = ring_->sqe();
  io_uring_prep_poll_remove(s, reinterpret_cast<uint64_t>(this) | uint64_t(OpKind::Poll));
  io_uring_sqe_set_data64(s, 0);
  s->flags |= IOSQE_CQE_SKIP_SUCCESS;
  // The armed poll holds its own reference to the file: until the kernel has removed it, the
  // owner's close() (which usually follows at once) only drops the descriptor, and the socket --
  // with its FIN -- lives on until the next loop turn enters, which a busy or stalled loop may
  // not reach for a long time. Remove it now.
  ring_->submit_now();
}

// --- Uring ---

std::unique_ptr<Uring> Uring::create(EventLoop& loop, int& err) {
  if (!kernel_at_least(6, 0)) {
    err = ENOSYS;
    return nullptr;
  }
  std::unique_ptr<Uring> u(new Uring(loop));
  io_uring_params p{};
  p.cq_entries = 8192;
  // Created disabled so that the thread which runs the loop (not the one that built it) becomes
  // its single issuer; completions are then reaped only when that thread enters the kernel.
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
            IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
            IORING_SETUP_R_DISABLED;
  int r = io_uring_queue_init_params(1024, &u->ring_, &p);
  if (r == -EINVAL) {  // Linux 6.0: no DEFER_TASKRUN
    p = io_uring_params{};
    p.cq_entries = 8192;
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN |
              IORING_SETUP_TASKRUN_FLAG;
    r = io_uring_queue_init_params(1024, &u->ring_, &p);
    u->enabled_ = true;
  }
  if (r < 0) {
    err = -r;
    return nullptr;
  }
  u->ring_ready_ = true;
  if (!(p.features & IORING_FEAT_EXT_ARG) || !(p.features & IORING_FEAT_NODROP)) {
    err = ENOSYS;
    return nullptr;
  }
  // The provided-buffer ring: page-aligned, shared with the kernel.
  u->buf_ring_bytes_ = sizeof(io_uring_buf) * kBuffers;
  void* mem = nullptr;
  if (posix_memalign(&mem, 4096, u->buf_ring_bytes_) != 0) {
    err = ENOMEM;
    return nullptr;
  }
  u->buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = kBuffers;
  reg.bgid = kGroup;
  r = io_uring_register_buf_ring(&u->ring_, &reg, 0);
  if (r < 0) {
    err = -r;
    return nullptr;
  }
  io_uring_buf_ring_init(u->buf_ring_);
  // Untouched pages cost no memory: a quiet loop keeps most of the group virtual.
  u->buffers_.reset(new uint8_t[size_t{kBuffers} * kBufferSize]);
  const int mask = io_uring_buf_ring_mask(kBuffers);
  for (unsigned i = 0; i < kBuffers; ++i) {
    io_uring_buf_ring_add(u->buf_ring_, u->buffers_.get() + size_t{i} * kBufferSize, kBufferSize,
                          static_cast<unsigned short>(i), mask, static_cast<int>(i));
  }
  io_uring_buf_ring_advance(u->buf_ring_, kBuffers);
  return u;
}

Uring::~Uring() {
  // The kernel cancels whatever is armed; then every channel either goes (its owner released
  // it) or is orphaned (its owner will find the ring gone and free it on release).
  if (ring_ready_) io_uring_queue_exit(&ring_);
  while (channels_ != nullptr) {
    RingChannel* c = channels_;
    unlink(*c);
    c->ring_ = nullptr;
    if (c->released_) {
      delete c;
    } else {
      c->on_orphaned();
    }
  }
  std::free(buf_ring_);
}

void Uring::link(RingChannel& c) {
  c.next_ = channels_;
  if (channels_ != nullptr) channels_->prev_ = &c;
  channels_ = &c;
}

void Uring::unlink(RingChannel& c) {
  if (c.prev_ != nullptr) c.prev_->next_ = c.next_;
  if (c.next_ != nullptr) c.next_->prev_ = c.prev_;
  if (channels_ == &c) channels_ = c.next_;
  c.prev_ = c.next_ = nullptr;
  if (auto* s = dynamic_cast<RingSocket*>(&c)) {
    if (s->queued_for_flush) std::erase(flush_, s);
    if (s->queued_for_spill) std::erase(holding_, s);
    std::erase(starved_, s);
  }
}

io_uring_sqe* Uring::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (s == nullptr) {
    // A full submission queue in the middle of a turn: hand it to the kernel now.
    ++stats_.enters;
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void Uring::recycle(uint16_t bid) {
  io_uring_buf_ring_add(buf_ring_, buffers_.get() + size_t{bid} * kBufferSize, kBufferSize, bid,
                        io_uring_buf_ring_mask(kBuffers), 0);
  io_uring_buf_ring_advance(buf_ring_, 1);
  --stats_.buffers_out;
  if (starved_.empty()) return;
  // Buffers are back: the sockets whose receive ran dry re-arm before the next enter.
  std::vector<RingSocket*> waiting;
  waiting.swap(starved_);
  for (RingSocket* s : waiting) s->buffers_back();
}

void Uring::starved(RingSocket& s) {
  // Buffers given back since the kernel found none (a reader that fell behind spills what it
  // holds at once, so no later recycle() may come): the receive re-arms now.
  if (stats_.buffers_out < kBuffers) {
    s.buffers_back();
    return;
  }
  if (std::find(starved_.begin(), starved_.end(), &s) == starved_.end()) starved_.push_back(&s);
}

void Uring::want_flush(RingSocket& s) {
  if (s.queued_for_flush) return;
  s.queued_for_flush = true;
  flush_.push_back(&s);
}

codecs::ByteBuffer Uring::take_buffer() {
  if (spare_.empty()) return codecs::ByteBuffer(kBufferSize);
  codecs::ByteBuffer b = std::move(spare_.back());
  spare_.pop_back();
  return b;
}

void Uring::give_buffer(codecs::ByteBuffer&& b) {
  constexpr size_t kMaxSpares = 64;
  if (b.capacity() == 0 || b.capacity() > 4 * kBufferSize || spare_.size() >= kMaxSpares) {
    codecs::ByteBuffer drop(std::move(b));
    return;
  }
  b.clear();
  spare_.push_back(std::move(b));
}

void Uring::holds(RingSocket& s) {
  if (s.queued_for_spill) return;
  s.queued_for_spill = true;
  holding_.push_back(&s);
}

void Uring::flush() {
  // The turn's owners have run: what they left unread leaves the buffer group (which may wake
  // sockets starved of buffers, queueing them for the flush below).
  for (RingSocket* s : holding_) {
    s->queued_for_spill = false;
    s->spill_unread();
  }
  holding_.clear();
  // flush() may queue a socket again (a send that must follow the one in flight): that one
  // waits for the next turn.
  // Both vectors keep their storage from turn to turn: no allocation per turn.
  flushing_.swap(flush_);
  for (RingSocket* s : flushing_) {
    s->queued_for_flush = false;
    s->flush();
  }
  flushing_.clear();
}

void Uring::dispatch(const io_uring_cqe& cqe) {
  const uint64_t data = cqe.user_data;
  const auto kind = static_cast<OpKind>(data & 7);
  auto* channel = reinterpret_cast<RingChannel*>(data & ~uint64_t{7});
  if (cqe.flags & IORING_CQE_F_BUFFER) ++stats_.buffers_out;  // until recycle()
  if (kind == OpKind::Ignore || channel == nullptr) {
    if (cqe.flags & IORING_CQE_F_BUFFER) recycle(static_cast<uint16_t>(cqe.flags >> 16));
    return;
  }
  channel->complete(kind, cqe, (cqe.flags & IORING_CQE_F_MORE) == 0);
}

void Uring::submit_now() {
  // Before the loop's thread enabled the ring nothing was armed that could hold a file (the
  // queued SQEs go with the first enter); from another thread a single-issuer ring refuses the
  // enter (EEXIST) and the SQEs stay queued for the loop's next one.
  if (!enabled_) return;
  ++stats_.enters;
  // With GETEVENTS the kernel also runs the deferred task work that completes the removal (and
  // drops the file); the completions it posts are dispatched by the next wait().
  (void)io_uring_submit_and_get_events(&ring_);
}

int Uring::wait(int timeout_ms) {
  if (!enabled_) {
    const int r = io_uring_register(ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
    if (r < 0) return r;
    // Saves the file-table lookup on every enter; optional.
    (void)io_uring_register_ring_fd(&ring_);
    enabled_ = true;
  }
  flush();
  ++stats_.enters;
  int r;
  if (timeout_ms == 0) {
    r = io_uring_submit_and_get_events(&ring_);
  } else if (timeout_ms < 0) {
    r = io_uring_submit_and_wait(&ring_, 1);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = static_cast<long long>(timeout_ms % 1000) * 1000000;
    io_uring_cqe* first = nullptr;
    r = io_uring_submit_and_wait_timeout(&ring_, &first, 1, &ts, nullptr);
  }
  if (r < 0 && r != -ETIME && r != -EINTR && r != -EAGAIN && r != -EBUSY) return r;
  unsigned head;
  unsigned seen = 0;
  io_uring_cqe* cqe;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    dispatch(*cqe);
    ++seen;
  }
  io_uring_cq_advance(&ring_, seen);
  stats_.completions += seen;
  return 0;
}

}  // namespace crossmux::mux::net::detail
