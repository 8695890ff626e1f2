// HTTP/2 connection receive path: DATA, HEADERS/CONTINUATION assembly and header blocks into IR
// events, with flow-control and content-length accounting (RFC 9113 §5.1, §6.1, §6.2, §6.10, §8).
#include <algorithm>

#include "codecs/h2/connection.h"
#include "codecs/h2/h2_errors.h"
#include "codecs/h2/header_semantics.h"

namespace crossmux::codecs::h2 {

void Connection::credit_connection(uint32_t n) {
  if (n == 0) return;
  if (uint32_t inc = conn_recv_.consume(n)) write_window_update(control_, 0, inc);
}

void Connection::consume(StreamId id, size_t n) {
  Stream* s = streams_.find(id);
  // Credit of closed streams went back to the connection when they closed.
  if (!s || error_) return;
  uint32_t k = static_cast<uint32_t>(std::min<uint64_t>(n, s->unconsumed));
  s->unconsumed -= k;
  credit_connection(k);
  // No stream WINDOW_UPDATE once the peer has finished sending (§6.9: it would be useless).
  if (!can_receive(s->state)) return;
  if (uint32_t inc = s->recv.consume(k)) write_window_update(control_, id, inc);
}

Status Connection::on_data(const Frame& f) {
  const auto& d = std::get<DataFrame>(f.payload);
  StreamId id = f.header.stream_id;
  uint32_t len = f.header.length;
  Stream* s = streams_.find(id);
  // §6.9.1: the connection window is charged for every DATA frame, whatever its stream.
  if (!s && is_idle(id)) return fail(H2Code::ProtocolError, kFrameOnIdleStream, id);
  if (!conn_recv_.receive(len)) return fail(H2Code::FlowControlError, kConnWindowExceeded);
  if (!s) {
    credit_connection(len);
    // §5.1 closed: frames after our RST_STREAM are ignored; otherwise STREAM_CLOSED.
    if (streams_.closure(id) == Closure::ResetByUs) return ok();
    return stream_error(id, H2Code::StreamClosed, kFrameOnClosedStream);
  }
  if (!can_receive(s->state)) {
    credit_connection(len);
    return stream_error(id, H2Code::StreamClosed, kFrameOnClosedStream);
  }
  if (!s->final_head_received) {
    credit_connection(len);
    return stream_error(id, H2Code::ProtocolError, kDataBeforeHeaders);
  }
  if (!s->recv.receive(len)) {
    credit_connection(len);
    return stream_error(id, H2Code::FlowControlError, kStreamWindowExceeded);
  }
  // Padding is flow-controlled but never reaches the application: credit it back now.
  if (uint32_t padding = len - static_cast<uint32_t>(d.data.size())) {
    credit_connection(padding);
    if (uint32_t inc = s->recv.consume(padding)) write_window_update(control_, id, inc);
  }
  s->received += d.data.size();
  // A response without content (HEAD, 204, 304) carrying DATA is malformed (RFC 9113 §8.1.1,
  // RFC 9110 §6.4.1): those bytes must never reach a peer that reads the head as complete (an
  // HTTP/1.1 client would parse them as the next response). nghttp2 resets such a stream too.
  if (s->bodiless && !d.data.empty()) {
    credit_connection(static_cast<uint32_t>(d.data.size()));
    return stream_error(id, H2Code::ProtocolError, kDataOnBodilessResponse);
  }
  // §8.1.1: more DATA than content-length is malformed.
  if (s->has_content_length && s->received > s->content_length) {
    credit_connection(static_cast<uint32_t>(d.data.size()));
    return stream_error(id, H2Code::ProtocolError, kContentLengthMismatch);
  }
  if (d.data.empty() && !d.end_stream) return glitch();
  if (!d.data.empty()) {
    s->unconsumed += d.data.size();
    sink_.on_data(id, d.data);
  }
  if (d.end_stream) return receive_end(id);
  return ok();
}

Status Connection::on_headers(const Frame& f) {
  const auto& hf = std::get<HeadersFrame>(f.payload);
  StreamId id = f.header.stream_id;
  Stream* s = streams_.find(id);
  BlockTarget target = BlockTarget::Discard;
  bool peer_parity = (id & 1) == (role_ == Role::Server ? 1u : 0u);
  if (s) {
    target = can_receive(s->state) ? BlockTarget::Existing : BlockTarget::ClosedStream;
  } else if (peer_parity && role_ == Role::Server && id > last_peer_stream_) {
    // §5.1.1: a new stream id must exceed every id the peer used before.
    last_peer_stream_ = id;
    target = id > goaway_last_ ? BlockTarget::Discard : BlockTarget::NewStream;
    // An idle id we reset already (a PRIORITY depending on itself, §5.3.1) is closed: frames on
    // it after our RST_STREAM are ignored (§5.1); the block only keeps HPACK in sync.
    if (idle_resets_ > 0 && streams_.closure(id) == Closure::ResetByUs) {
      target = BlockTarget::Discard;
    }
  } else if (peer_parity) {
    // §5.1.1 (even id from a client) / §8.4 (push streams are never accepted by a client).
    if (role_ == Role::Client) return fail(H2Code::ProtocolError, kUnsolicitedHeaders, id);
    Closure c = streams_.closure(id);
    if (c == Closure::Closed) return fail(H2Code::StreamClosed, kHeadersOnClosedStream, id);
    if (c == Closure::Unknown) return fail(H2Code::ProtocolError, kStreamIdRegressed, id);
  } else if (role_ == Role::Server) {
    return fail(H2Code::ProtocolError, kEvenStreamFromClient, id);
  } else if (is_idle(id)) {
    return fail(H2Code::ProtocolError, kUnsolicitedHeaders, id);
  } else if (streams_.closure(id) == Closure::Closed) {
    return fail(H2Code::StreamClosed, kHeadersOnClosedStream, id);
  }
  block_target_ = target;
  block_stream_ = id;
  block_end_stream_ = hf.end_stream;
  block_continuations_ = 0;
  if (hf.end_headers) return finish_block(hf.block);
  if (hf.block.size() > limits_.max_header_block_bytes) {
    count_limit(LimitKind::HeaderBlockBytes);
    return fail(H2Code::EnhanceYourCalm, kHeaderBlockTooLarge, id);
  }
  // Room for the CONTINUATIONs to come without growing from the first fragment's size by doubling
  // (a peer may send them one octet at a time).
  block_buf_.reserve(std::max<size_t>(hf.block.size(), kInitialBlockBuffer));
  block_buf_.assign(hf.block.begin(), hf.block.end());
  block_open_ = true;
  arm(DeadlineKind::HeaderCompletion, true);
  return ok();
}

Status Connection::on_continuation(const Frame& f) {
  const auto& cf = std::get<ContinuationFrame>(f.payload);
  // §6.10: CONTINUATION only follows HEADERS/PUSH_PROMISE/CONTINUATION without END_HEADERS.
  if (!block_open_) return fail(H2Code::ProtocolError, kUnexpectedContinuation, f.header.stream_id);
  // CONTINUATION flood (2024): bound the count and the encoded bytes; the block must be decoded
  // to keep HPACK in sync, so the only safe reaction is to close (§10.5.1).
  if (++block_continuations_ > limits_.max_continuations) {
    count_limit(LimitKind::Continuations);
    return fail(H2Code::EnhanceYourCalm, kTooManyContinuations, block_stream_);
  }
  if (block_buf_.size() + cf.block.size() > limits_.max_header_block_bytes) {
    count_limit(LimitKind::HeaderBlockBytes);
    return fail(H2Code::EnhanceYourCalm, kHeaderBlockTooLarge, block_stream_);
  }
  block_buf_.insert(block_buf_.end(), cf.block.begin(), cf.block.end());
  if (!cf.end_headers) return ok();
  return finish_block(Bytes(block_buf_.data(), block_buf_.size()));
}

Status Connection::finish_block(Bytes block) {
  block_open_ = false;
  arm(DeadlineKind::HeaderCompletion, false);
  // §4.3: a block that fails to decode is a connection COMPRESSION_ERROR.
  if (Status s = decoder_.decode(block, decoded_); !s) return fail_connection(s.error());
  StreamId id = block_stream_;
  if (const char* detail = block_error_) {
    block_error_ = nullptr;
    if (block_target_ != BlockTarget::Discard) {
      return stream_error(id, H2Code::ProtocolError, detail);
    }
  }
  switch (block_target_) {
    case BlockTarget::NewStream:
      return deliver_request(id, block_end_stream_);
    case BlockTarget::Existing:
      if (Stream* s = streams_.find(id)) return deliver_on_stream(*s, block_end_stream_);
      return ok();
    case BlockTarget::ClosedStream:
      return stream_error(id, H2Code::StreamClosed, kFrameOnClosedStream);
    case BlockTarget::None:
    case BlockTarget::Discard:
      return ok();
  }
  return ok();
}

Status Connection::deliver_request(StreamId id, bool end_stream) {
  if (decoded_.limit() != hpack::Limit::None) {
    count_header_limit();
    return answer_and_reset(id, 431, kHeaderListTooLarge, end_stream);
  }
  // §5.1.2: beyond our MAX_CONCURRENT_STREAMS, REFUSED_STREAM tells the client to retry.
  if (streams_.open_count(false) >= local_.max_concurrent_streams) {
    count_limit(LimitKind::ConcurrentStreams);
    if (Status g = glitch(); !g) return g;
    return stream_error(id, H2Code::RefusedStream, kRefusedStream, false);
  }
  Status v = to_request(decoded_.fields(), end_stream, local_.enable_connect_protocol != 0, head_);
  if (!v) return answer_and_reset(id, 400, v.error().detail, end_stream);
  Stream& s = streams_.open(id, false, recv_initial_window_, peer_.initial_window_size);
  s.state = transition(s.state, StreamEvent::RecvHeaders);
  s.final_head_received = true;
  s.has_content_length = head_.framing == Framing::KnownLength;
  s.content_length = head_.content_length;
  // RFC 9218 §5: the priority header sets the initial urgency and incremental flag.
  if (const HeaderField* p = head_.headers.find("priority")) {
    s.priority = parse_priority(p->value);
  }
  sink_.on_head(id, head_);
  if (end_stream) return receive_end(id);
  return ok();
}

Status Connection::deliver_on_stream(Stream& s, bool end_stream) {
  StreamId id = s.id;
  if (decoded_.limit() != hpack::Limit::None) {
    count_header_limit();
    return stream_error(id, H2Code::ProtocolError, kHeaderListTooLarge);
  }
  if (!s.final_head_received) {
    Status v = to_response(decoded_.fields(), end_stream, s.request, head_);
    if (!v) return stream_error(id, H2Code::ProtocolError, v.error().detail);
    if (head_.is_informational()) {
      sink_.on_head(id, head_);
      return ok();
    }
    s.final_head_received = true;
    s.has_content_length = head_.framing == Framing::KnownLength;
    s.content_length = head_.content_length;
    s.bodiless = head_.framing == Framing::None;
    sink_.on_head(id, head_);
    return end_stream ? receive_end(id) : ok();
  }
  // §8.1: a second block after the final head is the trailer section and ends the stream.
  Status v = to_trailers(decoded_.fields(), end_stream, trailers_);
  if (!v) return stream_error(id, H2Code::ProtocolError, v.error().detail);
  if (s.has_content_length && s.received != s.content_length) {
    return stream_error(id, H2Code::ProtocolError, kContentLengthMismatch);
  }
  sink_.on_trailers(id, trailers_);
  return receive_end(id);
}

Status Connection::receive_end(StreamId id) {
  Stream* s = streams_.find(id);
  if (!s) return ok();
  // §8.1.1: the DATA total must equal content-length.
  if (s->has_content_length && s->received != s->content_length) {
    return stream_error(id, H2Code::ProtocolError, kContentLengthMismatch);
  }
  sink_.on_end_of_message(id);
  if ((s = streams_.find(id)) != nullptr) advance(*s, StreamEvent::RecvEndStream);
  return ok();
}

Status Connection::answer_and_reset(StreamId id, uint16_t status, const char* detail,
                                    bool end_stream) {
  if (role_ == Role::Server && limits_.answer_malformed) {
    MessageHead answer;
    answer.kind = MessageKind::Response;
    answer.status = status;
    from_head(answer, enc_fields_, enc_scratch_);
    write_block(control_, id, enc_fields_, true);
    if (end_stream) {
      // Both sides ended: the stream closed cleanly from the wire's view; no RST needed.
      last_stream_error_ = Error::h2(Scope::Stream, H2Code::ProtocolError, detail, id);
      streams_.remember(id, true);
      return charge_reset();
    }
  }
  return stream_error(id, H2Code::ProtocolError, detail);
}

}  // namespace crossmux::codecs::h2
