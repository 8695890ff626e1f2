// Edge-triggered epoll loop: readiness recorded in user space, work run from an intrusive queue.
#include "mux/net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "mux/net/net_errors.h"
#include "mux/net/socket.h"
#if CROSSMUX_IO_URING
#include "mux/net/uring.h"
#endif

namespace crossmux::mux::net {
namespace {

constexpr int kMaxEvents = 256;

codecs::Error loop_error(const char* detail, int err) {
  return codecs::Error::sys(detail, err);
}

// What Auto means: io_uring where it works here, unless CROSSMUX_EVENT_LOOP=epoll asks for epoll
// (an operator's way out; a machine that blocks io_uring -- a container's seccomp profile, the
// io_uring_disabled sysctl -- falls back to epoll by itself).
bool environment_allows_io_uring() {
  const char* env = std::getenv("CROSSMUX_EVENT_LOOP");
  return env == nullptr || parse_loop_backend(env) != LoopBackend::Epoll;
}

}  // namespace

namespace detail {

uint32_t readiness_of(uint32_t events) {
  uint32_t bits = 0;
  if (events & EPOLLIN) bits |= static_cast<uint32_t>(Ready::Readable);
  if (events & EPOLLOUT) bits |= static_cast<uint32_t>(Ready::Writable);
  if (events & (EPOLLRDHUP | EPOLLHUP)) {
    bits |= static_cast<uint32_t>(Ready::Hangup | Ready::Readable);
  }
  if (events & EPOLLERR) {
    bits |= static_cast<uint32_t>(Ready::Error | Ready::Readable | Ready::Writable);
  }
  return bits;
}

}  // namespace detail

std::string_view to_string(LoopBackend b) {
  switch (b) {
    case LoopBackend::Auto:
      return "auto";
    case LoopBackend::Epoll:
      return "epoll";
    case LoopBackend::IoUring:
      return "io_uring";
  }
  return "unknown";
}

std::optional<LoopBackend> parse_loop_backend(std::string_view s) {
  for (LoopBackend b : {LoopBackend::Auto, LoopBackend::Epoll, LoopBackend::IoUring}) {
    if (s == to_string(b)) return b;
  }
  return std::nullopt;
}

std::string_view to_string(Ready r) {
  switch (r) {
    case Ready::None:
      return "none";
    case Ready::Readable:
      return "readable";
    case Ready::Writable:
      return "writable";
    case Ready::Hangup:
      return "hangup";
    case Ready::Error:
      return "error";
  }
  return "several";
}

Handler::~Handler() {
  unlink();
}

void Handler::unlink() {
  if (next_ == nullptr) return;
  prev_->next_ = next_;
  next_->prev_ = prev_;
  prev_ = next_ = nullptr;
}

codecs::Result<std::unique_ptr<IoWatch>> IoWatch::watch_fd(EventLoop& loop, int fd,
                                                           Handler& handler, bool counted) {
  std::unique_ptr<IoWatch> w(new IoWatch(loop, fd, handler));
#if CROSSMUX_IO_URING
  if (loop.uring_) {
    // A multishot poll reports asynchronously; a bad descriptor must still fail here.
    if (!detail::valid_fd(fd)) return codecs::unexpected(loop_error(errors::kEpoll, EBADF));
    w->channel_ = new detail::RingPoll(*loop.uring_, fd, *w);
  } else
#endif
  {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.ptr = w.get();
    if (::epoll_ctl(loop.epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return codecs::unexpected(loop_error(errors::kEpoll, errno));
    }
    w->in_epoll_ = true;
  }
  if (counted) {
    w->counted_ = true;
    ++loop.watches_;
  }
  return w;
}

codecs::Result<std::unique_ptr<IoWatch>> IoWatch::create(EventLoop& loop, int fd,
                                                         Handler& handler) {
  return watch_fd(loop, fd, handler, true);
}

codecs::Result<std::unique_ptr<IoWatch>> IoWatch::create(EventLoop& loop, ByteStream& stream,
                                                         Handler& handler) {
  if (stream.fd() < 0) {
    std::unique_ptr<IoWatch> w(new IoWatch(loop, -1, handler));
    w->stream_ = &stream;
    stream.attach_watch(w.get());
    return w;
  }
#if CROSSMUX_IO_URING
  if (loop.uring_) {
    if (detail::RingSocket* socket = stream.attach_ring(*loop.uring_)) {
      std::unique_ptr<IoWatch> w(new IoWatch(loop, socket->fd(), handler));
      w->channel_ = socket;
      w->counted_ = true;
      ++loop.watches_;
      socket->attach(w.get());
      return w;
    }
  }
#endif
  return create(loop, stream.fd(), handler);
}

codecs::Result<std::unique_ptr<IoWatch>> IoWatch::create(EventLoop& loop, TcpListener& listener,
                                                         Handler& handler) {
#if CROSSMUX_IO_URING
  if (loop.uring_) {
    detail::RingAcceptor* acceptor = listener.attach_ring(*loop.uring_);
    std::unique_ptr<IoWatch> w(new IoWatch(loop, listener.fd(), handler));
    w->channel_ = acceptor;
    w->counted_ = true;
    ++loop.watches_;
    acceptor->attach(w.get());
    return w;
  }
#endif
  return create(loop, listener.fd(), handler);
}

IoWatch::~IoWatch() {
  if (stream_ != nullptr) stream_->attach_watch(nullptr);
#if CROSSMUX_IO_URING
  if (channel_ != nullptr) channel_->watch_gone();
#endif
  // Fails harmlessly (EBADF/ENOENT) if the fd was already closed, which removes it from epoll.
  if (in_epoll_) ::epoll_ctl(loop_->epoll_fd_, EPOLL_CTL_DEL, fd_, nullptr);
  if (counted_) --loop_->watches_;
}

void IoWatch::raise(Ready bits) {
  bits_ |= static_cast<uint32_t>(bits);
  loop_->schedule(*handler_);
}

void IoWatch::note(const IoResult& r) {
  if (r.ok()) {
    // A short read or write on an edge-triggered socket: the next edge reports new room or
    // bytes, so the EAGAIN call can be skipped -- except after a hang-up, where reads go on
    // until they return Closed (the FIN shares the edge that brought the last bytes).
    if (!r.exhausted) return;
    if (r.blocked_on == Direction::Read && hangup()) return;
    clear(r.blocked_on == Direction::Read ? Ready::Readable : Ready::Writable);
    return;
  }
  if (!r.would_block()) return;
  clear(r.blocked_on == Direction::Read ? Ready::Readable : Ready::Writable);
}

codecs::Result<std::unique_ptr<EventLoop>> EventLoop::create(const VirtualClock* clock,
                                                             LoopBackend backend) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return codecs::unexpected(loop_error(errors::kEpoll, errno));
  const int ev = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ev < 0) {
    const int err = errno;
    ::close(ep);
    return codecs::unexpected(loop_error(errors::kEventFd, err));
  }
  std::unique_ptr<EventLoop> loop(new EventLoop(ep, ev, clock));
  // A virtual clock drives in-memory streams deterministically: always epoll. Auto falls back to
  // epoll where io_uring cannot be used (and says why); an explicit io_uring does not.
  const bool try_uring =
      clock == nullptr && (backend == LoopBackend::IoUring ||
                           (backend == LoopBackend::Auto && environment_allows_io_uring()));
  if (try_uring) {
    int err = ENOSYS;  // built without liburing
#if CROSSMUX_IO_URING
    loop->uring_.reset(detail::Uring::create(*loop, err).release());
#endif
    if (!loop->uring_) {
      if (backend == LoopBackend::IoUring) {
        return codecs::unexpected(loop_error(errors::kIoUring, err));
      }
      loop->io_uring_refused_ = loop_error(errors::kIoUring, err);
    }
  }
  loop->wake_reader_.loop = loop.get();
  if (loop->uring_) {
    auto w = IoWatch::watch_fd(*loop, ev, loop->wake_reader_, false);
    if (!w) return codecs::unexpected(w.error());
    loop->wake_reader_.watch = std::move(*w);
    return loop;
  }
  epoll_event e{};
  e.events = EPOLLIN | EPOLLET;
  e.data.ptr = &loop->event_fd_;
  if (::epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) != 0) {
    return codecs::unexpected(loop_error(errors::kEpoll, errno));
  }
  return loop;
}

