// Single-threaded edge-triggered epoll loop with a run queue, user-space readiness and timers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "codecs/base/result.h"
#include "mux/net/byte_stream.h"
#include "mux/net/timer_wheel.h"

namespace crossmux::mux::net {

class EventLoop;
class TcpListener;
namespace detail {
class Uring;
class RingChannel;
}  // namespace detail

// The kernel interface a loop waits with. Both give handlers the same edge-triggered readiness
// (IoWatch bits); io_uring also moves the bytes of TCP streams itself (mux/net/README.md).
enum class LoopBackend : uint8_t {
  Auto = 0,     // io_uring where it works here (Linux 6.0+, io_uring_setup not disabled by sysctl
                // or seccomp), falling back to epoll otherwise; CROSSMUX_EVENT_LOOP=epoll asks
                // for epoll (unset, `auto`, `io_uring` or anything else: io_uring where it works)
  Epoll = 1,    // epoll, and a system call per read and write
  IoUring = 2,  // io_uring; creating the loop fails (kIoUring) when it cannot be used
};
std::string_view to_string(LoopBackend b);  // "auto", "epoll", "io_uring"
// The inverse of to_string(); nullopt for anything else.
std::optional<LoopBackend> parse_loop_backend(std::string_view s);

// Something the loop runs: a connection, a session, a stream. It runs only from the run queue,
// never from inside epoll dispatch, so it can be scheduled by I/O readiness (through an IoWatch)
// or by anyone producing work for it (EventLoop::schedule). Destroying a scheduled handler
// removes it from the queue (O(1)); EventLoop::retire() defers destruction to the end of the
// iteration for handlers that end themselves or each other while running.
class Handler {
 public:
  Handler() = default;
  virtual ~Handler();
  Handler(const Handler&) = delete;
  Handler& operator=(const Handler&) = delete;

  // Do as much work as possible without blocking: inspect the IoWatch readiness bits, read and
  // write until WouldBlock (IoWatch::note clears the bit) or until a fairness budget is spent (then
  // call schedule() again to continue in the next iteration).
  virtual void on_ready() = 0;

  bool scheduled() const { return next_ != nullptr; }

 private:
  friend class EventLoop;
  void unlink();
  Handler* prev_ = nullptr;
  Handler* next_ = nullptr;  // non-null while queued
};

// Readiness bits kept in user space for one registered fd.
enum class Ready : uint32_t {
  None = 0,
  Readable = 1u << 0,
  Writable = 1u << 1,
  Hangup = 1u << 2,  // peer closed (EPOLLRDHUP/EPOLLHUP): reads will drain then return Closed
  Error = 1u << 3,   // EPOLLERR: the next read/write/finish_connect reports it
};
constexpr Ready operator|(Ready a, Ready b) {
  return static_cast<Ready>(static_cast<uint32_t>(a) | static_cast<uint32_t>(b));
}
std::string_view to_string(Ready r);  // one bit's name; "none" for None

// Registers an fd with the loop for IN|OUT|RDHUP, edge-triggered, once for its lifetime, and
// keeps the readiness the kernel reported: a bit is set by an epoll edge and cleared only by the
// owner when an operation returns WouldBlock (note()/clear()). Each edge schedules the handler.
// Destroy the watch before closing its fd (declare the socket before the watch), and never let
// it outlive its handler (make it a member of the handler). Several watches may share a handler
// (a session owning a client and a backend socket).
class IoWatch {
 public:
  // Errors: kEpoll (epoll_ctl ADD, or a bad fd under io_uring; Error::code = errno).
  static codecs::Result<std::unique_ptr<IoWatch>> create(EventLoop& loop, int fd, Handler& handler);
  // The watch for a connection's stream: an epoll watch on its fd; under io_uring, the stream's
  // own completions (a TcpStream, or a TlsStream over one, switches to completion mode:
  // ByteStream::attach_ring); for a stream without an fd (fd() < 0: MemoryStream), a watch
  // outside the kernel on which the stream raises its own edges (ByteStream::attach_watch).
  // Errors: kEpoll.
  static codecs::Result<std::unique_ptr<IoWatch>> create(EventLoop& loop, ByteStream& stream,
                                                         Handler& handler);
  // The watch for a listener: an epoll watch on its fd, or under io_uring a multishot accept
  // whose connections TcpListener::accept() hands out. Errors: kEpoll.
  static codecs::Result<std::unique_ptr<IoWatch>> create(EventLoop& loop, TcpListener& listener,
                                                         Handler& handler);
  ~IoWatch();
  IoWatch(const IoWatch&) = delete;
  IoWatch& operator=(const IoWatch&) = delete;

