// Allocation check of the io_uring transport: once warm, a connection that exchanges messages
// turn after turn (receive, reply, send) allocates nothing per turn. The loop's bookkeeping
// (the sockets to flush, spare send buffers, provided buffers) keeps its storage.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "codecs/base/test/counting_new.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"
#include "mux/net/test/peers.h"

namespace crossmux::mux::net {
namespace {

using testing::loopback;

// One end of the conversation: reads what arrives and answers each message with a reply of
// the same size (`replies` counts them).
class Replier final : public Handler {
 public:
  Replier(EventLoop& loop, TcpStream s) : stream_(std::move(s)) {
    watch_ = IoWatch::create(loop, stream_, *this).value();
  }
  void on_ready() override {
    while (watch_->readable()) {
      IoResult r = stream_.read(buf_);
      watch_->note(r);
      if (!r.ok()) break;
      IoResult w = stream_.write(Bytes(buf_, r.bytes));
      watch_->note(w);
      replies += w.ok() ? 1 : 0;
    }
  }
  TcpStream& stream() { return stream_; }
  size_t replies = 0;

 private:
  TcpStream stream_;
  std::unique_ptr<IoWatch> watch_;
  uint8_t buf_[4096];
};

TEST(IoUringAllocations, AWarmConnectionAllocatesNothingPerTurn) {
  if (auto usable = EventLoop::io_uring_usable(); !usable) {
    GTEST_SKIP() << "io_uring unavailable: " << codecs::to_string(usable.error());
  }
  auto loop = EventLoop::create(nullptr, LoopBackend::IoUring).value();
  ASSERT_EQ(loop->backend(), LoopBackend::IoUring);
  auto listener = TcpListener::bind(loopback()).value();
  // The client side stays in syscall mode (no watch): the test drives it by hand.
  TcpStream client = TcpStream::connect(loopback(listener.port())).value();
  Accepted accepted;
  for (int i = 0; i < 1000 && !listener.accept(accepted).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(accepted.stream.fd() >= 0) << "nothing accepted";
  Replier server(*loop, std::move(accepted.stream));

  // One exchange: the client sends 200 bytes, the loop turns until the reply is back.
  uint8_t message[200] = {};
  auto exchange = [&] {
    const size_t before = server.replies;
    if (!client.write(Bytes(message, sizeof message)).ok()) return false;
    size_t got = 0;
    for (int turn = 0; turn < 1000 && got < sizeof message; ++turn) {
      (void)loop->run_once(5);
      uint8_t in[512];
      IoResult r = client.read(in);
      if (r.ok()) got += r.bytes;
    }
    return server.replies > before && got == sizeof message;
  };
  for (int i = 0; i < 64; ++i) ASSERT_TRUE(exchange()) << "warm-up exchange " << i;
  ASSERT_TRUE(crossmux::counting_new::counting_is_live());
  const size_t before = crossmux::counting_new::g_allocations.load();
  for (int i = 0; i < 256; ++i) ASSERT_TRUE(exchange()) << "exchange " << i;
  EXPECT_EQ(crossmux::counting_new::g_allocations.load() - before, 0u)
      << "allocations over 256 warm exchanges";
}

}  // namespace
}  // namespace crossmux::mux::net