EventLoop::RingStats EventLoop::ring_stats() const {
#if CROSSMUX_IO_URING
  if (uring_) {
    const auto& s = uring_->stats();
    return RingStats{s.enters,      s.sends,       s.receives_armed,
                     s.completions, s.buffers_out, s.send_copied};
  }
#endif
  return {};
}

void EventLoop::UringDeleter::operator()(detail::Uring* u) const {
#if CROSSMUX_IO_URING
  delete u;
#endif
}

codecs::Status EventLoop::io_uring_usable() {
  auto loop = create(nullptr, LoopBackend::IoUring);
  if (!loop) return codecs::unexpected(loop.error());
  return codecs::ok();
}

void EventLoop::WakeReader::on_ready() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = ::read(loop->event_fd_, &count, sizeof count);
  if (loop->wake_handler_ != nullptr) loop->schedule(*loop->wake_handler_);
}

EventLoop::EventLoop(int epoll_fd, int event_fd, const VirtualClock* clock)
    : epoll_fd_(epoll_fd),
      event_fd_(event_fd),
      virtual_clock_(clock),
      start_(Clock::now()),
      now_(start_),
      now_ms_(clock ? clock->now_ms() : 0),
      timers_(now_ms_) {
  make_empty(queue_);
}

EventLoop::~EventLoop() {
  std::vector<std::unique_ptr<Handler>> dying = std::move(retired_);
  dying.clear();
  wake_reader_.watch.reset();
  uring_.reset();
  ::close(event_fd_);
  ::close(epoll_fd_);
}

