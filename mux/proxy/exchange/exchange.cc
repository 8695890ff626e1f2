// Exchange halves and the exchange's phase transitions and deadlines.
#include "mux/proxy/exchange/exchange.h"

#include <algorithm>
#include <utility>

#include "codecs/base/content_length.h"

namespace crossmux::mux::proxy {

void Half::append(codecs::Bytes data) {
  // Compact before growing so a steady stream reuses the same storage (written bytes kept for a
  // replay stay).
  if (!replay && body_off_ > 0) {
    body_.consume(body_off_);  // ByteBuffer compacts when it would otherwise grow
    body_off_ = 0;
  }
  body_.append(data);
  bytes_received += data.size();
  charge();
}

codecs::Bytes Half::pending(size_t max) const {
  return {body_.data() + body_off_, std::min(max, queued())};
}

bool Half::hand_over(codecs::ByteBuffer& spare) {
  if (replay || !spare.empty()) return false;
  body_.consume(body_off_);
  body_off_ = 0;
  std::swap(body_, spare);
  charge();
  return true;
}

void Half::adopt_storage(codecs::ByteBuffer& spare) {
  if (body_.empty() && spare.empty() && spare.capacity() > body_.capacity()) {
    std::swap(body_, spare);
  }
}

void Half::written(size_t n) {
  body_off_ += std::min(n, queued());
  if (replay && body_off_ > kReplayCap) release_replay();
  if (queued() == 0 && !replay) {
    body_.clear();
    body_off_ = 0;
  }
  charge();
}

void Half::release_replay() {
  if (!replay) return;
  replay = false;
  body_.consume(body_off_);
  body_off_ = 0;
  charge();
}

void Half::discard() {
  replay = false;
  body_.clear();
  body_off_ = 0;
  charge();
}

bool Half::rewind() {
  if (!replayable()) return false;
  body_off_ = 0;
  bytes_sent = 0;
  head_sent = false;
  end_sent = false;
  charge();
  return true;
}

size_t Half::close_early() {
  const size_t dropped = queued();
  discard();
  has_trailers = false;
  end_received = true;
  closed_early = true;
  return dropped;
}

void Half::reset() {
  Half fresh;
  head = std::move(fresh.head);
  head_ready = false;
  interim.clear();
  trailers = std::move(fresh.trailers);
  has_trailers = end_received = closed_early = false;
  bytes_received = 0;
  head_sent = end_sent = false;
  bytes_sent = bytes_credited = 0;
  replay = false;
  limit = kQueueCap;
  discard();
}

void Half::take_head(const codecs::MessageHead& from) {
  head.copy_owned(from, kHeadExtraFields, kHeadExtraBytes);
}

void keep_head_length(codecs::MessageHead& head) {
  if (head.framing != codecs::Framing::None) return;
  if (head.content_length == 0) {
    const auto* cl = head.headers.find("content-length");
    const auto n = cl ? codecs::parse_content_length(cl->value) : codecs::ContentLength{};
    if (!n.ok()) return;
    head.content_length = n.value;
  }
  head.framing = codecs::Framing::KnownLength;
}

Exchange::Exchange(ClientSide& c, net::TimerWheel& timers, codecs::StreamId id,
                   const config::Timeouts& timeouts)
    : client(c),
      client_stream(id),
      timeouts_(timeouts),
      timers_(timers),
      deadline_(timers, [this] { client.deadline_expired(*this); }),
      stall_(timers, [this] { client.stall_expired(*this); }) {
  request.share().bind(client.worker_buffers(), &client.connection_buffers());
  response.share().bind(client.worker_buffers(), &client.connection_buffers());
}

void Exchange::advance(ExchangeEvent e) {
  const Phase next = next_phase(phase_, e);
  if (next == Phase::Invalid) {
    broken_ = true;
    lifecycle_violation(phase_, e);
    return;
  }
  phase_ = next;
  if (next == Phase::Answered) answered_ = true;
  const auto ms = [](config::Millis m) { return static_cast<uint64_t>(m.count()); };
  switch (next) {
    case Phase::Queued:
    case Phase::Attached:
      deadline_.arm(ms(timeouts_.backend_connect + timeouts_.backend_response));
      break;
    case Phase::Forwarding:
    case Phase::TunnelPending:
      deadline_.arm(ms(timeouts_.backend_response));
      break;
    case Phase::Responding:
    case Phase::Tunnel:
      deadline_.arm(progress_timeout_ms());
      break;
    default:
      deadline_.cancel();
      break;
  }
  if (terminal(next)) cancel_stall();
}

void BackendLink::bind(BackendSide& side) {
  end(LegEnd::Abandoned);
  side_ = &side;
  stream_ = 0;
  ++ex_.client.backend_legs_;
}

void BackendLink::end(LegEnd how) {
  if (BackendSide* s = std::exchange(side_, nullptr)) {
    --ex_.client.backend_legs_;
    s->unlink(ex_, how);
  }
}

void BackendLink::sever() {
  if (std::exchange(side_, nullptr)) --ex_.client.backend_legs_;
}

void Exchange::begin_stall(uint64_t ms) {
  stall_since_ = timers_.now();
  stall_.arm(ms);
}

void Exchange::hasten_stall(uint64_t grace_ms) {
  if (!stall_.armed()) return;
  const uint64_t due = stall_since_ + grace_ms;
  if (due >= stall_.expires()) return;
  const uint64_t now = timers_.now();
  stall_.arm(due > now ? due - now : 0);
}

uint64_t Exchange::stalled_ms() const {
  if (stall_since_ == kNoStall) return 0;
  const uint64_t now = timers_.now();
  return now > stall_since_ ? now - stall_since_ : 0;
}

uint64_t Exchange::progress_timeout_ms() const {
  switch (phase_) {
    case Phase::Forwarding:
    case Phase::TunnelPending:
      // A request still streaming to a backend that has not answered: the response deadline
      // counts from the last byte that moved.
      return static_cast<uint64_t>(timeouts_.backend_response.count());
    case Phase::Responding:
      return static_cast<uint64_t>(timeouts_.stream_progress.count());
    case Phase::Tunnel:
      // WebSockets idle for minutes between messages (HAProxy's `timeout tunnel`).
      return static_cast<uint64_t>(timeouts_.tunnel.count());
    default:
      return 0;
  }
}

}  // namespace crossmux::mux::proxy
