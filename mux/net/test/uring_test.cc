// io_uring backend: backend choice (io_uring unless epoll is asked for, epoll where io_uring is
// blocked), completion-mode streams (one send per connection per turn, one kernel entry per
// turn), receive backpressure, bytes and FIN that outlive their stream, a FIN that leaves at once
// when a watched descriptor is closed, accepted connections that stay with their listener, and a
// buffer group that runs dry.
#include "mux/net/uring.h"

#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "codecs/base/byte_chain.h"
#include "mux/net/event_loop.h"
#include "mux/net/net_errors.h"
#include "mux/net/socket.h"
#include "mux/net/test/peers.h"

namespace crossmux::mux::net {
namespace {

using testing::AcceptHandler;
using testing::fnv1a;
using testing::kFnvSeed;

using testing::loopback;

// An io_uring loop, or a skip where this kernel or sandbox has none.
#define REQUIRE_URING(loop)                                                        \
  if (auto usable = EventLoop::io_uring_usable(); !usable)                         \
    GTEST_SKIP() << "io_uring unavailable: " << codecs::to_string(usable.error()); \
  auto loop = EventLoop::create(nullptr, LoopBackend::IoUring).value();            \
  ASSERT_EQ(loop->backend(), LoopBackend::IoUring)

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  return v;
}

// A server-side connection in completion mode: reads (while `reading`) into a running hash, and
// writes what the test gives it.
class Conn final : public Handler {
 public:
  Conn(EventLoop& loop, TcpStream s)
      : loop_(loop), stream_(std::make_unique<TcpStream>(std::move(s))) {
    watch_ = IoWatch::create(loop, *stream_, *this).value();
  }
  void on_ready() override {
    if (!watch_) return;  // dropped
    while (reading && watch_->readable() && !closed) {
      uint8_t buf[8192];
      IoResult r = stream_->read(buf);
      watch_->note(r);
      if (r.ok()) {
        hash = fnv1a(hash, Bytes(buf, r.bytes));
        received += r.bytes;
      } else if (!r.would_block()) {
        closed = true;
      }
    }
    if (after_read) after_read(*this);
  }
  TcpStream& stream() { return *stream_; }
  IoWatch& watch() { return *watch_; }
  void drop() {
    watch_.reset();
    stream_.reset();
  }
  bool reading = true;
  bool closed = false;
  size_t received = 0;
  uint64_t hash = kFnvSeed;
  std::function<void(Conn&)> after_read;

