// HTTP/2 connection send path: submit API, HEADERS/CONTINUATION serialization, RFC 9218-scheduled
// DATA within the flow windows, RST_STREAM, GOAWAY and PING (RFC 9113 §5.1, §6.8, §6.9).
#include <algorithm>
#include <utility>

#include "codecs/h2/connection.h"
#include "codecs/h2/h2_errors.h"
#include "codecs/h2/header_semantics.h"

namespace crossmux::codecs::h2 {

Error Connection::misuse(const char* detail, StreamId id) const {
  return Error::h2(Scope::Stream, H2Code::InternalError, detail, id, Side::Internal);
}

void Connection::write_block(ByteBuffer& out, StreamId id, std::span<const hpack::Field> fields,
                             bool end_stream) {
  enc_block_.clear();
  encoder_.encode(fields, enc_block_);
  Bytes block = enc_block_.bytes();
  // §4.2/§6.10: fragments no larger than the peer's SETTINGS_MAX_FRAME_SIZE, back to back.
  size_t max = peer_.max_frame_size;
  HeadersFrame hf;
  hf.block = block.first(std::min(max, block.size()));
  hf.end_stream = end_stream;
  hf.end_headers = hf.block.size() == block.size();
  write_headers(out, id, hf);
  for (size_t at = hf.block.size(); at < block.size();) {
    size_t n = std::min(max, block.size() - at);
    write_continuation(out, id, block.subspan(at, n), at + n == block.size());
    at += n;
  }
}

Result<StreamId> Connection::open_local_stream(const MessageHead& head) {
  if (role_ != Role::Client) return unexpected(misuse(kWrongRole, 0));
  if (going_away()) return unexpected(misuse(kGoingAway, 0));
  // §5.1.2: honour the peer's MAX_CONCURRENT_STREAMS; the caller retries when one closes.
  if (streams_.open_count(true) >= peer_.max_concurrent_streams) {
    return unexpected(misuse(kPeerStreamLimit, 0));
  }
  // §5.1.1: ids cannot be reused; past 2^31-1 a new connection is needed.
  if (next_local_stream_ > kMaxStreamId) return unexpected(misuse(kStreamIdsExhausted, 0));
  StreamId id = next_local_stream_;
  next_local_stream_ += 2;
  Stream& s = streams_.open(id, true, recv_initial_window_, peer_.initial_window_size);
  s.request = RequestFacts{head.method == "HEAD", head.method == "CONNECT"};
  return id;
}

Result<StreamId> Connection::submit_headers(StreamId stream, const MessageHead& head,
                                            bool end_stream) {
  if (error_) return unexpected(*error_);
  StreamId id = stream;
  if (id == 0) {
    Result<StreamId> r = open_local_stream(head);
    if (!r) return r;
    id = *r;
  }
  Stream* s = streams_.find(id);
  if (!s || !can_send(s->state == StreamState::Idle ? StreamState::Open : s->state) ||
      s->final_head_sent || (stream != 0 && s->local)) {
    return unexpected(misuse(kNoSuchStream, id));
  }
  from_head(head, enc_fields_, enc_scratch_);
  write_block(control_, id, enc_fields_, end_stream);
  if (head.is_request() || head.status >= 200) s->final_head_sent = true;
  s->state = transition(s->state, StreamEvent::SendHeaders);
  if (end_stream) {
    s->end_queued = true;
    sent_end(*s, control_);
  }
  return id;
}

Status Connection::submit_data(StreamId id, Bytes data, bool end_stream) {
  if (error_) return unexpected(*error_);
  Stream* s = streams_.find(id);
  if (!s || !s->final_head_sent || s->end_queued || !can_send(s->state)) {
    return unexpected(misuse(kNoSuchStream, id));
  }
  // A queue whose buffer went out as a DATA payload (take_output) starts again at a frame's
  // worth, not at ByteBuffer's smallest size doubled (a copy of the queue per doubling).
  if (s->queue.capacity() == 0)
    s->queue.reserve(std::max<size_t>(data.size(), kDefaultMaxFrameSize));
  s->queue.append(data);
  queued_data(*s, end_stream);
  return ok();
}

Status Connection::submit_data(StreamId id, ByteBuffer& data, bool end_stream) {
  if (error_) return unexpected(*error_);
  Stream* s = streams_.find(id);
  if (!s || !s->final_head_sent || s->end_queued || !can_send(s->state)) {
    return unexpected(misuse(kNoSuchStream, id));
  }
  if (s->queue.empty()) {
    std::swap(s->queue, data);
  } else {
    s->queue.append(data.bytes());
  }
  data.clear();
  queued_data(*s, end_stream);
  return ok();
}

void Connection::queued_data(Stream& s, bool end_stream) {
  s.end_queued = end_stream;
  if (s.queue.empty() ? end_stream : s.send.room() > 0) schedule(s);
}

Status Connection::submit_trailers(StreamId id, const HeaderList& trailers) {
  if (error_) return unexpected(*error_);
  Stream* s = streams_.find(id);
  if (!s || !s->final_head_sent || s->end_queued || !can_send(s->state)) {
    return unexpected(misuse(kNoSuchStream, id));
  }
  s->end_queued = true;
  if (!s->queue.empty()) {
    // §8.1: trailers follow the last DATA; they wait for the queue to drain.
    s->trailers = trailers.clone();
    s->trailers_queued = true;
    return ok();
  }
  from_trailers(trailers, enc_fields_, enc_scratch_);
  write_block(control_, id, enc_fields_, true);
  sent_end(*s, control_);
  return ok();
}

void Connection::reset(StreamId id, H2Code code) {
  Stream* s = streams_.find(id);
  if (!s || error_) return;
  write_rst_stream(control_, id, static_cast<uint32_t>(code));
  close_stream(*s, CloseKind::ResetByUs);
}

void Connection::reset_after_end(StreamId id) {
  Stream* s = streams_.find(id);
  if (!s || error_) return;
  if (s->state == StreamState::HalfClosedLocal) {
    reset(id, H2Code::NoError);
    return;
  }
  s->reset_after_end = true;
}

void Connection::sent_end(Stream& s, ByteBuffer& out) {
  const bool reset_next = s.reset_after_end;
  const StreamId id = s.id;
  advance(s, StreamEvent::SendEndStream);
  if (!reset_next) return;
  // `s` is gone when END_STREAM closed it (the peer had ended too).
  if (Stream* open = streams_.find(id)) {
    write_rst_stream(out, id, static_cast<uint32_t>(H2Code::NoError));
    close_stream(*open, CloseKind::ResetByUs);
  }
}

void Connection::go_away(H2Code code, std::string_view debug) {
  if (error_ || (goaway_sent_ && !graceful_pending_ && code == H2Code::NoError)) return;
  if (code == H2Code::NoError && !goaway_sent_) {
    // §6.8: a first GOAWAY with 2^31-1 and a PING; the real last-stream-id follows the PING ACK,
    // so streams the client opened in flight are not lost.
    write_goaway(control_, kMaxStreamId, 0, as_bytes(debug));
    write_ping(control_, false, kGoAwayPing);
    graceful_pending_ = true;
    goaway_sent_ = true;
    return;
  }
  graceful_pending_ = false;
  goaway_sent_ = true;
  goaway_last_ = last_peer_stream_;
  write_goaway(control_, goaway_last_, static_cast<uint32_t>(code), as_bytes(debug));
}

void Connection::ping(const std::array<uint8_t, 8>& opaque) {
  if (!error_) write_ping(control_, false, opaque);
}

bool Connection::can_open_stream() const {
  return role_ == Role::Client && !going_away() &&
         streams_.open_count(true) < peer_.max_concurrent_streams &&
         next_local_stream_ <= kMaxStreamId;
}

int64_t Connection::send_window(StreamId id) const {
  const Stream* s = streams_.find(id);
  return s ? s->send.available() : 0;
}

size_t Connection::queued_bytes(StreamId id) const {
  const Stream* s = streams_.find(id);
  return s ? s->queue.size() : 0;
}

uint64_t Connection::data_end(StreamId id) const {
  const Stream* s = streams_.find(id);
  return s ? s->data_end : 0;
}

bool Connection::wants_output() const {
  return !control_.empty() || (!error_ && !scheduler_.empty() && conn_send_.room() > 0);
}

size_t Connection::take_output(ByteChain& out) {
  const size_t before = out.size();
  out.append(control_.bytes());
  control_.clear();
  queued_control_ = 0;
  queued_resets_ = 0;
  out_base_ = output_offset_ - before;  // unsigned: out_base_ + out.size() is an output offset
  if (!error_) send_data(out);
  const size_t added = out.size() - before;
  output_offset_ += added;
  size_t from = before;
  if (magic_unsent_ > 0) {  // the client preface is not a frame
    const size_t n = std::min(magic_unsent_, added);
    magic_unsent_ -= n;
    from += n;
  }
  if (counters_) count_output(out, from);
  return added;
}

size_t Connection::take_output(ByteBuffer& out) {
  ByteChain chain;
  const size_t n = take_output(chain);
  chain.move_to(out);
  return n;
}

void Connection::count_output(const ByteChain& out, size_t from) {
  // Output is whole frames, so walking the headers finds each one; counting here rather than at
  // every write site cannot miss a frame. A frame header is never split between parts (a payload
  // may be a part of its own), so the walk carries only the payload octets still to skip.
  size_t skip = 0;
  out.for_each(from, [&](Bytes part) {
    size_t at = std::min(skip, part.size());
    skip -= at;
    while (part.size() - at >= kFrameHeaderSize) {
      const FrameHeader h = parse_frame_header(part.data() + at);
      const size_t end = at + kFrameHeaderSize + h.length;
      ++counters_->frames_out[Counters::frame_slot(h.type)];
      if (end > part.size()) {  // the payload goes on in the next part (DATA only)
        skip = end - part.size();
        return;
      }
      const uint8_t* payload = part.data() + at + kFrameHeaderSize;
      if (h.type == static_cast<uint8_t>(FrameType::RstStream) && h.length >= 4) {
        ++counters_->rst_out[Counters::code_slot(load_u32be(payload))];
      } else if (h.type == static_cast<uint8_t>(FrameType::GoAway) && h.length >= 8) {
        ++counters_->goaway_out[Counters::code_slot(load_u32be(payload + 4))];
      }
      at = end;
    }
  });
}

void Connection::schedule(Stream& s) {
  if (s.scheduled) return;
  s.scheduled = true;
  scheduler_.push(s.id, s.priority);
}

void Connection::send_data(ByteChain& out) {
  size_t sent = 0;
  while (!scheduler_.empty() && sent < limits_.max_output_per_take) {
    StreamId id = scheduler_.pop();
    Stream* s = streams_.find(id);
    if (!s) continue;
    s->scheduled = false;
    size_t queued = s->queue.size();
    if (queued == 0) {
      if (s->end_queued) finish_send(*s, out.tail());
      continue;
    }
    size_t n = std::min<size_t>({queued, s->send.room(), conn_send_.room(), peer_.max_frame_size});
    if (n == 0) {
      // Blocked by the connection window: retry next time. Blocked by its own window: wait for
      // a WINDOW_UPDATE (or a SETTINGS increase) to schedule it again.
      if (s->send.room() > 0) parked_.push_back(id);
      continue;
    }
    // RFC 9218 §10: a sequential (non-incremental) stream is popped again after each of its
    // frames, so they go out back to back. When the windows and this call's budget let them
    // carry the whole queue, they are framed here at once: the same bytes, with every payload
    // read from the queue's buffer.
    const size_t frames = (queued + n - 1) / n;
    const bool whole = n < queued && !s->priority.incremental && queued <= s->send.room() &&
                       queued <= conn_send_.room() &&
                       sent + (frames - 1) * n < limits_.max_output_per_take;
    if (whole) {
      for (size_t at = 0; at + n < queued; at += n) {
        write_data_header(out.tail(), id, n, false);
        out.adopt_view(Bytes(s->queue.data() + at, n));
      }
      n = queued - (frames - 1) * n;  // the last frame
      s->send.take(static_cast<uint32_t>(queued - n));
      conn_send_.take(static_cast<uint32_t>(queued - n));
      sent += queued - n;
      s->queue.consume(queued - n);
      queued = n;
    }
    bool last = n == queued && s->end_queued && !s->trailers_queued;
    if (whole || (n == queued && n >= ByteChain::kMinAdopt)) {
      write_data_header(out.tail(), id, n, last);
      out.own(s->queue);  // the payload is the queue's buffer itself (the views live in it too)
    } else {
      write_data(out.tail(), id, Bytes(s->queue.data(), n), last);
      s->queue.consume(n);
    }
    s->send.take(static_cast<uint32_t>(n));
    conn_send_.take(static_cast<uint32_t>(n));
    sent += n;
    s->data_end = data_end_ = out_base_ + out.size();
    if (last) {
      sent_end(*s, out.tail());
    } else if (s->queue.empty()) {
      if (s->end_queued) finish_send(*s, out.tail());
    } else if (s->send.room() > 0) {
      schedule(*s);
    }
  }
  for (StreamId id : parked_) {
    if (Stream* s = streams_.find(id)) schedule(*s);
  }
  parked_.clear();
}

void Connection::finish_send(Stream& s, ByteBuffer& out) {
  if (s.trailers_queued) {
    from_trailers(s.trailers, enc_fields_, enc_scratch_);
    write_block(out, s.id, enc_fields_, true);
    s.trailers_queued = false;
  } else {
    write_data(out, s.id, {}, true);
  }
  sent_end(s, out);
}

}  // namespace crossmux::codecs::h2
