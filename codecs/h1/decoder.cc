// HTTP/1.1 decoder state machine: heads, Content-Length and chunked bodies, trailers, tunnels.
#include "codecs/h1/decoder.h"

#include "codecs/base/field_table.h"
#include "codecs/h1/chunked.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

Decoder::Decoder(MessageKind kind, DecoderOptions options) : kind_(kind), options_(options) {
  reset_head();
}

void Decoder::expect_response(const MessageHead& request) {
  expect_response(RequestInfo{request.method == "HEAD", request.method == "CONNECT",
                              request.headers.find("upgrade") != nullptr});
}

// Empties the vector when the last outstanding request is answered, and drops the answered prefix
// once it is at least half of it, so a connection that always has requests outstanding stays
// bounded (amortised O(1) per response).
void Decoder::pop_pending() {
  ++pending_head_;
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  } else if (pending_head_ >= 32 && 2 * pending_head_ >= pending_.size()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(pending_head_));
    pending_head_ = 0;
  }
}

// Keeps the field vector's capacity across messages: no per-message allocation once warm.
void Decoder::reset_head() {
  head_.kind = kind_;
  head_.version = Version::Http11;
  // Separate assignments: a chained one reloads what it just stored (a store-forwarding stall).
  head_.method = std::string_view();
  head_.scheme = std::string_view();
  head_.authority = std::string_view();
  head_.path = std::string_view();
  head_.protocol = std::string_view();
  head_.status = 0;
  head_.headers.clear();
  head_.framing = Framing::None;
  head_.content_length = 0;
  head_.violations = kViolationNone;
  head_.keep_alive = true;
  head_.expect_continue = false;
}

Error Decoder::fail(Error e, EventSink& sink) {
  e.stream_id = state_ == State::Head && !interim_ ? stream_ + 1 : stream_;
  error_ = e;
  state_ = State::Failed;
  sink.on_connection_error(e);
  return e;
}

Result<size_t> Decoder::feed(Bytes input, EventSink& sink) {
  if (state_ == State::Failed) return unexpected(error_);
  size_t pos = 0;
  while (true) {
    State before = state_;
    // Heads first: between pipelined requests that is the only state (the switch costs a call).
    size_t used = state_ == State::Head ? step_head(input.data() + pos, input.size() - pos, sink)
                                        : step(input.data() + pos, input.size() - pos, sink);
    if (used == kStepFailed) return unexpected(fail(step_error_, sink));
    pos += used;
    if (used == 0 && state_ == before) break;
  }
  partial_ = pos < input.size();
  return pos;
}

size_t Decoder::step(const uint8_t* p, size_t n, EventSink& sink) {
  switch (state_) {
    case State::Head:
      return step_head(p, n, sink);
    case State::KnownBody: {
      size_t used = emit_body(p, n, remaining_, sink);
      if (remaining_ == 0) end_message(sink);
      return used;
    }
    case State::ChunkSize:
      return step_chunk_size(p, n);
    case State::ChunkData: {
      size_t used = emit_body(p, n, remaining_, sink);
      if (remaining_ == 0) state_ = State::ChunkDataEnd;
      return used;
    }
    case State::ChunkDataEnd:
      return step_chunk_end(p, n);
    case State::Trailers:
      return step_trailers(p, n, sink);
    case State::CloseBody:
    case State::Tunnel:
      if (n > 0) sink.on_data(stream_, Bytes(p, n));
      return n;
    case State::TunnelPending:
    case State::Closed:
    case State::Failed:
      return 0;
  }
  return 0;
}

size_t Decoder::step_head(const uint8_t* p, size_t n, EventSink& sink) {
  size_t skip = 0;
  size_t len = 0;
  if (scanner_.fresh()) {
    // RFC 9112 §2.2: empty lines before the start line are ignored (robustness).
    while (n - skip >= 2 && p[skip] == '\r' && p[skip + 1] == '\n') skip += 2;
    if (n - skip < 2) return skip;
    // A head that parses whole within the bytes at hand ends where the parse stopped, and has no
    // bare LF: every line of it ended in CRLF, and no method, target, name or value admits CR or
    // LF. That is exactly what HeadScanner would have found, so its pass is skipped (one pass over
    // the head instead of two). Anything else (a head not complete yet, any error, a size limit
    // exceeded) leaves len 0 and takes the scanning path, which reports errors in their usual
    // order.
    size_t first_line = 0;
    if (auto parsed = parse_head(p + skip, p + n, first_line);
        parsed && *parsed <= options_.limits.max_header_bytes &&
        (kind_ != MessageKind::Request || first_line <= options_.limits.max_request_line)) {
      len = *parsed;
    }
  }
  if (len == 0) {
    auto scanned = scanner_.scan(p + skip, n - skip, kind_, true, options_.limits);
    if (!scanned) return step_failed(scanned.error());
    if (*scanned == 0) return skip;
    scanner_.reset();
    size_t first_line = 0;
    auto parsed = parse_head(p + skip, p + skip + *scanned, first_line);
    if (!parsed) return step_failed(parsed.error());
    len = *scanned;
  }
  if (!interim_) ++stream_;
  sink.on_head(stream_, head_);
  if (kind_ == MessageKind::Response) {
    interim_ = head_.status < 200 && head_.status != 101;
    if (interim_) return skip + len;
    pop_pending();
  }
  start_body(sink);
  return skip + len;
}