void EventLoop::schedule(Handler& h) {
  if (h.scheduled()) return;
  h.prev_ = queue_.prev_;
  h.next_ = &queue_;
  queue_.prev_->next_ = &h;
  queue_.prev_ = &h;
}

void EventLoop::retire(std::unique_ptr<Handler> h) {
  h->unlink();
  retired_.push_back(std::move(h));
}

void EventLoop::stop() {
  stop_.store(true, std::memory_order_release);
  wake();
}

void EventLoop::wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: a wake-up is pending anyway.
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void EventLoop::refresh_clock() {
  if (virtual_clock_ != nullptr) {
    now_ms_ = virtual_clock_->now_ms();
    now_ = start_ + std::chrono::milliseconds(now_ms_);
    return;
  }
  now_ = Clock::now();
  now_ms_ = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now_ - start_).count());
}

int EventLoop::wait_timeout(int max_wait_ms) const {
  if (has_queued() || !retired_.empty() || stopping() || virtual_clock_ != nullptr) return 0;
  int timeout = max_wait_ms;
  if (auto t = timers_.next_timeout()) {
    // The wheel's clock stopped at the last advance(); handlers ran since, so count from now.
    const uint64_t due = timers_.now() + *t;
    const uint64_t wait = due > now_ms_ ? due - now_ms_ : 0;
    const int until = static_cast<int>(std::min<uint64_t>(wait, INT_MAX));
    timeout = timeout < 0 ? until : std::min(timeout, until);
  }
  return timeout;
}

void EventLoop::dispatch(void* tag, uint32_t events) {
  if (tag == &event_fd_) {
    uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(event_fd_, &count, sizeof count);
    if (wake_handler_ != nullptr) schedule(*wake_handler_);
    return;
  }
  auto* w = static_cast<IoWatch*>(tag);
  w->bits_ |= detail::readiness_of(events);
  schedule(*w->handler_);
}

// Only the handlers queued when the phase starts run in it: they are moved to a local list
// first, and anything scheduled meanwhile lands in the (now empty) main queue.
void EventLoop::run_queue() {
  if (!has_queued()) return;
  Sentinel batch;
  batch.next_ = queue_.next_;
  batch.prev_ = queue_.prev_;
  batch.next_->prev_ = &batch;
  batch.prev_->next_ = &batch;
  make_empty(queue_);
  while (batch.next_ != &batch) {
    Handler* h = batch.next_;
    h->unlink();
    ++handler_runs_;
    h->on_ready();  // may schedule, retire or destroy any handler, including h
  }
}

codecs::Status EventLoop::run_once(int max_wait_ms) {
  refresh_clock();
#if CROSSMUX_IO_URING
  if (uring_) {
    // One enter: submits what the last run phase queued (sends, re-arms) and waits.
    const int r = uring_->wait(wait_timeout(max_wait_ms));
    if (r < 0) return codecs::unexpected(loop_error(errors::kIoUring, -r));
    refresh_clock();
  } else
#endif
  {
    epoll_event events[kMaxEvents];
    // A virtual-clock loop with no fd registered and no wake handler (only in-memory streams)
    // has nothing epoll could report: skip the syscall. Production loops always poll.
    const bool poll = virtual_clock_ == nullptr || watches_ > 0 || wake_handler_ != nullptr;
    int n = poll ? ::epoll_wait(epoll_fd_, events, kMaxEvents, wait_timeout(max_wait_ms)) : 0;
    if (n < 0) {
      if (errno != EINTR) return codecs::unexpected(loop_error(errors::kEpoll, errno));
      n = 0;
    }
    refresh_clock();
    // No user code runs while the batch is dispatched, so no watch in it can have been destroyed.
    for (int i = 0; i < n; ++i) dispatch(events[i].data.ptr, events[i].events);
  }
  timers_.advance(now_ms_);
  // Work handed from one handler to another (a client leg waking the backend leg that writes its
  // request) runs in this turn, not after another poll: a turn runs up to kRunPhases phases while
  // handlers are queued, so a request costs one epoll_wait (or io_uring_enter) per readiness
  // edge, not one per hand-off. The bound keeps a handler that reschedules itself from starving
  // the poller.
  for (int phase = 0; phase < kRunPhases; ++phase) {
    run_queue();
    while (!retired_.empty()) {
      std::vector<std::unique_ptr<Handler>> dying = std::move(retired_);
      retired_.clear();
      dying.clear();  // destructors may retire more handlers
    }
    if (!has_queued() || stopping()) break;
  }
  ++iterations_;
  return codecs::ok();
}

codecs::Status EventLoop::run() {
  codecs::Status status;
  while (!stopping()) {
    status = run_once(-1);
    if (!status) break;
  }
  stop_.store(false, std::memory_order_release);
  return status;
}

}  // namespace crossmux::mux::net