  int fd() const { return fd_; }
  bool readable() const { return has(Ready::Readable); }
  bool writable() const { return has(Ready::Writable); }
  bool hangup() const { return has(Ready::Hangup); }
  bool error() const { return has(Ready::Error); }
  bool has(Ready r) const { return (bits_ & static_cast<uint32_t>(r)) != 0; }
  void clear(Ready r) { bits_ &= ~static_cast<uint32_t>(r); }
  // After a WouldBlock result, clears the bit it waited on; likewise after a short TCP read or
  // write (IoResult::exhausted; reads only while no hang-up was seen). Other results change
  // nothing.
  void note(const IoResult& r);
  // An edge from a source other than epoll (an in-memory stream): sets `bits` and schedules the
  // handler, exactly as an epoll edge would.
  void raise(Ready bits);

 private:
  friend class EventLoop;
  friend class detail::RingChannel;
  IoWatch(EventLoop& loop, int fd, Handler& handler) : loop_(&loop), fd_(fd), handler_(&handler) {}
  static codecs::Result<std::unique_ptr<IoWatch>> watch_fd(EventLoop& loop, int fd,
                                                           Handler& handler, bool counted);
  EventLoop* loop_;
  int fd_;
  Handler* handler_;
  ByteStream* stream_ = nullptr;            // a stream that raises its own edges (fd_ < 0)
  detail::RingChannel* channel_ = nullptr;  // io_uring: what reports to this watch
  bool counted_ = false;                    // in the loop's watches()
  bool in_epoll_ = false;                   // registered with epoll_ctl
  uint32_t bits_ = 0;
};

// A clock the test or fuzz driver moves by hand. A loop created with one reads it instead of the
// monotonic clock and never blocks in epoll_wait (its timers are due when the driver says so), and
// skips epoll_wait altogether while no fd is watched and no wake handler is set: drive such a
// loop with run_once(0), advancing the clock between iterations.
class VirtualClock {
 public:
  uint64_t now_ms() const { return now_ms_; }
  void advance(uint64_t ms) { now_ms_ += ms; }

 private:
  uint64_t now_ms_ = 0;
};

// One per worker thread. Everything except wake() and stop() must be called on the loop's thread.
//
// An iteration: refresh the cached clock; epoll_wait (timeout 0 if the run queue is non-empty,
// else until the next timer); record each edge in its IoWatch and schedule its handler; fire due
// timers; run the handlers that were queued when the run phase began, then destroy retired
// handlers. Handlers scheduled while a phase runs wait for the next phase, and a turn runs at most
// kRunPhases phases (fewer when the queue empties) before it polls again: a hand-off between
// handlers costs no system call, and a busy handler cannot starve the others or the poller.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // Errors: kEpoll, kEventFd, kIoUring (LoopBackend::IoUring asked for explicitly and
  // unavailable; Error::code = errno). `clock` (must outlive the
  // loop) replaces the monotonic clock for deterministic runs, always with epoll; production
  // loops pass nothing. The first thread that runs an io_uring loop must be the only one to run
  // it (the kernel's single-issuer rule).
  static codecs::Result<std::unique_ptr<EventLoop>> create(const VirtualClock* clock = nullptr,
                                                           LoopBackend backend = LoopBackend::Auto);
  // Ok when an io_uring loop can be created on this machine, else why not (kIoUring, errno).
  static codecs::Status io_uring_usable();
  // Epoll or IoUring: what this loop runs on.
  LoopBackend backend() const { return uring_ ? LoopBackend::IoUring : LoopBackend::Epoll; }
  // Why an Auto loop runs on epoll although the environment did not ask for it (kIoUring,
  // Error::code = errno, e.g. EPERM under a seccomp filter); nullopt when nothing fell back.
  const std::optional<codecs::Error>& io_uring_refused() const { return io_uring_refused_; }
  // io_uring counters (all zero under epoll): kernel entries, sends and multishot receives
  // started, completions reaped.
  struct RingStats {
    uint64_t enters = 0;
    uint64_t sends = 0;
    uint64_t receives_armed = 0;
    uint64_t completions = 0;
    uint64_t buffers_out = 0;  // provided receive buffers not back in the group
    uint64_t send_copied = 0;  // bytes copied into send queues (chains taken whole are not)
  };
  RingStats ring_stats() const;
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Run phases per turn at most (run_once).
  static constexpr int kRunPhases = 4;