 private:
  EventLoop& loop_;
  std::unique_ptr<TcpStream> stream_;
  std::unique_ptr<IoWatch> watch_;
};

// A listener whose connections become Conns.
struct Server {
  explicit Server(EventLoop& loop)
      : listener(TcpListener::bind(loopback()).value()),
        acceptor(loop, listener, [this, &loop](TcpStream s) {
          conns.push_back(std::make_unique<Conn>(loop, std::move(s)));
        }) {}
  TcpListener listener;
  AcceptHandler<TcpListener> acceptor;
  std::vector<std::unique_ptr<Conn>> conns;
};

// A plain blocking-free client socket in syscall mode, driven from the test body.
TcpStream connect_client(EventLoop& loop, uint16_t port, int rcvbuf = 0) {
  TcpStream c = TcpStream::connect(loopback(port)).value();
  if (rcvbuf > 0) ::setsockopt(c.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  for (int i = 0; i < 200 && !c.finish_connect(); ++i) (void)loop.run_once(1);
  return c;
}

// Runs loop turns until done() (which may have side effects: called once per turn).
template <class Pred>
bool run_until(EventLoop& loop, Pred done, int turns = 5000) {
  for (int i = 0; i < turns; ++i) {
    if (done()) return true;
    (void)loop.run_once(1);
  }
  return false;
}

TEST(LoopBackendNames, RoundTrip) {
  for (LoopBackend b : {LoopBackend::Auto, LoopBackend::Epoll, LoopBackend::IoUring}) {
    EXPECT_EQ(parse_loop_backend(to_string(b)), b);
  }
  EXPECT_EQ(parse_loop_backend("uring"), std::nullopt);
  EXPECT_EQ(to_string(LoopBackend::IoUring), "io_uring");
}

TEST(LoopBackendChoice, IoUringWhereItWorksUnlessTheEnvironmentAsksForEpoll) {
  const auto usable = EventLoop::io_uring_usable();
  const LoopBackend best = usable ? LoopBackend::IoUring : LoopBackend::Epoll;
  // Unset, `auto`, `io_uring`, or a name that is no backend: io_uring where it works.
  ::unsetenv("CROSSMUX_EVENT_LOOP");
  for (const char* asks : {"", "io_uring", "auto", "uring"}) {
    if (*asks != '\0') ::setenv("CROSSMUX_EVENT_LOOP", asks, 1);
    auto loop = EventLoop::create().value();
    EXPECT_EQ(loop->backend(), best) << asks;
    EXPECT_EQ(loop->io_uring_refused().has_value(), !usable) << asks;
    if (!usable) {
      EXPECT_EQ(loop->io_uring_refused()->detail, errors::kIoUring);
    }
  }
  // The operator's way out, and nothing to explain: epoll was asked for.
  ::setenv("CROSSMUX_EVENT_LOOP", "epoll", 1);
  auto epoll = EventLoop::create().value();
  EXPECT_EQ(epoll->backend(), LoopBackend::Epoll);
  EXPECT_FALSE(epoll->io_uring_refused().has_value());
  // An explicit choice wins over the environment; a virtual clock always runs on epoll.
  EXPECT_EQ(EventLoop::create(nullptr, LoopBackend::IoUring).has_value(), usable.has_value());
  ::unsetenv("CROSSMUX_EVENT_LOOP");
  EXPECT_EQ(EventLoop::create(nullptr, LoopBackend::Epoll).value()->backend(), LoopBackend::Epoll);
  VirtualClock clock;
  EXPECT_EQ(EventLoop::create(&clock).value()->backend(), LoopBackend::Epoll);
  auto uring = EventLoop::create(nullptr, LoopBackend::IoUring);
  if (usable) {
    ASSERT_TRUE(uring.has_value());
    EXPECT_EQ((*uring)->backend(), LoopBackend::IoUring);
  } else {
    ASSERT_FALSE(uring.has_value());
    EXPECT_EQ(uring.error().detail, errors::kIoUring);
  }
}

// Makes io_uring_setup fail with EPERM in this process from now on, as container runtimes'
// default seccomp profiles do. False where seccomp filters cannot be installed.
bool block_io_uring_setup() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// In a child whose io_uring_setup is refused: a default loop runs on epoll, says why, and moves
// bytes; an explicit io_uring loop fails. Exit code 0 when all of that holds, else the number of
// the first check that did not.
[[noreturn]] void fall_back_where_io_uring_is_blocked() {
  if (!block_io_uring_setup()) std::_Exit(10);
  ::unsetenv("CROSSMUX_EVENT_LOOP");
  auto loop = EventLoop::create();
  if (!loop) std::_Exit(1);
  if ((*loop)->backend() != LoopBackend::Epoll) std::_Exit(2);
  const auto& why = (*loop)->io_uring_refused();
  if (!why || why->detail != std::string_view(errors::kIoUring) || why->code != EPERM) {
    std::_Exit(3);
  }
  Server server(**loop);
  TcpStream client = connect_client(**loop, server.listener.port());
  if (!client.write(codecs::as_bytes("over epoll")).ok()) std::_Exit(4);
  if (!run_until(**loop,
                 [&] { return !server.conns.empty() && server.conns[0]->received == 10; })) {
    std::_Exit(5);
  }
  auto strict = EventLoop::create(nullptr, LoopBackend::IoUring);
  if (strict || strict.error().code != EPERM) std::_Exit(6);
  std::_Exit(0);
}

TEST(LoopBackendChoice, FallsBackToEpollWhereSeccompBlocksIoUringSetup) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(fall_back_where_io_uring_is_blocked(), ::testing::ExitedWithCode(0), "");
}

TEST(IoUring, StreamWatchesSwitchToCompletionModeAndEachTurnEntersOnce) {
  REQUIRE_URING(loop);
  Server server(*loop);
  TcpStream client = connect_client(*loop, server.listener.port());
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == 1; }));
  EXPECT_TRUE(server.conns[0]->stream().completion_mode());
  EXPECT_FALSE(client.completion_mode());  // never watched through the stream

  // Ping-pong: each turn is one io_uring_enter (submit and wait together).
  const auto before = loop->ring_stats();
  const uint64_t turns_before = loop->iterations();
  server.conns[0]->after_read = [](Conn& c) {
    if (c.received > 0 && c.received % 4 == 0) {
      (void)c.stream().write(codecs::as_bytes("pong"));
      c.received = 0;
    }
  };
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(client.write(codecs::as_bytes("ping")).ok());
    uint8_t buf[16];
    IoResult r;
    ASSERT_TRUE(run_until(*loop, [&] { return (r = client.read(buf)).ok(); })) << "round " << i;
    EXPECT_EQ(r.bytes, 4u);
  }
  const auto after = loop->ring_stats();
  EXPECT_EQ(after.enters - before.enters, loop->iterations() - turns_before);
  EXPECT_GE(after.sends - before.sends, 50u);
}

