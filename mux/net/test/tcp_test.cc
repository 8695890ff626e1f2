// TCP through the loop: 8 MiB echo with checksums both ways, refused connects, listener options.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <thread>

#include "mux/net/event_loop.h"
#include "mux/net/net_errors.h"
#include "mux/net/socket.h"
#include "mux/net/test/peers.h"

namespace crossmux::mux::net {
namespace {

using testing::AcceptHandler;
using testing::EchoConnection;
using testing::PumpClient;

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

using testing::loopback;

TEST(SocketAddress, ParsesNumericHostsOnly) {
  EXPECT_EQ(SocketAddress::parse("127.0.0.1", 80)->to_string(), "127.0.0.1:80");
  EXPECT_EQ(SocketAddress::parse("[::1]", 443)->to_string(), "[::1]:443");
  EXPECT_EQ(SocketAddress::parse("::", 1)->port(), 1);
  auto bad = SocketAddress::parse("localhost", 80);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().detail, errors::kBadAddress);
  EXPECT_FALSE(SocketAddress::parse("1.2.3.4.5", 80).has_value());
}

TEST(TcpListener, PortZeroIsReadBackAndReusePortSharesIt) {
  ListenOptions opts;
  opts.reuse_port = true;
  auto first = TcpListener::bind(loopback(), opts);
  ASSERT_TRUE(first.has_value()) << codecs::to_string(first.error());
  EXPECT_NE(first->port(), 0);
  auto second = TcpListener::bind(loopback(first->port()), opts);
  EXPECT_TRUE(second.has_value());
  auto taken = TcpListener::bind(loopback(first->port()));  // no SO_REUSEPORT: refused
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().detail, errors::kBind);
  EXPECT_EQ(taken.error().code, static_cast<uint32_t>(EADDRINUSE));
}

TEST(TcpListener, AcceptReportsWouldBlockWhenNothingIsPending) {
  auto l = TcpListener::bind(loopback());
  ASSERT_TRUE(l.has_value());
  Accepted a;
  IoResult r = l->accept(a);
  EXPECT_TRUE(r.would_block());
}

TEST(TcpListener, Ipv6LoopbackWhenAvailable) {
  auto l = TcpListener::bind(SocketAddress::parse("::1", 0).value());
  if (!l.has_value()) GTEST_SKIP() << "no IPv6 loopback: " << codecs::to_string(l.error());
  EXPECT_NE(l->port(), 0);
  EXPECT_EQ(l->local_address().family(), AF_INET6);
}

TEST(TcpStream, EchoesEightMebibytesWithChecksumsBothWays) {
  auto loop = EventLoop::create().value();
  auto listener = TcpListener::bind(loopback()).value();
  std::vector<std::unique_ptr<EchoConnection>> server;
  AcceptHandler<TcpListener> acceptor(*loop, listener, [&](TcpStream s) {
    server.push_back(
        std::make_unique<EchoConnection>(*loop, std::make_unique<TcpStream>(std::move(s))));
  });
  const std::vector<uint8_t> data = random_bytes(8 << 20, 7);
  const uint64_t expected = testing::fnv1a(testing::kFnvSeed, data);

  auto tcp = TcpStream::connect(loopback(listener.port()));
  ASSERT_TRUE(tcp.has_value());
  auto stream = std::make_unique<TcpStream>(std::move(tcp).value());
  TcpStream* raw = stream.get();
  PumpClient client(*loop, std::move(stream), data,
                    [raw] { return raw->finish_connect().has_value(); });
  Timer deadline(loop->timers(), [&] { loop->stop(); });
  deadline.arm(20000);
  ASSERT_TRUE(loop->run());

  ASSERT_TRUE(client.done()) << "stalled or failed";
  ASSERT_EQ(server.size(), 1u);
  EXPECT_FALSE(server[0]->failed());
  EXPECT_EQ(server[0]->received(), data.size());
  EXPECT_EQ(server[0]->hash(), expected);
  EXPECT_EQ(client.received(), data.size());
  EXPECT_EQ(client.hash(), expected);
  EXPECT_TRUE(server[0]->finished());
}

