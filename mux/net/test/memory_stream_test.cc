// MemoryStream and MemoryPeer: the ByteStream contract without a socket, readiness edges raised on
// the stream's IoWatch, connects that wait for the peer; VirtualClock driving the loop's timers.
#include "mux/net/memory_stream.h"

#include <gtest/gtest.h>

#include <string>

#include "mux/net/event_loop.h"
#include "mux/net/net_errors.h"

namespace crossmux::mux::net {
namespace {

class WakeCounter final : public Handler {
 public:
  void on_ready() override { ++runs; }
  int runs = 0;
};

std::string read_all(ByteStream& s, IoWatch& w) {
  std::string out;
  uint8_t buf[4];
  for (;;) {
    IoResult r = s.read(MutableBytes(buf, sizeof buf));
    w.note(r);
    if (!r.ok()) break;
    out.append(reinterpret_cast<const char*>(buf), r.bytes);
  }
  return out;
}

TEST(MemoryStream, ReadsWhatThePeerSentAndRaisesEdges) {
  auto loop = EventLoop::create().value();
  auto pipe = make_memory_pipe();
  WakeCounter h;
  auto w = IoWatch::create(*loop, *pipe.stream, h).value();
  EXPECT_EQ(w->fd(), -1);
  EXPECT_EQ(loop->watches(), 0u);  // not an epoll registration
  // Registration reports a connected stream writable, as epoll does.
  EXPECT_TRUE(w->writable());
  EXPECT_FALSE(w->readable());
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(h.runs, 1);

  pipe.peer.send(codecs::as_bytes("hello world"));
  EXPECT_TRUE(w->readable());
  ASSERT_TRUE(loop->run_once(0));
  EXPECT_EQ(h.runs, 2);
  EXPECT_EQ(read_all(*pipe.stream, *w), "hello world");
  EXPECT_FALSE(w->readable());  // WouldBlock cleared it

  pipe.peer.close_write();
  EXPECT_TRUE(w->readable());
  EXPECT_TRUE(w->hangup());
  uint8_t b[8];
  IoResult r = pipe.stream->read(MutableBytes(b, sizeof b));
  EXPECT_EQ(r.status, IoStatus::Closed);
  EXPECT_STREQ(r.detail, errors::kPeerClosed);
}

TEST(MemoryStream, WritesStopAtCapacityUntilThePeerReads) {
  auto loop = EventLoop::create().value();
  auto pipe = make_memory_pipe({.capacity = 8});
  WakeCounter h;
  auto w = IoWatch::create(*loop, *pipe.stream, h).value();
  IoResult r = pipe.stream->write(codecs::as_bytes("0123456789"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 8u);
  r = pipe.stream->write(codecs::as_bytes("89"));
  w->note(r);
  EXPECT_TRUE(r.would_block());
  EXPECT_EQ(r.blocked_on, Direction::Write);
  EXPECT_FALSE(w->writable());
  std::string got;
  EXPECT_EQ(pipe.peer.receive(got, 3), 3u);
  EXPECT_EQ(got, "012");
  EXPECT_TRUE(w->writable());  // room again: the writable edge
  const codecs::Bytes parts[] = {codecs::as_bytes("ab"), codecs::as_bytes("cd")};
  r = pipe.stream->writev(parts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.bytes, 3u);  // "ab" and the "c" that fits
  pipe.peer.receive(got);
  EXPECT_EQ(got, "01234567abc");

  ASSERT_TRUE(pipe.stream->shutdown_write().ok());
  EXPECT_TRUE(pipe.peer.eof());
  pipe.peer.close();
  EXPECT_EQ(pipe.stream->write(codecs::as_bytes("x")).status, IoStatus::Error);
}

TEST(MemoryStream, ClosedAndResetPeers) {
  auto pipe = make_memory_pipe();
  pipe.peer.close();
  IoResult r = pipe.stream->write(codecs::as_bytes("x"));
  EXPECT_EQ(r.status, IoStatus::Closed);
  EXPECT_STREQ(r.detail, errors::kPeerGone);

  auto reset = make_memory_pipe();
  reset.peer.send(codecs::as_bytes("lost"));
  reset.peer.reset();
  uint8_t b[8];
  r = reset.stream->read(MutableBytes(b, sizeof b));
  EXPECT_EQ(r.status, IoStatus::Error);
  EXPECT_STREQ(r.detail, errors::kReset);
  EXPECT_EQ(reset.stream->write(codecs::as_bytes("x")).status, IoStatus::Error);
}

TEST(MemoryStream, ConnectWaitsForThePeer) {
  auto loop = EventLoop::create().value();
  auto ok = make_memory_pipe({.connected = false});
  WakeCounter h;
  auto w = IoWatch::create(*loop, *ok.stream, h).value();
  EXPECT_FALSE(w->writable());
  EXPECT_TRUE(ok.stream->write(codecs::as_bytes("x")).would_block());
  EXPECT_FALSE(ok.stream->finish_connect().has_value());
  ok.peer.accept();
  EXPECT_TRUE(w->writable());
  EXPECT_TRUE(ok.stream->finish_connect().has_value());
  EXPECT_TRUE(ok.stream->write(codecs::as_bytes("x")).ok());

  auto refused = make_memory_pipe({.connected = false});
  WakeCounter h2;
  auto w2 = IoWatch::create(*loop, *refused.stream, h2).value();
  refused.peer.refuse();
  EXPECT_TRUE(w2->error());
  auto s = refused.stream->finish_connect();
  ASSERT_FALSE(s.has_value());
  EXPECT_STREQ(s.error().detail, errors::kConnectRefused);
}

TEST(MemoryStream, DestroyedWatchAndStreamAreSeenByThePeer) {
  auto loop = EventLoop::create().value();
  auto pipe = make_memory_pipe();
  WakeCounter h;
  { auto w = IoWatch::create(*loop, *pipe.stream, h).value(); }
  pipe.peer.send(codecs::as_bytes("x"));  // no watch: nobody to wake, nothing dangles
  EXPECT_FALSE(pipe.peer.stream_gone());
  pipe.stream.reset();
  EXPECT_TRUE(pipe.peer.stream_gone());
}

TEST(VirtualClock, DrivesTheLoopsTimersWithoutWaiting) {
  VirtualClock clock;
  clock.advance(5000);
  auto loop = EventLoop::create(&clock).value();
  EXPECT_EQ(loop->now_ms(), 5000u);
  int fired = 0;
  Timer t(loop->timers(), [&] { ++fired; });
  t.arm(1000);
  ASSERT_TRUE(loop->run_once(-1));  // never blocks on a virtual clock
  EXPECT_EQ(fired, 0);
  clock.advance(999);
  ASSERT_TRUE(loop->run_once(-1));
  EXPECT_EQ(fired, 0);
  clock.advance(1);
  ASSERT_TRUE(loop->run_once(-1));
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(loop->now_ms(), 6000u);
}

}  // namespace
}  // namespace crossmux::mux::net