TEST(IoUring, WritesOfOneTurnLeaveInOneSend) {
  REQUIRE_URING(loop);
  Server server(*loop);
  TcpStream client = connect_client(*loop, server.listener.port());
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == 1; }));
  (void)loop->run_once(0);
  const uint64_t sends = loop->ring_stats().sends;
  TcpStream& s = server.conns[0]->stream();
  std::string expected;
  for (int i = 0; i < 10; ++i) {
    const std::string piece = "piece" + std::to_string(i) + ";";
    ASSERT_TRUE(s.write(codecs::as_bytes(piece)).ok());
    expected += piece;
  }
  const Bytes parts[2] = {codecs::as_bytes("and"), codecs::as_bytes("more")};
  ASSERT_TRUE(s.writev(parts).ok());
  expected += "andmore";
  std::string got;
  ASSERT_TRUE(run_until(*loop, [&] {
    uint8_t buf[256];
    IoResult r = client.read(buf);
    if (r.ok()) got.append(reinterpret_cast<char*>(buf), r.bytes);
    return got.size() >= expected.size();
  }));
  EXPECT_EQ(got, expected);
  EXPECT_EQ(loop->ring_stats().sends - sends, 1u);
}

// A reader that stops reading must not let the ring take the buffer group: the receive pauses
// once Uring::kMaxHeld bytes wait, and what follows stays in the kernel (TCP flow control).
// The first time, one kernel entry may already have drained what the kernel and the sender had
// buffered; from then on the socket receives one buffer at a time, so a second stall holds at
// most kMaxHeld plus one buffer. Reading resumes the receive.
TEST(IoUring, UnreadBytesPauseTheReceiveUntilRead) {
  REQUIRE_URING(loop);
  Server server(*loop);
  TcpStream client = connect_client(*loop, server.listener.port());
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == 1; }));
  Conn& conn = *server.conns[0];
  const std::vector<uint8_t> data = pattern(32 << 20);
  size_t sent = 0;
  auto push = [&] {
    IoResult w = client.write(Bytes(data.data() + sent, data.size() - sent));
    if (w.ok()) sent += w.bytes;
    return w.ok() && w.bytes > 0;
  };
  auto stall = [&] {  // the peer writes until it has been pushed back for 50 turns
    conn.reading = false;
    for (int idle = 0; idle < 50 && sent < data.size();) {
      idle = push() ? 0 : idle + 1;
      (void)loop->run_once(1);
    }
  };
  auto held_by_ring = [&] {
    int in_kernel = 0;
    int unsent = 0;
    EXPECT_EQ(::ioctl(conn.stream().fd(), SIOCINQ, &in_kernel), 0);
    EXPECT_EQ(::ioctl(client.fd(), SIOCOUTQ, &unsent), 0);
    return sent - conn.received - static_cast<size_t>(in_kernel) - static_cast<size_t>(unsent);
  };
  auto resume = [&] {
    conn.reading = true;
    loop->schedule(conn);
  };
  stall();
  ASSERT_LT(sent, data.size()) << "the peer never pushed back";
  resume();
  ASSERT_TRUE(run_until(*loop, [&] { return conn.received == sent; }));
  stall();
  ASSERT_LT(sent, data.size()) << "the peer never pushed back";
  EXPECT_LE(held_by_ring(), detail::Uring::kMaxHeld + detail::Uring::kBufferSize);
  resume();
  ASSERT_TRUE(run_until(
      *loop,
      [&] {
        if (sent < data.size()) push();
        return conn.received == data.size();
      },
      20000));
  EXPECT_EQ(conn.hash, fnv1a(kFnvSeed, data));
}