class Connector final : public Handler {
 public:
  Connector(EventLoop& loop, TcpStream s) : loop_(loop), stream_(std::move(s)) {
    watch_ = IoWatch::create(loop, stream_.fd(), *this).value();
  }
  void on_ready() override {
    if (!watch_->writable() && !watch_->error()) return;
    result = stream_.finish_connect();
    loop_.stop();
  }
  codecs::Status result;

 private:
  EventLoop& loop_;
  TcpStream stream_;
  std::unique_ptr<IoWatch> watch_;
};

TEST(TcpStream, ConnectToClosedPortReportsRefused) {
  auto loop = EventLoop::create().value();
  uint16_t port = 0;
  {
    auto l = TcpListener::bind(loopback());
    ASSERT_TRUE(l.has_value());
    port = l->port();
  }  // closed: nothing listens on `port` now
  auto tcp = TcpStream::connect(loopback(port));
  ASSERT_TRUE(tcp.has_value());
  Connector c(*loop, std::move(tcp).value());
  Timer deadline(loop->timers(), [&] { loop->stop(); });
  deadline.arm(5000);
  ASSERT_TRUE(loop->run());
  ASSERT_FALSE(c.result.has_value());
  EXPECT_EQ(c.result.error().detail, errors::kConnectRefused);
  EXPECT_EQ(c.result.error().code, static_cast<uint32_t>(ECONNREFUSED));
}

// A client connected without a loop to `listener`, and the connection accepted from it (both
// in syscall mode); `accepted.stream` is invalid when nothing was accepted within a second.
TcpStream connect_and_accept(TcpListener& listener, Accepted& accepted) {
  auto client = TcpStream::connect(loopback(listener.port())).value();
  for (int i = 0; i < 1000 && !listener.accept(accepted).ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return client;
}

TEST(TcpStream, HalfCloseDeliversEofWhileTheOtherDirectionStaysOpen) {
  auto listener = TcpListener::bind(loopback()).value();
  Accepted accepted;
  auto client = connect_and_accept(listener, accepted);
  ASSERT_TRUE(accepted.stream.valid());
  ASSERT_TRUE(client.finish_connect());
  ASSERT_TRUE(client.shutdown_write().ok());
  uint8_t buf[4];
  IoResult got;
  for (int i = 0; i < 1000 && (got = accepted.stream.read(buf)).would_block(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(got.status, IoStatus::Closed);
  EXPECT_TRUE(accepted.stream.write(codecs::as_bytes("pong")).ok());
  for (int i = 0; i < 1000 && (got = client.read(buf)).would_block(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.bytes, 4u);
  EXPECT_EQ(accepted.peer.to_string(), client.local_address()->to_string());
}

// Closing a stream sends its FIN even while something else still holds the socket open (here a
// second descriptor; in the origin, an io_uring poll that watched the descriptor and keeps its
// own reference until the ring reaped its removal, which left a closed connection open for
// seconds on a busy machine: proxy_tunnel_end_to_end waited 20 s for the end of a tunnel).
TEST(TcpStream, CloseSendsTheFinWhileAnotherReferenceHoldsTheSocket) {
  auto listener = TcpListener::bind(loopback()).value();
  Accepted accepted;
  auto client = connect_and_accept(listener, accepted);
  ASSERT_TRUE(accepted.stream.valid());
  ASSERT_TRUE(client.finish_connect());
  ASSERT_TRUE(accepted.stream.write(codecs::as_bytes("bye")).ok());
  const int other = ::dup(accepted.stream.fd());
  ASSERT_GE(other, 0);
  accepted.stream.close();
  uint8_t buf[8];
  IoResult got;
  size_t n = 0;
  for (int i = 0; i < 1000; ++i) {
    got = client.read(buf);
    if (got.ok()) n += got.bytes;
    if (!got.ok() && !got.would_block()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(got.status, IoStatus::Closed) << "no FIN while the other descriptor was open";
  ::close(other);
}

}  // namespace
}  // namespace crossmux::mux::net
