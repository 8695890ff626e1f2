// Edge-triggered epoll loop: readiness recorded in user space, work run from an intrusive queue.
#include "mux/net/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "mux/net/net_errors.h"

namespace crossmux::mux::net {
namespace {

constexpr int kMaxEvents = 256;

codecs::Error loop_error(const char* detail, int err) {
  return codecs::Error::sys(detail, err);
}

// Edges become readiness bits. A hang-up or an error also marks the fd readable (and an error
// writable) so the owner's next read/write observes it instead of waiting for an edge that will
// never come.
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

}  // namespace

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

codecs::Result<std::unique_ptr<IoWatch>> IoWatch::create(EventLoop& loop, int fd,
                                                         Handler& handler) {
  std::unique_ptr<IoWatch> w(new IoWatch(loop, fd, handler));
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = w.get();
  if (::epoll_ctl(loop.epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    const int err = errno;
    w->fd_ = -1;  // not registered: nothing to remove
    return codecs::unexpected(loop_error(errors::kEpoll, err));
  }
  ++loop.watches_;
  return w;
}

codecs::Result<std::unique_ptr<IoWatch>> IoWatch::create(EventLoop& loop, ByteStream& stream,
                                                         Handler& handler) {
  if (stream.fd() >= 0) return create(loop, stream.fd(), handler);
  std::unique_ptr<IoWatch> w(new IoWatch(loop, -1, handler));
  w->stream_ = &stream;
  stream.attach_watch(w.get());
  return w;
}

IoWatch::~IoWatch() {
  if (stream_ != nullptr) stream_->attach_watch(nullptr);
  if (fd_ < 0) return;
  // Fails harmlessly (EBADF/ENOENT) if the fd was already closed, which removes it from epoll.
  ::epoll_ctl(loop_->epoll_fd_, EPOLL_CTL_DEL, fd_, nullptr);
  --loop_->watches_;
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

codecs::Result<std::unique_ptr<EventLoop>> EventLoop::create(const VirtualClock* clock) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return codecs::unexpected(loop_error(errors::kEpoll, errno));
  const int ev = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ev < 0) {
    const int err = errno;
    ::close(ep);
    return codecs::unexpected(loop_error(errors::kEventFd, err));
  }
  std::unique_ptr<EventLoop> loop(new EventLoop(ep, ev, clock));
  epoll_event e{};
  e.events = EPOLLIN | EPOLLET;
  e.data.ptr = &loop->event_fd_;
  if (::epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) != 0) {
    return codecs::unexpected(loop_error(errors::kEpoll, errno));
  }
  return loop;
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
  w->bits_ |= readiness_of(events);
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
  epoll_event events[kMaxEvents];
  // A virtual-clock loop with no fd registered and no wake handler (only in-memory streams) has
  // nothing epoll could report: skip the syscall. Production loops always poll.
  const bool poll = virtual_clock_ == nullptr || watches_ > 0 || wake_handler_ != nullptr;
  int n = poll ? ::epoll_wait(epoll_fd_, events, kMaxEvents, wait_timeout(max_wait_ms)) : 0;
  if (n < 0) {
    if (errno != EINTR) return codecs::unexpected(loop_error(errors::kEpoll, errno));
    n = 0;
  }
  refresh_clock();
  // No user code runs while the batch is dispatched, so no watch in it can have been destroyed.
  for (int i = 0; i < n; ++i) dispatch(events[i].data.ptr, events[i].events);
  timers_.advance(now_ms_);
  run_queue();
  while (!retired_.empty()) {
    std::vector<std::unique_ptr<Handler>> dying = std::move(retired_);
    retired_.clear();
    dying.clear();  // destructors may retire more handlers
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