// Written bytes are sent bytes to the writer: a stream destroyed right after writing (and
// half-closing) still delivers them, then the FIN, however slowly the peer reads.
TEST(IoUring, QueuedBytesAndFinOutliveTheStream) {
  REQUIRE_URING(loop);
  Server server(*loop);
  TcpStream client = connect_client(*loop, server.listener.port(), 32 * 1024);
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == 1; }));
  const std::vector<uint8_t> data = pattern(detail::Uring::kMaxQueued);  // all the queue takes
  Conn& conn = *server.conns[0];
  // Small kernel buffers on both sides: at close, most of the data is still ours to send.
  const int sndbuf = 16 * 1024;
  ASSERT_EQ(::setsockopt(conn.stream().fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
  const IoResult w = conn.stream().write(Bytes(data.data(), data.size()));
  ASSERT_TRUE(w.ok());
  ASSERT_EQ(w.bytes, data.size());
  ASSERT_TRUE(conn.stream().shutdown_write().ok());
  conn.drop();
  std::vector<uint8_t> got;
  bool eof = false;
  ASSERT_TRUE(run_until(
      *loop,
      [&] {
        // A reader with a small window: the sender's socket buffer fills many times over.
        uint8_t buf[1024];
        IoResult r;
        while ((r = client.read(buf)).ok()) got.insert(got.end(), buf, buf + r.bytes);
        eof = r.status == IoStatus::Closed;
        return eof || !r.would_block();
      },
      20000));
  EXPECT_TRUE(eof);
  EXPECT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data);
}

// What a reader leaves unread by the end of a loop turn leaves the buffer group every connection
// of the loop receives into (as the kernel would keep it in the socket's buffer): more stalled
// connections than the group could hold, each holding less than kMaxHeld, leave its buffers
// free, another connection still receives at once, and the stalled ones read every byte, in
// order, once they resume.
TEST(IoUring, StalledReadersLeaveTheBufferGroupToTheOthers) {
  REQUIRE_URING(loop);
  using detail::Uring;
  Server server(*loop);
  constexpr size_t kEach = 3 * Uring::kBufferSize;  // under kMaxHeld: the receive never pauses
  constexpr size_t kStalled = Uring::kBuffers * Uring::kBufferSize / kEach + 16;
  std::vector<TcpStream> clients;
  for (size_t i = 0; i < kStalled; ++i)
    clients.push_back(connect_client(*loop, server.listener.port()));
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == kStalled; }));
  for (auto& c : server.conns) c->reading = false;
  static_assert(kEach < Uring::kMaxHeld);
  const std::vector<uint8_t> data = pattern(kEach);
  std::vector<size_t> sent(kStalled, 0);
  ASSERT_TRUE(run_until(*loop, [&] {
    bool all = true;
    for (size_t i = 0; i < kStalled; ++i) {
      const IoResult w = clients[i].write(Bytes(data.data() + sent[i], data.size() - sent[i]));
      if (w.ok()) sent[i] += w.bytes;
      all = all && sent[i] == data.size();
    }
    return all;
  }));
  for (int i = 0; i < 50; ++i) (void)loop->run_once(1);
  EXPECT_LE(loop->ring_stats().buffers_out, Uring::kBuffers / 8);

  TcpStream late = connect_client(*loop, server.listener.port());
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == kStalled + 1; }));
  ASSERT_TRUE(late.write(codecs::as_bytes("hello")).ok());
  EXPECT_TRUE(run_until(
      *loop, [&] { return server.conns.back()->received == 5; }, 500))
      << "a connection could not receive while others were stalled";

  for (size_t i = 0; i < kStalled; ++i) {
    server.conns[i]->reading = true;
    loop->schedule(*server.conns[i]);
  }
  ASSERT_TRUE(run_until(*loop, [&] {
    for (size_t i = 0; i < kStalled; ++i) {
      if (server.conns[i]->received != data.size()) return false;
    }
    return true;
  }));
  for (size_t i = 0; i < kStalled; ++i)
    EXPECT_EQ(server.conns[i]->hash, fnv1a(kFnvSeed, data)) << i;
  EXPECT_EQ(loop->ring_stats().buffers_out, 0u);
}