  // Queues `h` to run in this or the next iteration (idempotent while queued). Call this whenever
  // you produce output or work for a handler: never rely on an epoll edge for internal data.
  void schedule(Handler& h);
  // Unschedules `h` and destroys it after the current run phase.
  void retire(std::unique_ptr<Handler> h);

  // Runs iterations until stop(), then clears the stop flag (so run() can be called again).
  // Returns the error (kEpoll, code = errno) if epoll_wait fails other than EINTR.
  codecs::Status run();
  // One iteration, waiting at most `max_wait_ms` for events (-1: no limit beyond timers).
  codecs::Status run_once(int max_wait_ms = -1);

  // Thread-safe: makes run() return after the current iteration.
  void stop();
  bool stopping() const { return stop_.load(std::memory_order_acquire); }
  // Thread-safe: interrupts epoll_wait; the wake handler (if any) is then scheduled on the loop.
  void wake();
  // Runs on the loop after each wake() (coalesced); use it for reload/drain signals carried in
  // the caller's own atomics. nullptr removes it.
  void set_wake_handler(Handler* h) { wake_handler_ = h; }

  // Monotonic time cached at the start of the iteration and after epoll_wait returns.
  Clock::time_point now() const { return now_; }
  // The same, in milliseconds since the loop was created (the timer wheel's clock).
  uint64_t now_ms() const { return now_ms_; }
  TimerWheel& timers() { return timers_; }

  // True while some handler waits in the run queue.
  bool has_queued() const { return queue_.next_ != &queue_; }
  size_t watches() const { return watches_; }
  // Iterations completed and handler runs so far (for tests and metrics).
  uint64_t iterations() const { return iterations_; }
  uint64_t handler_runs() const { return handler_runs_; }

 private:
  friend class IoWatch;
  friend class detail::Uring;
  EventLoop(int epoll_fd, int event_fd, const VirtualClock* clock);
  void refresh_clock();
  int wait_timeout(int max_wait_ms) const;
  void run_queue();
  static void make_empty(Handler& sentinel) { sentinel.prev_ = sentinel.next_ = &sentinel; }
  void dispatch(void* tag, uint32_t events);

  int epoll_fd_;
  int event_fd_;
  std::atomic<bool> stop_{false};
  Handler* wake_handler_ = nullptr;
  const VirtualClock* virtual_clock_;
  Clock::time_point start_;
  Clock::time_point now_;
  uint64_t now_ms_ = 0;
  TimerWheel timers_;
  // Sentinel of the circular run queue (an intrusive list through Handler::prev_/next_).
  struct Sentinel final : Handler {
    void on_ready() override {}
  } queue_;
  size_t watches_ = 0;
  uint64_t iterations_ = 0;
  uint64_t handler_runs_ = 0;
  std::vector<std::unique_ptr<Handler>> retired_;
  // io_uring backend (null: epoll). Declared after the timers (its channels may hold timers)
  // and before the wake reader (whose watch reports through it).
  struct UringDeleter {
    void operator()(detail::Uring* u) const;
  };
  std::unique_ptr<detail::Uring, UringDeleter> uring_;
  std::optional<codecs::Error> io_uring_refused_;
  struct WakeReader final : Handler {
    EventLoop* loop = nullptr;
    std::unique_ptr<IoWatch> watch;
    void on_ready() override;
  } wake_reader_;
};

}  // namespace crossmux::mux::net
