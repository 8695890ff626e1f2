// io_uring backend of the EventLoop (internal to mux/net): the ring, its provided-buffer group, and
// the per-socket state behind TcpStream and TcpListener once they run in completion mode.
#pragma once

#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "mux/net/byte_stream.h"
#include "mux/net/socket.h"
#include "mux/net/timer_wheel.h"

namespace crossmux::mux::net {

class EventLoop;
class IoWatch;

namespace detail {

class Uring;

// What a completion is for; stored in the low bits of its user_data next to the channel pointer.
enum class OpKind : uint64_t { Ignore = 0, Poll = 1, Recv = 2, Send = 3, Accept = 4, Connect = 5 };

// Anything with operations in flight on the ring. Its owner (an IoWatch, a TcpStream, a
// TcpListener) calls release() instead of deleting it: the kernel may still write into its buffers
// or report on it, so the ring frees it once its last operation completed. If the ring goes first,
// the channel is orphaned (ring_ null) and release() frees it at once.
class RingChannel {
 public:
  RingChannel(const RingChannel&) = delete;
  Uring* ring() const { return ring_; }
  RingChannel& operator=(const RingChannel&) = delete;
  // A completion for one of this channel's operations. `last` is false while a multishot
  // operation stays armed (IORING_CQE_F_MORE).
  virtual void complete(OpKind kind, const io_uring_cqe& cqe, bool last) = 0;
  // The IoWatch this channel reports to is going away.
  virtual void watch_gone() = 0;
  void release();

 protected:
  explicit RingChannel(Uring& ring);
  virtual ~RingChannel();
  // The owner let go: cancel what is armed (called once, with the ring alive).
  virtual void on_release() = 0;
  // Sets readiness bits on the attached watch (and schedules its handler), as an epoll edge would.
  void raise(uint32_t bits);
  // The ring is being destroyed while the owner still holds this channel.
  virtual void on_orphaned() {}
  // Work that outlives the owner without an operation in flight yet (queued bytes to send).
  virtual bool lingers() const { return false; }
  io_uring_sqe* start(OpKind kind);  // an SQE tagged for this channel; counts it in flight
  void cancel(OpKind kind);          // asks the kernel to end that operation (no-op if none)
  void ended() {
    --inflight_;
    maybe_free();
  }
  void maybe_free();

  Uring* ring_;
  IoWatch* watch_ = nullptr;  // where readiness goes (none while no watch is attached)
  uint32_t inflight_ = 0;
  bool released_ = false;

 private:
  friend class Uring;
  RingChannel* prev_ = nullptr;  // the ring's registry of live channels
  RingChannel* next_ = nullptr;
};

// A generic fd watch: a multishot poll, edge-triggered like the epoll watch it replaces.
class RingPoll final : public RingChannel {
 public:
  RingPoll(Uring& ring, int fd, IoWatch& watch);
  void complete(OpKind kind, const io_uring_cqe& cqe, bool last) override;
  void watch_gone() override {
    watch_ = nullptr;
    release();
  }

 private:
  void on_release() override;
  void arm();
  int fd_;
  bool armed_ = false;
};

// A connected (or connecting) TCP socket in completion mode: a multishot receive into the ring's
// provided buffers, and writes gathered into one send per connection per loop turn. Readiness
// for the owner's IoWatch mirrors epoll's: readable while received bytes wait, writable while the
// send queue has room. Owns the descriptor (closed once the last operation ended).
class RingSocket final : public RingChannel {
 public:
  // `burst`: multishot receives from the start (else one buffer per receive until the owner
  // kept up; TcpStream::set_burst_receive).
  RingSocket(Uring& ring, Fd fd, bool connecting, bool burst);
  ~RingSocket() override;
  int fd() const { return fd_.get(); }
  void attach(IoWatch* watch);
  IoResult read(MutableBytes into);
  IoResult write(Bytes data);
  IoResult writev(std::span<const Bytes> data);
  // Takes `out`'s parts when the send queue has room for all of them (the buffers wait here
  // until the kernel took them: no copy), else copies what fits.
  IoResult write_chain(codecs::ByteChain& out);
  IoResult shutdown_write();
  // Octets written and not yet taken by the kernel.
  size_t queued_send() const { return pending_.size() + sending_.size(); }
  void complete(OpKind kind, const io_uring_cqe& cqe, bool last) override;
  void watch_gone() override { watch_ = nullptr; }
  // Called by the ring just before it enters the kernel: submits the gathered send, re-arms the
  // receive.
  void flush();
  // Called by the ring before it enters the kernel, for a socket that received this turn: what
  // its owner left unread moves into the socket's own memory and the buffers go back to the
  // group. A reader that falls behind then holds its bytes as the kernel would in its socket
  // buffer, and stalled readers, however many, cannot leave the loop's other connections
  // without buffers.
  void spill_unread();
  // The buffer group ran dry under this socket's receive and has buffers again.
  void buffers_back() {
    starved_ = false;
    want_flush();
  }
  bool queued_for_flush = false;
  bool queued_for_spill = false;