// A connection this side opens receives one buffer per receive (a paced start: a backend whose
// client stalled must not take a socket buffer's worth out of the kernel at once) unless told to
// burst; an accepted one bursts (a multishot receive takes every buffer without re-arming).
TEST(IoUring, ConnectionsWeOpenArePacedUnlessToldToBurst) {
  REQUIRE_URING(loop);
  Server server(*loop);
  for (const bool burst : {false, true}) {
    TcpStream out = TcpStream::connect(loopback(server.listener.port())).value();
    if (burst) out.set_burst_receive(true);
    Conn client(*loop, std::move(out));
    const size_t accepted = server.conns.size() + 1;
    ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == accepted; }));
    for (int i = 0; i < 5; ++i) (void)loop->run_once(1);  // connected, receive armed
    const std::vector<uint8_t> data = pattern(4 * detail::Uring::kBufferSize);
    const uint64_t armed = loop->ring_stats().receives_armed;
    const IoResult w = server.conns.back()->stream().write(Bytes(data.data(), data.size()));
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w.bytes, data.size());
    ASSERT_TRUE(run_until(*loop, [&] { return client.received == data.size(); }));
    EXPECT_EQ(client.hash, fnv1a(kFnvSeed, data));
    const uint64_t rearmed = loop->ring_stats().receives_armed - armed;
    if (burst) {
      EXPECT_EQ(rearmed, 0u) << "a bursting receive re-armed";
    } else {
      EXPECT_GE(rearmed, 3u) << "a paced receive took more than one buffer at a time";
    }
  }
}

// A chain written through a stream in completion mode reaches the peer without a copy in user
// space when it is long enough and the send queue has room for it: the ring sends the chain's
// own buffers (framing part, adopted body, a view into it). A short chain, and what exceeds the
// room, are copied. Every byte arrives, in order.
TEST(IoUring, LongChainsAreSentFromTheirOwnBuffers) {
  REQUIRE_URING(loop);
  Server server(*loop);
  TcpStream client = connect_client(*loop, server.listener.port());
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == 1; }));
  TcpStream& out = server.conns[0]->stream();
  const std::vector<uint8_t> data = pattern(3 * detail::Uring::kMaxQueued);
  size_t made = 0;
  auto chain_of = [&](size_t head, size_t body) {  // a written part, then an adopted one
    codecs::ByteChain c;
    c.append(Bytes(data.data() + made, head));
    codecs::ByteBuffer b;
    b.append(data.data() + made + head, body);
    c.own(b);
    made += head + body;
    return c;
  };
  std::vector<uint8_t> got;
  auto drain = [&] {
    return run_until(*loop, [&] {
      uint8_t buf[65536];
      IoResult r;
      while ((r = client.read(buf)).ok()) got.insert(got.end(), buf, buf + r.bytes);
      return got.size() == made;
    });
  };
  const auto copied = [&] { return loop->ring_stats().send_copied; };

  uint64_t before = copied();
  codecs::ByteChain long_chain = chain_of(100, 16384);
  IoResult w = out.write_chain(long_chain);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.bytes, 16484u);
  EXPECT_TRUE(long_chain.empty());
  EXPECT_EQ(copied() - before, 0u) << "a long chain was copied";
  ASSERT_TRUE(drain());

  before = copied();
  codecs::ByteChain short_chain = chain_of(10, 1000);
  w = out.write_chain(short_chain);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.bytes, 1010u);
  EXPECT_EQ(copied() - before, 1010u);
  ASSERT_TRUE(drain());

  // More than the queue takes: what fits is copied, the rest stays in the chain.
  before = copied();
  codecs::ByteChain big = chain_of(0, 2 * detail::Uring::kMaxQueued);
  w = out.write_chain(big);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.bytes, detail::Uring::kMaxQueued);
  EXPECT_EQ(big.size(), detail::Uring::kMaxQueued);
  EXPECT_EQ(copied() - before, detail::Uring::kMaxQueued);
  made -= big.size();
  ASSERT_TRUE(drain());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), data.begin()));
}

