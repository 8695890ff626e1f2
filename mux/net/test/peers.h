// Test peers driven by the EventLoop over any ByteStream: an echo connection and a pumping client.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "mux/net/byte_stream.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"

namespace crossmux::mux::net::testing {

inline uint64_t fnv1a(uint64_t h, Bytes b) {
  for (uint8_t c : b) h = (h ^ c) * 0x100000001b3ull;
  return h;
}
inline constexpr uint64_t kFnvSeed = 0xcbf29ce484222325ull;

// 127.0.0.1:port (0: any port).
inline SocketAddress loopback(uint16_t port = 0) {
  return SocketAddress::parse("127.0.0.1", port).value();
}

// Remembers which readiness the last WouldBlock waited on; the operation may run again once the
// IoWatch shows that bit (set by a new epoll edge). Using it makes a readiness-tracking bug in
// the loop show up as a stall, which the tests' deadline catches.
class Gate {
 public:
  bool open(const IoWatch& w) const {
    return !blocked_ || w.has(*blocked_ == Direction::Read ? Ready::Readable : Ready::Writable);
  }
  void after(const IoResult& r) {
    blocked_ = r.would_block() ? std::optional<Direction>(r.blocked_on) : std::nullopt;
  }

 private:
  std::optional<Direction> blocked_;
};

// Echoes everything it reads; half-closes after the peer did and everything was written back.
class EchoConnection final : public Handler {
 public:
  EchoConnection(EventLoop& loop, std::unique_ptr<ByteStream> s)
      : loop_(loop), stream_(std::move(s)), buf_(64 * 1024) {
    watch_ = std::move(IoWatch::create(loop, *stream_, *this).value());
  }
  void on_ready() override {
    for (int round = 0; round < 64; ++round) {
      if (!step()) return;
    }
    loop_.schedule(*this);  // fairness budget spent; continue next iteration
  }
  uint64_t received() const { return received_; }
  uint64_t hash() const { return hash_; }
  bool failed() const { return failed_; }
  bool finished() const { return shut_; }

 private:
  bool step() {
    bool progress = false;
    if (begin_ < end_ && write_gate_.open(*watch_)) {
      IoResult r = stream_->write(Bytes(buf_.data() + begin_, end_ - begin_));
      watch_->note(r);
      write_gate_.after(r);
      if (r.ok()) {
        begin_ += r.bytes;
        if (begin_ == end_) begin_ = end_ = 0;
        progress = true;
      } else if (!r.would_block()) {
        failed_ = true;
        return false;
      }
    }
    if (end_ == 0 && !peer_closed_ && read_gate_.open(*watch_)) {
      IoResult r = stream_->read(buf_);
      watch_->note(r);
      read_gate_.after(r);
      if (r.ok()) {
        hash_ = fnv1a(hash_, Bytes(buf_.data(), r.bytes));
        received_ += r.bytes;
        end_ = r.bytes;
        progress = true;
      } else if (r.status == IoStatus::Closed) {
        peer_closed_ = true;
        progress = true;
      } else if (!r.would_block()) {
        failed_ = true;
        return false;
      }
    }
    if (peer_closed_ && end_ == 0 && !shut_) {
      IoResult r = stream_->shutdown_write();
      watch_->note(r);
      shut_ = !r.would_block();
      progress = shut_;
    }
    return progress;
  }