 private:
  struct Chunk {
    uint16_t bid;
    uint32_t len;
    uint32_t off;
  };
  void on_release() override;
  void on_orphaned() override;
  bool lingers() const override { return lingering_; }
  void arm_recv();
  void on_recv(const io_uring_cqe& cqe, bool last);
  void on_send(const io_uring_cqe& cqe);
  void on_connect(const io_uring_cqe& cqe);
  void want_flush();
  bool may_receive() const;
  void finish_shutdown();
  void drop_received();
  // Moves the held chunks into spill_ and gives their buffers back to the group.
  void spill();

  Fd fd_;
  // Receive side.
  std::vector<Chunk> chunks_;
  size_t chunk_head_ = 0;
  codecs::ByteBuffer spill_;  // received bytes of a reader that fell behind (before chunks_)
  size_t held_ = 0;           // received bytes not read yet (spill_ and chunks_)
  bool recv_armed_ = false;
  bool recv_cancelled_ = false;
  // Single-shot receives, one buffer each: once the reader fell behind, and from the start
  // unless the stream bursts (TcpStream::set_burst_receive).
  bool throttled_;
  bool starved_ = false;  // the buffer group ran dry: re-armed when buffers come back
  bool eof_ = false;
  int recv_error_ = 0;
  // Send side: writes append to pending_ (copies into its written parts, chains spliced);
  // flush() moves it to sending_ for one send of up to kMaxIov parts (a plain send for one part).
  codecs::ByteChain pending_;
  codecs::ByteChain sending_;
  static constexpr size_t kMaxIov = 64;
  // Chains from this size on are taken as they are (write_chain); shorter ones are copied.
  static constexpr size_t kMinSplice = 4096;
  std::array<iovec, kMaxIov> iov_{};
  msghdr msg_{};
  // The written room a copy needs, from the ring's spares; spares back to the ring when idle.
  void ready_pending();
  void return_spares();
  bool send_armed_ = false;
  bool write_blocked_ = false;  // a write was refused or cut short: raise writable on room
  bool shutdown_pending_ = false;
  bool shut_ = false;
  int send_error_ = 0;
  bool connecting_;
  // Released with bytes still queued: they are sent before the descriptor closes.
  bool lingering_ = false;
  std::unique_ptr<Timer> linger_;
  static constexpr uint64_t kLingerMs = 30000;
};

// A listening socket in completion mode: a multishot accept whose new descriptors wait in a queue
// until the owner's accept() takes them. The queue stays with the listener when its watch goes
// (a listener handed over to a new configuration keeps what was accepted).
class RingAcceptor final : public RingChannel {
 public:
  RingAcceptor(Uring& ring, int listen_fd);
  ~RingAcceptor() override;
  void attach(IoWatch* watch);
  // A queued connection (true), or false when none waits.
  bool pop(int& fd);
  // Whether the kernel is accepting for us (else the owner accepts with system calls).
  bool armed() const { return armed_; }
  // The errno of a failed accept (reported once by the owner's accept()), or 0.
  int take_error() {
    const int e = error_;
    error_ = 0;
    return e;
  }
  void complete(OpKind kind, const io_uring_cqe& cqe, bool last) override;
  void watch_gone() override;
  // Moves the queued connections of `other` (an acceptor on another loop) to this one.
  void adopt_queue(RingAcceptor& other);

 private:
  void on_release() override;
  void on_orphaned() override;
  void arm();
  int fd_;
  std::vector<int> queue_;
  size_t head_ = 0;
  bool armed_ = false;    // we want the kernel accepting (cleared as soon as we cancel)
  bool op_live_ = false;  // the multishot accept has not reported its last completion
  int error_ = 0;
  std::unique_ptr<Timer> retry_;  // re-arms after a resource error (EMFILE and friends)
};

// The ring of one EventLoop. Created disabled; the first thread that runs the loop enables it (a
// single issuer: the kernel then runs completions only when that thread enters).
class Uring {
 public:
  // Null (with errno-style `err`) when io_uring cannot be used here: too old a kernel, disabled
  // by sysctl or seccomp, or no provided-buffer rings.
  static std::unique_ptr<Uring> create(EventLoop& loop, int& err);
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  // Submits what is queued and waits up to `timeout_ms` (-1: no limit, 0: just collect) for
  // completions, dispatching each to its channel. Returns 0 or -errno.
  int wait(int timeout_ms);

