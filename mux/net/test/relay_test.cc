// The proxy's shape on this layer: two legs relaying through shared buffers and waking each other
// with schedule() only; plus many pending connections drained from one accept edge.
#include <gtest/gtest.h>

#include <random>

#include "mux/net/event_loop.h"
#include "mux/net/socket.h"
#include "mux/net/test/peers.h"

namespace crossmux::mux::net {
namespace {

using testing::AcceptHandler;
using testing::EchoConnection;
using testing::Gate;
using testing::PumpClient;

// Bytes flowing one way: the reading leg fills it, the other leg drains it.
struct Pipe {
  std::vector<uint8_t> buf = std::vector<uint8_t>(32 * 1024);
  size_t begin = 0;
  size_t end = 0;
  bool eof = false;
};

// One socket of a relayed connection. It never touches the other socket: it fills `in` from
// its socket and drains `out` into it, and schedules its peer whenever it changed a pipe the
// peer cares about. No epoll edge exists for those changes, so a missing schedule() stalls.
class Leg final : public Handler {
 public:
  Leg(EventLoop& loop, std::unique_ptr<ByteStream> s, Pipe& in, Pipe& out)
      : loop_(loop), stream_(std::move(s)), in_(in), out_(out) {
    watch_ = IoWatch::create(loop, *stream_, *this).value();
  }
  void set_peer(Leg& peer) { peer_ = &peer; }
  void on_ready() override {
    for (int round = 0; round < 32; ++round) {
      const bool wrote = drain();
      const bool read = fill();
      if (!wrote && !read) return;
    }
    loop_.schedule(*this);
  }
  bool failed = false;

 private:
  // Each returns whether it made progress.
  bool drain() {
    if (out_.begin == out_.end) {
      if (out_.eof && !shut_) shut_ = stream_->shutdown_write().ok();
      return false;
    }
    if (!write_gate_.open(*watch_)) return false;
    IoResult r = stream_->write(Bytes(out_.buf.data() + out_.begin, out_.end - out_.begin));
    watch_->note(r);
    write_gate_.after(r);
    if (!r.ok()) {
      failed = failed || !r.would_block();
      return false;
    }
    out_.begin += r.bytes;
    if (out_.begin == out_.end) {
      out_.begin = out_.end = 0;
      loop_.schedule(*peer_);  // room again: the peer may have stopped reading
    }
    return true;
  }
  bool fill() {
    if (in_.eof || in_.end == in_.buf.size() || !read_gate_.open(*watch_)) return false;
    IoResult r = stream_->read(MutableBytes(in_.buf.data() + in_.end, in_.buf.size() - in_.end));
    watch_->note(r);
    read_gate_.after(r);
    if (r.ok()) {
      in_.end += r.bytes;
    } else if (r.status == IoStatus::Closed) {
      in_.eof = true;
    } else {
      failed = failed || !r.would_block();
      return false;
    }
    loop_.schedule(*peer_);  // the peer has bytes (or an EOF) to forward
    return true;
  }

  EventLoop& loop_;
  std::unique_ptr<ByteStream> stream_;
  std::unique_ptr<IoWatch> watch_;
  Pipe& in_;
  Pipe& out_;
  Leg* peer_ = nullptr;
  Gate read_gate_;
  Gate write_gate_;
  bool shut_ = false;
};

struct Relay {
  Pipe upstream;    // client -> backend
  Pipe downstream;  // backend -> client
  std::unique_ptr<Leg> front;
  std::unique_ptr<Leg> back;
};

TEST(Relay, TwoLegsWakingEachOtherMoveFourMebibytesBothWays) {
  auto loop = EventLoop::create().value();
  auto origin = TcpListener::bind(SocketAddress::parse("127.0.0.1", 0).value()).value();
  std::vector<std::unique_ptr<EchoConnection>> echo;
  AcceptHandler<TcpListener> origin_acceptor(*loop, origin, [&](TcpStream s) {
    echo.push_back(
        std::make_unique<EchoConnection>(*loop, std::make_unique<TcpStream>(std::move(s))));
  });
  auto proxy = TcpListener::bind(SocketAddress::parse("127.0.0.1", 0).value()).value();
  std::vector<std::unique_ptr<Relay>> relays;
  AcceptHandler<TcpListener> proxy_acceptor(*loop, proxy, [&](TcpStream s) {
    auto r = std::make_unique<Relay>();
    auto backend = TcpStream::connect(origin.local_address()).value();
    r->front = std::make_unique<Leg>(*loop, std::make_unique<TcpStream>(std::move(s)), r->upstream,
                                     r->downstream);
    r->back = std::make_unique<Leg>(*loop, std::make_unique<TcpStream>(std::move(backend)),
                                    r->downstream, r->upstream);
    r->front->set_peer(*r->back);
    r->back->set_peer(*r->front);
    relays.push_back(std::move(r));
  });
  std::vector<uint8_t> data(4 << 20);
  std::mt19937 rng(5);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  auto tcp = std::make_unique<TcpStream>(TcpStream::connect(proxy.local_address()).value());
  TcpStream* raw = tcp.get();
  PumpClient client(*loop, std::move(tcp), data,
                    [raw] { return raw->finish_connect().has_value(); });
  Timer deadline(loop->timers(), [&] { loop->stop(); });
  deadline.arm(20000);
  ASSERT_TRUE(loop->run());

  ASSERT_TRUE(client.done()) << "relay stalled or failed";
  const uint64_t expected = testing::fnv1a(testing::kFnvSeed, data);
  EXPECT_EQ(client.received(), data.size());
  EXPECT_EQ(client.hash(), expected);
  ASSERT_EQ(echo.size(), 1u);
  EXPECT_EQ(echo[0]->hash(), expected);
  ASSERT_EQ(relays.size(), 1u);
  EXPECT_FALSE(relays[0]->front->failed);
  EXPECT_FALSE(relays[0]->back->failed);
}

// Edge-triggered epoll reports a listener once for any number of pending connections: only an
// accept loop that runs to WouldBlock sees them all.
TEST(Relay, OneAcceptEdgeDrainsEveryPendingConnection) {
  auto loop = EventLoop::create().value();
  auto listener = TcpListener::bind(SocketAddress::parse("127.0.0.1", 0).value()).value();
  std::vector<TcpStream> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(TcpStream::connect(listener.local_address()).value());
  }
  std::vector<TcpStream> accepted;
  AcceptHandler<TcpListener> acceptor(*loop, listener, [&](TcpStream s) {
    accepted.push_back(std::move(s));
    if (accepted.size() == clients.size()) loop->stop();
  });
  Timer deadline(loop->timers(), [&] { loop->stop(); });
  deadline.arm(5000);
  ASSERT_TRUE(loop->run());
  EXPECT_EQ(accepted.size(), clients.size());
}

}  // namespace
}  // namespace crossmux::mux::net