Result<size_t> Decoder::parse_head(const uint8_t* p, const uint8_t* end, size_t& first_line) {
  reset_head();
  const uint8_t* const start = p;
  FieldFacts facts;
  FieldRules rules{kind_, options_.response_obs_fold, &options_.limits};
  if (kind_ == MessageKind::Request) {
    auto target = parse_request_line(p, end, head_);
    if (!target) return unexpected(target.error());
    first_line = static_cast<size_t>(p - start);
    if (auto st = parse_fields(p, end, rules, true, head_.headers, facts); !st) {
      return unexpected(st.error());
    }
    if (auto st = finish_request(*target, facts, options_.limits, head_); !st) {
      return unexpected(st.error());
    }
    connect_ = head_.method == "CONNECT";
    return static_cast<size_t>(p - start);
  }
  if (no_pending()) return unexpected(decode_error(kind_, 502, kErrUnsolicitedResponse));
  if (auto st = parse_status_line(p, end, head_); !st) return unexpected(st.error());
  first_line = static_cast<size_t>(p - start);
  if (auto st = parse_fields(p, end, rules, true, head_.headers, facts); !st) {
    return unexpected(st.error());
  }
  if (auto st = finish_response(pending_[pending_head_], facts, options_.limits, head_); !st) {
    return unexpected(st.error());
  }
  return static_cast<size_t>(p - start);
}

void Decoder::start_body(EventSink& sink) {
  keep_alive_ = head_.keep_alive;
  switch (head_.framing) {
    case Framing::None:
      end_message(sink);
      return;
    case Framing::KnownLength:
      remaining_ = head_.content_length;
      if (remaining_ == 0) {
        end_message(sink);
      } else {
        state_ = State::KnownBody;
      }
      return;
    case Framing::Streaming:
      body_total_ = 0;
      state_ = State::ChunkSize;
      return;
    case Framing::CloseDelimited:
      state_ = State::CloseBody;
      return;
    case Framing::Tunnel:
      state_ = kind_ == MessageKind::Request ? State::TunnelPending : State::Tunnel;
      return;
  }
}

size_t Decoder::emit_body(const uint8_t* p, size_t n, uint64_t& remaining, EventSink& sink) {
  size_t take = n < remaining ? n : static_cast<size_t>(remaining);
  if (take > 0) sink.on_data(stream_, Bytes(p, take));
  remaining -= take;
  return take;
}

void Decoder::end_message(EventSink& sink) {
  sink.on_end_of_message(stream_);
  state_ = keep_alive_ ? State::Head : State::Closed;
}

size_t Decoder::step_chunk_size(const uint8_t* p, size_t n) {
  ChunkLine line;
  if (const char* err = parse_chunk_line(p, n, options_.limits, line)) {
    return step_failed(decode_error(kind_, 400, err));
  }
  if (line.length == 0) return 0;
  if (line.size == 0) {
    state_ = State::Trailers;
    return line.length;
  }
  uint64_t max = options_.limits.max_body;
  if (max != 0 && (line.size > max || body_total_ > max - line.size)) {
    return step_failed(decode_error(kind_, 413, kErrBodyTooLarge));
  }
  body_total_ += line.size;
  remaining_ = line.size;
  state_ = State::ChunkData;
  return line.length;
}

// RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF — exactly CRLF.
size_t Decoder::step_chunk_end(const uint8_t* p, size_t n) {
  if (n == 0) return 0;
  if (p[0] != '\r') return step_failed(decode_error(kind_, 400, kErrBadChunkTerminator));
  if (n == 1) return 0;
  if (p[1] != '\n') return step_failed(decode_error(kind_, 400, kErrBadChunkTerminator));
  state_ = State::ChunkSize;
  return 2;
}

size_t Decoder::step_trailers(const uint8_t* p, size_t n, EventSink& sink) {
  auto len = scanner_.scan(p, n, kind_, false, options_.limits);
  if (!len) return step_failed(len.error());
  if (*len == 0) return 0;
  scanner_.reset();
  if (*len > 2) {
    trailers_.clear();
    FieldFacts facts;
    FieldRules rules{kind_, options_.response_obs_fold, &options_.limits};
    const uint8_t* q = p;
    if (auto st = parse_fields(q, p + *len, rules, false, trailers_, facts); !st) {
      return step_failed(st.error());
    }
    // RFC 9110 §6.5.1: framing, routing and connection fields are not allowed in trailers (the
    // field table's kFieldNotInTrailers, as for HTTP/2 and translation).
    for (const HeaderField& f : trailers_) {
      if (find_field_with<kFieldNotInTrailers>(f.name) != FieldId::Unknown) {
        return step_failed(decode_error(kind_, 400, kErrForbiddenTrailer));
      }
    }
    sink.on_trailers(stream_, trailers_);
  }
  end_message(sink);
  return *len;
}

void Decoder::resolve_tunnel(bool accepted, EventSink& sink) {
  if (state_ != State::TunnelPending) return;
  if (accepted) {
    state_ = State::Tunnel;
    return;
  }
  sink.on_end_of_message(stream_);
  state_ = connect_ || !keep_alive_ ? State::Closed : State::Head;
}

Status Decoder::finish(EventSink& sink) {
  switch (state_) {
    case State::Failed:
      return unexpected(error_);
    case State::CloseBody:
    case State::Tunnel:
      sink.on_end_of_message(stream_);
      state_ = State::Closed;
      return ok();
    case State::Head:
      if (partial_ || interim_) break;
      state_ = State::Closed;
      return ok();
    case State::TunnelPending:
    case State::Closed:
      state_ = State::Closed;
      return ok();
    default:
      break;
  }
  return unexpected(fail(decode_error(kind_, 400, kErrIncompleteMessage), sink));
}

}  // namespace crossmux::codecs::h1