// One part (a request head, a single body buffer) goes as a plain send, many as a sendmsg; both
// wait for the whole (MSG_WAITALL): a part larger than the peer's socket can take at once, read
// only turns later, leaves in exactly one send operation, every byte in order.
TEST(IoUring, APartLargerThanThePeersWindowLeavesInOneSend) {
  REQUIRE_URING(loop);
  Server server(*loop);
  // A peer with a small receive buffer from its SYN on, which reads only turns later; the
  // sender's own buffer small too: 64 KiB cannot leave in one go.
  const int small = 4096;
  const int peer = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(peer, 0);
  ::setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  const SocketAddress to = loopback(server.listener.port());
  ASSERT_EQ(::connect(peer, to.raw(), to.size()), 0);
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == 1; }));
  TcpStream& out = server.conns[0]->stream();
  ::setsockopt(out.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const std::vector<uint8_t> data = pattern(detail::Uring::kMaxQueued);
  for (const size_t parts : {size_t{1}, size_t{4}}) {
    codecs::ByteChain chain;
    const size_t each = data.size() / parts;
    for (size_t i = 0; i < parts; ++i) {
      codecs::ByteBuffer b;
      b.append(data.data() + i * each, each);
      chain.own(b);
    }
    const uint64_t sends = loop->ring_stats().sends;
    const IoResult w = out.write_chain(chain);
    ASSERT_TRUE(w.ok());
    ASSERT_EQ(w.bytes, data.size());
    for (int i = 0; i < 20; ++i) (void)loop->run_once(1);  // the peer does not read yet
    std::vector<uint8_t> got;
    ASSERT_TRUE(run_until(*loop, [&] {
      uint8_t buf[4096];
      ssize_t r;
      while ((r = ::recv(peer, buf, sizeof buf, MSG_DONTWAIT)) > 0)
        got.insert(got.end(), buf, buf + r);
      return got.size() >= data.size();
    }));
    EXPECT_TRUE(got == data) << parts << " part(s)";
    EXPECT_EQ(loop->ring_stats().sends - sends, 1u) << parts << " part(s)";
  }
  ::close(peer);
}

// A handler that only records that it ran.
struct Flag final : Handler {
  void on_ready() override { ran = true; }
  bool ran = false;
};

// A plain descriptor watch is a multishot poll holding its own reference to the socket: when the
// owner removes the watch and closes the descriptor (as the test origin does with each connection),
// the peer must see the FIN right away, not once the loop turns again (a stalled loop never does).
// No loop turn runs between the close and the peer's read.
TEST(IoUring, RemovingAFdWatchLetsTheOwnersCloseSendTheFinAtOnce) {
  REQUIRE_URING(loop);
  TcpListener listener = TcpListener::bind(loopback()).value();
  TcpStream client = connect_client(*loop, listener.port());
  Accepted accepted;
  ASSERT_TRUE(run_until(*loop, [&] { return listener.accept(accepted).ok(); }));
  Flag flag;
  auto watch = IoWatch::create(*loop, accepted.stream.fd(), flag).value();
  // The poll is armed (and has reported the socket writable) before the watch goes.
  ASSERT_TRUE(run_until(*loop, [&] { return flag.ran; }));
  const uint64_t turns = loop->iterations();
  watch.reset();
  accepted.stream.close();
  pollfd p{client.fd(), POLLIN, 0};
  // Without a bound a broken loop would hang here: 5 s only decides failure.
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "no FIN while the loop did not turn";
  uint8_t buf[16];
  const IoResult r = client.read(buf);
  EXPECT_EQ(r.status, IoStatus::Closed);
  EXPECT_EQ(loop->iterations(), turns);
}