  // Submits what is queued now, within the turn, and runs the kernel's deferred completion work
  // (one enter). For removals that must take effect before the caller's next system call.
  void submit_now();

  // An SQE; when the submission queue is full, what it holds is submitted first.
  io_uring_sqe* sqe();
  EventLoop& loop() { return loop_; }

  // Provided receive buffers (one group).
  uint16_t group() const { return kGroup; }
  const uint8_t* buffer(uint16_t bid) const { return buffers_.get() + size_t{bid} * kBufferSize; }
  void recycle(uint16_t bid);
  void starved(RingSocket& s);

  // Sockets with work for flush() before the next enter.
  void want_flush(RingSocket& s);
  // Sockets that received this turn: spill_unread() before the next enter.
  void holds(RingSocket& s);

  // Counters for tests and benchmarks.
  struct Stats {
    uint64_t enters = 0;          // io_uring_enter calls (one per loop turn, unless the SQ filled)
    uint64_t sends = 0;           // send operations (one per connection per turn at most)
    uint64_t receives_armed = 0;  // multishot receives started (again after a pause or end)
    uint64_t completions = 0;
    uint64_t buffers_out = 0;  // provided buffers holding received bytes (not back in the group)
    uint64_t send_copied = 0;  // bytes copied into send queues (write/writev, short chains)
  };
  Stats& stats() { return stats_; }

  // Spare send buffers (a connection with nothing to send holds none).
  codecs::ByteBuffer take_buffer();
  void give_buffer(codecs::ByteBuffer&& b);

  static constexpr size_t kBufferSize = 16 * 1024;
  // The kernel takes provided buffers in ring order, so each comes back into use only every
  // kBuffers receives: fewer buffers keep the copies into and out of them in cache (at 256, perf
  // found both copies cache-cold, ~1.8x HAProxy's). What a turn's receives take goes back at its
  // end (spill_unread), so the ring needs a turn's receives, not one buffer per connection:
  // 1,000 concurrent h2c streams through HTTP/1.1 backends started no extra receive at 64
  // (crossmux_io_uring_events_total); a turn that takes them all waits for the next (ENOBUFS).
  static constexpr unsigned kBuffers = 64;
  // Received bytes a socket may hold unread before its receive is paused (backpressure).
  static constexpr size_t kMaxHeld = 64 * 1024;
  // Bytes a socket's send queue accepts before writes report WouldBlock: bytes held outside the
  // proxy's own accounting (like the kernel's socket buffer), so a peer that stops reading pins
  // at most this much here; the rest waits in the proxy's counted buffers.
  static constexpr size_t kMaxQueued = 64 * 1024;

 private:
  friend class RingChannel;
  static constexpr uint16_t kGroup = 0;
  explicit Uring(EventLoop& loop) : loop_(loop) {}
  void link(RingChannel& c);
  void unlink(RingChannel& c);
  void flush();
  void dispatch(const io_uring_cqe& cqe);

  EventLoop& loop_;
  io_uring ring_{};
  bool ring_ready_ = false;
  bool enabled_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  size_t buf_ring_bytes_ = 0;
  std::unique_ptr<uint8_t[]> buffers_;
  RingChannel* channels_ = nullptr;  // every live channel (freed or orphaned with the ring)
  std::vector<RingSocket*> flush_;
  std::vector<RingSocket*> flushing_;  // the batch Uring::flush() works through
  std::vector<RingSocket*> holding_;
  std::vector<RingSocket*> starved_;
  std::vector<codecs::ByteBuffer> spare_;
  Stats stats_;
};

// Readiness bits (Ready) of an epoll or poll event mask (the bits are the same): a hang-up or an
// error also marks the descriptor readable (and an error writable) so that the owner's next call
// observes it.
uint32_t readiness_of(uint32_t events);

// True when `fd` is a valid descriptor (ring watches are created without a system call that
// would report a bad one).
bool valid_fd(int fd);

}  // namespace detail
}  // namespace crossmux::mux::net