  EventLoop& loop_;
  std::unique_ptr<ByteStream> stream_;
  std::unique_ptr<IoWatch> watch_;
  std::vector<uint8_t> buf_;
  size_t begin_ = 0;
  size_t end_ = 0;
  Gate read_gate_;
  Gate write_gate_;
  uint64_t received_ = 0;
  uint64_t hash_ = kFnvSeed;
  bool peer_closed_ = false;
  bool shut_ = false;
  bool failed_ = false;
};

// Sends `data` (through writev, two slices at a time), half-closes, and reads the echo until the
// peer closes; stops the loop when done or failed.
class PumpClient final : public Handler {
 public:
  // `finish_connect` runs once the socket is first writable (TcpStream::finish_connect).
  PumpClient(EventLoop& loop, std::unique_ptr<ByteStream> s, const std::vector<uint8_t>& data,
             std::function<bool()> finish_connect)
      : loop_(loop),
        stream_(std::move(s)),
        data_(data),
        finish_(std::move(finish_connect)),
        rbuf_(64 * 1024) {
    watch_ = std::move(IoWatch::create(loop, *stream_, *this).value());
  }
  void on_ready() override {
    if (connecting_) {
      if (!watch_->writable()) return;
      connecting_ = false;
      if (!finish_()) return fail();
    }
    for (int round = 0; round < 64; ++round) {
      if (done_ || failed_) return;
      if (!step()) return;
    }
    loop_.schedule(*this);
  }
  bool done() const { return done_; }
  bool failed() const { return failed_; }
  uint64_t received() const { return received_; }
  uint64_t hash() const { return hash_; }

 private:
  void fail() {
    failed_ = true;
    loop_.stop();
  }
  bool step() {
    bool progress = false;
    if (sent_ < data_.size() && write_gate_.open(*watch_)) {
      const size_t left = data_.size() - sent_;
      const size_t first = std::min<size_t>(left, 100 * 1000);
      const size_t second = std::min<size_t>(left - first, 150 * 1000);
      const Bytes parts[2] = {Bytes(data_.data() + sent_, first),
                              Bytes(data_.data() + sent_ + first, second)};
      IoResult r = stream_->writev(parts);
      watch_->note(r);
      write_gate_.after(r);
      if (r.ok()) {
        sent_ += r.bytes;
        progress = true;
      } else if (!r.would_block()) {
        fail();
        return false;
      }
    }
    if (sent_ == data_.size() && !shut_) {
      IoResult r = stream_->shutdown_write();
      watch_->note(r);
      shut_ = r.ok();
      progress = progress || shut_;
    }
    if (read_gate_.open(*watch_)) {
      IoResult r = stream_->read(rbuf_);
      watch_->note(r);
      read_gate_.after(r);
      if (r.ok()) {
        hash_ = fnv1a(hash_, Bytes(rbuf_.data(), r.bytes));
        received_ += r.bytes;
        progress = true;
      } else if (r.status == IoStatus::Closed) {
        done_ = true;
        loop_.stop();
        return false;
      } else if (!r.would_block()) {
        fail();
        return false;
      }
    }
    return progress;
  }

  EventLoop& loop_;
  std::unique_ptr<ByteStream> stream_;
  std::unique_ptr<IoWatch> watch_;
  const std::vector<uint8_t>& data_;
  std::function<bool()> finish_;
  std::vector<uint8_t> rbuf_;
  size_t sent_ = 0;
  Gate read_gate_;
  Gate write_gate_;
  uint64_t received_ = 0;
  uint64_t hash_ = kFnvSeed;
  bool connecting_ = true;
  bool shut_ = false;
  bool done_ = false;
  bool failed_ = false;
};

// Accepts every connection on a listener fd and hands it to `on_accept`.
template <class Listener>
class AcceptHandler final : public Handler {
 public:
  AcceptHandler(EventLoop& loop, Listener& listener, std::function<void(TcpStream)> on_accept)
      : listener_(listener), on_accept_(std::move(on_accept)) {
    watch_ = std::move(IoWatch::create(loop, listener, *this).value());
  }
  void on_ready() override {
    if (!watch_->readable()) return;
    IoResult r = listener_.accept_all([&](Accepted&& a) { on_accept_(std::move(a.stream)); });
    watch_->note(r);
  }

 private:
  Listener& listener_;
  std::function<void(TcpStream)> on_accept_;
  std::unique_ptr<IoWatch> watch_;
};

}  // namespace crossmux::mux::net::testing