// Connections the ring accepted belong to the listener: a new watch (a new owner after a
// reload) gets them, and an unwatched listener accepts with system calls.
TEST(IoUring, AcceptedConnectionsStayWithTheListener) {
  REQUIRE_URING(loop);
  TcpListener listener = TcpListener::bind(loopback()).value();
  struct Idle final : Handler {
    void on_ready() override { ++runs; }
    int runs = 0;
  } first;
  auto watch = IoWatch::create(*loop, listener, first).value();
  std::vector<TcpStream> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(TcpStream::connect(loopback(listener.port())).value());
  ASSERT_TRUE(run_until(*loop, [&] { return first.runs > 0 && watch->readable(); }));
  for (int i = 0; i < 20; ++i) (void)loop->run_once(1);  // all three completions in
  watch.reset();                                         // nobody accepted them
  TcpListener moved = std::move(listener);
  std::vector<TcpStream> accepted;
  AcceptHandler<TcpListener> second(*loop, moved,
                                    [&](TcpStream s) { accepted.push_back(std::move(s)); });
  ASSERT_TRUE(run_until(*loop, [&] { return accepted.size() == 3; }));
  // Unwatched: pending connections still come out, through accept4.
  TcpListener plain = TcpListener::bind(loopback()).value();
  auto pw = IoWatch::create(*loop, plain, first).value();
  pw.reset();
  TcpStream late = TcpStream::connect(loopback(plain.port())).value();
  Accepted a;
  ASSERT_TRUE(run_until(*loop, [&] { return plain.accept(a).ok(); }));
  EXPECT_EQ(a.peer.to_string(), late.local_address()->to_string());
}

// More unread bytes than the whole buffer group holds: receives stop with ENOBUFS and come back
// as readers return buffers; nothing is lost.
TEST(IoUring, ExhaustedBufferGroupRecovers) {
  REQUIRE_URING(loop);
  Server server(*loop);
  constexpr size_t kConns = 80;  // 80 x 64 KiB held > 256 x 16 KiB in the group
  constexpr size_t kEach = 96 * 1024;
  const std::vector<uint8_t> data = pattern(kEach);
  std::vector<TcpStream> clients;
  std::vector<size_t> sent(kConns, 0);
  for (size_t i = 0; i < kConns; ++i)
    clients.push_back(connect_client(*loop, server.listener.port()));
  ASSERT_TRUE(run_until(*loop, [&] { return server.conns.size() == kConns; }));
  for (auto& c : server.conns) c->reading = false;
  auto push = [&] {
    bool all = true;
    for (size_t i = 0; i < kConns; ++i) {
      if (sent[i] == kEach) continue;
      IoResult w = clients[i].write(Bytes(data.data() + sent[i], kEach - sent[i]));
      if (w.ok()) sent[i] += w.bytes;
      all = all && sent[i] == kEach;
    }
    return all;
  };
  for (int i = 0; i < 300; ++i) {
    push();
    (void)loop->run_once(1);
  }
  for (auto& c : server.conns) {
    c->reading = true;
    loop->schedule(*c);
  }
  ASSERT_TRUE(run_until(
      *loop,
      [&] {
        push();
        for (auto& c : server.conns) {
          if (c->received != kEach) return false;
        }
        return true;
      },
      20000));
  for (auto& c : server.conns) EXPECT_EQ(c->hash, fnv1a(kFnvSeed, data));
}

}  // namespace
}  // namespace crossmux::mux::net
