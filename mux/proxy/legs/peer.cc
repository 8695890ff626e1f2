// Socket reading, codec feeding and output flushing shared by client and backend connections.
#include "mux/proxy/legs/peer.h"

#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {

namespace {
constexpr size_t kReadSize = 16 * 1024;
}  // namespace

Peer::Peer(Worker& worker, std::unique_ptr<net::ByteStream> stream)
    : worker_(worker), stream_(std::move(stream)) {}

void Peer::wake() {
  worker_.loop().schedule(*this);
}

codecs::Status Peer::watch() {
  auto w = net::IoWatch::create(worker_.loop(), *stream_, *this);
  if (!w) return codecs::unexpected(w.error());
  watch_ = std::move(*w);
  return codecs::ok();
}

bool Peer::read_input(size_t cap) {
  while (watch_->readable() && !peer_closed_ && in_.size() < cap) {
    if (in_.capacity() == 0) in_ = worker_.buffers().take();
    uint8_t* p = in_.prepare(kReadSize);
    net::IoResult r = stream_->read(codecs::MutableBytes(p, kReadSize));
    watch_->note(r);
    if (r.ok()) {
      in_.commit(r.bytes);
      continue;
    }
    if (r.status == net::IoStatus::Closed) peer_closed_ = true;
    if (r.status == net::IoStatus::Error) return false;
    break;
  }
  return true;
}

uint64_t Peer::bytes_delivered() const {
  const uint64_t unsent = stream_->unsent();
  return bytes_written_ > unsent ? bytes_written_ - unsent : 0;
}

bool Peer::more_to_read(size_t cap) const {
  return watch_->readable() && !peer_closed_ && in_.size() < cap;
}

codecs::Status Peer::feed_codec() {
  if (in_.empty()) return codecs::ok();
  auto r = codec_->feed(in_.bytes());
  if (!r) return codecs::unexpected(r.error());
  in_.consume(*r);
  return codecs::ok();
}

void Peer::trim() {
  if (in_.empty() && in_.capacity() > 0) worker_.buffers().give(std::move(in_));
  if (out_.empty()) {
    while (out_.spares() > 0) worker_.buffers().give(out_.take_spare());
  }
}

void Peer::sync_deadlines() {
  if (!codec_) return;
  for (size_t k = 0; k < kDeadlineKinds; ++k) {
    const CodecDeadline d = codec_->deadline(k);
    auto& timer = deadline_timers_[k];
    if (!d.armed) {
      if (timer) timer->cancel();
      continue;
    }
    if (timer && timer->armed() && deadline_serials_[k] == d.serial) continue;
    deadline_serials_[k] = d.serial;
    const uint64_t serial = d.serial;
    timer = std::make_unique<net::Timer>(worker_.loop().timers(), [this, k, serial] {
      codec_->expire(k, serial);
      wake();
    });
    timer->arm(d.timeout_ms);
  }
}

bool Peer::flush() {
  // The codec writes its framing into a spare of ours: one from the worker's cache, not malloc.
  if (out_.spares() == 0 && codec_ && codec_->wants_output()) {
    out_.give_spare(worker_.buffers().take());
  }
  if (codec_ && out_.size() < kOutputHighWater) codec_->take_output(out_);
  bool progressed = false;
  while (!out_.empty() && watch_->writable()) {
    // Framing and the body buffers the codecs adopted, in one system call (TLS coalesces them
    // into records; under io_uring the ring takes the buffers themselves).
    net::IoResult r = stream_->write_chain(out_);
    watch_->note(r);
    if (r.ok()) {
      progressed = true;
      ++socket_writes_;
      bytes_written_ += r.bytes;
      if (out_.empty() && codec_) codec_->take_output(out_);
      continue;
    }
    if (r.status == net::IoStatus::Closed || r.status == net::IoStatus::Error) return false;
    break;
  }
  // Output drained: let this connection's producers (pumps) run again.
  if (progressed && out_.size() < kOutputHighWater) wake();
  return true;
}

}  // namespace crossmux::mux::proxy
