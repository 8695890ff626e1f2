// HTTP/2 connection core: preface, the feed loop with a handler table per frame type, errors,
// abuse budgets and the connection-level frames (RFC 9113 §3.4, §5.4, §6.3-§6.9).
#include "codecs/h2/connection.h"

#include <algorithm>
#include <cstring>

#include "codecs/h2/frame_rules.h"
#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {

namespace {

hpack::DecoderLimits decoder_limits(const Settings& local, const Limits& limits) {
  hpack::DecoderLimits d;
  // Until the peer acknowledges a smaller table it may use the RFC initial 4096 (§6.5.3).
  d.max_table_size = std::max<uint32_t>(local.header_table_size, 4096);
  d.max_header_list_size = limits.max_header_list_size;
  d.max_field_count = limits.max_field_count;
  d.max_field_size = limits.max_header_list_size;
  d.on_limit = hpack::LimitAction::Continue;
  return d;
}

}  // namespace

std::string_view to_string(Role r) {
  return r == Role::Client ? "client" : "server";
}

std::string_view to_string(DeadlineKind k) {
  return k == DeadlineKind::SettingsAck ? "settings-ack" : "header-completion";
}

const std::array<Connection::Handler, 0x11> Connection::kHandlers = [] {
  std::array<Handler, 0x11> t{};
  t[0x0] = &Connection::on_data;
  t[0x1] = &Connection::on_headers;
  t[0x2] = &Connection::on_priority;
  t[0x3] = &Connection::on_rst_stream;
  t[0x4] = &Connection::on_settings;
  t[0x5] = &Connection::on_push_promise;
  t[0x6] = &Connection::on_ping;
  t[0x7] = &Connection::on_goaway;
  t[0x8] = &Connection::on_window_update;
  t[0x9] = &Connection::on_continuation;
  t[0x10] = &Connection::on_priority_update;
  return t;
}();

Connection::Connection(Role role, EventSink& sink, const Settings& local, const Limits& limits)
    : role_(role),
      sink_(sink),
      local_(local),
      limits_(limits),
      conn_recv_(kDefaultWindow),
      decoder_(decoder_limits(local, limits)),
      next_local_stream_(role == Role::Client ? (limits.first_stream_id | 1) : 2),
      reset_tokens_(limits.reset_budget),
      glitch_tokens_(limits.glitch_budget) {
  local_.enable_push = 0;
  // RFC 9113 §3.4: the client sends the magic then SETTINGS; the server's preface is SETTINGS.
  if (role == Role::Client) {
    control_.append(kConnectionPreface);
    magic_unsent_ = kConnectionPreface.size();
  } else {
    preface_left_ = kConnectionPreface.size();
  }
  std::array<SettingsEntry, kMaxSettingsEntries> entries;
  write_settings(control_, entries.data(), encode_settings(local_, entries));
  settings_acks_owed_ = 1;
  arm(DeadlineKind::SettingsAck, true);
  if (limits.connection_window > kDefaultWindow) {
    write_window_update(control_, 0, limits.connection_window - kDefaultWindow);
    conn_recv_ = RecvWindow(limits.connection_window);
  }
}

Result<size_t> Connection::feed(Bytes input) {
  if (error_) return unexpected(*error_);
  size_t used = 0;
  if (preface_left_ > 0) {
    Result<size_t> r = feed_preface(input);
    if (!r) return r;
    used = *r;
    if (preface_left_ > 0) return used;
  }
  while (input.size() - used >= kFrameHeaderSize) {
    FrameHeader h = parse_frame_header(input.data() + used);
    // Oversized frames are refused before waiting for their payload (§4.2); we escalate the
    // stream-scope case to the connection rather than buffer or skip up to 16 MiB.
    if (h.length > local_.max_frame_size) {
      Status s = fail(H2Code::FrameSizeError, kFrameTooLarge, h.stream_id);
      return unexpected(s.error());
    }
    if (input.size() - used < kFrameHeaderSize + h.length) break;
    Bytes payload = input.subspan(used + kFrameHeaderSize, h.length);
    used += kFrameHeaderSize + h.length;
    if (counters_) ++counters_->frames_in[Counters::frame_slot(h.type)];
    if (Status s = on_frame(h, payload); !s) return unexpected(s.error());
  }
  return used;
}

Result<size_t> Connection::feed_preface(Bytes input) {
  if (input.empty()) return size_t{0};  // memcmp with a null pointer is UB even for 0 bytes
  size_t at = kConnectionPreface.size() - preface_left_;
  size_t n = std::min(preface_left_, input.size());
  if (std::memcmp(input.data(), kConnectionPreface.data() + at, n) != 0) {
    Status s = fail(H2Code::ProtocolError, kBadPreface);
    return unexpected(s.error());
  }
  preface_left_ -= n;
  return n;
}

Status Connection::on_frame(const FrameHeader& h, Bytes payload) {
  // §3.4: the first frame of either preface is a (non-ACK) SETTINGS.
  if (!peer_settings_seen_ &&
      (h.type != static_cast<uint8_t>(FrameType::Settings) || (h.flags & kFlagAck))) {
    return fail(H2Code::ProtocolError, kFirstFrameNotSettings);
  }
  // §6.10: nothing but CONTINUATION of the same stream inside a header block, unknown types too.
  if (block_open_ &&
      (h.type != static_cast<uint8_t>(FrameType::Continuation) || h.stream_id != block_stream_)) {
    return fail(H2Code::ProtocolError, kExpectedContinuation, h.stream_id);
  }
  Result<Frame> f = parse_frame(h, payload, local_.max_frame_size);
  if (!f && f.error().detail == kSelfDependency &&
      h.type == static_cast<uint8_t>(FrameType::Headers)) {
    // §5.3.1 is a stream error, but the block still goes through HPACK (§4.3).
    block_error_ = kSelfDependency;
    f = parse_headers_lenient(h, payload, local_.max_frame_size);
  }
  if (!f) {
    const Error& e = f.error();
    if (e.scope == Scope::Connection) return fail_connection(e);
    return stream_error(e.stream_id, e.h2_code(), e.detail);
  }
  if (h.type >= kHandlers.size() || kHandlers[h.type] == nullptr) return ok();  // §5.5 ignore
  return (this->*kHandlers[h.type])(*f);
}

Status Connection::fail_connection(const Error& e) {
  if (error_) return unexpected(*error_);
  error_ = e;
  write_goaway(control_, last_peer_stream_, static_cast<uint32_t>(e.h2_code()),
               as_bytes(std::string_view(e.detail)));
  goaway_sent_ = true;
  arm(DeadlineKind::SettingsAck, false);
  arm(DeadlineKind::HeaderCompletion, false);
  sink_.on_connection_error(e);
  return unexpected(e);
}

Status Connection::fail(H2Code code, const char* detail, StreamId stream) {
  return fail_connection(Error::h2(Scope::Connection, code, detail, stream,
                                   role_ == Role::Server ? Side::Client : Side::Backend));
}

Status Connection::stream_error(StreamId id, H2Code code, const char* detail, bool charge) {
  last_stream_error_ = Error::h2(Scope::Stream, code, detail, id,
                                 role_ == Role::Server ? Side::Client : Side::Backend);
  write_rst_stream(control_, id, static_cast<uint32_t>(code));
  if (Stream* s = streams_.find(id)) {
    close_stream(*s, CloseKind::ResetByUs);
    sink_.on_reset(id, static_cast<uint32_t>(code));
  } else {
    if (is_idle(id)) ++idle_resets_;
    streams_.remember(id, true);
  }
  ++queued_resets_;
  if (Status q = queue_control(); !q) return q;
  // MadeYouReset (CVE-2025-8671): resets the peer provokes cost the same budget as its own.
  return charge ? charge_reset() : ok();
}

Status Connection::charge_reset() {
  if (reset_tokens_ == 0) {
    count_limit(LimitKind::ResetBudget);
    return fail(H2Code::EnhanceYourCalm, kResetBudgetSpent);
  }
  --reset_tokens_;
  return ok();
}

Status Connection::glitch() {
  if (glitch_tokens_ == 0) {
    count_limit(LimitKind::GlitchBudget);
    return fail(H2Code::EnhanceYourCalm, kGlitchBudgetSpent);
  }
  --glitch_tokens_;
  return ok();
}

Status Connection::queue_control() {
  if (++queued_control_ > limits_.max_queued_control) {
    count_limit(LimitKind::ControlQueue);
    // Every control frame the peer makes us queue and does not read counts, the RST_STREAMs its
    // stream errors provoke too (a peer that never reads would otherwise grow our output without
    // bound); the detail says whether the ACKs alone passed the limit.
    return fail(H2Code::EnhanceYourCalm,
                queued_control_ - queued_resets_ > limits_.max_queued_control
                    ? kControlQueueFull
                    : kControlQueueFullWithResets);
  }
  return ok();
}

void Connection::arm(DeadlineKind kind, bool on) {
  Deadline& d = deadlines_[static_cast<size_t>(kind)];
  if (d.armed == on) return;
  d.armed = on;
  d.timeout_ms = kind == DeadlineKind::SettingsAck ? limits_.settings_ack_timeout_ms
                                                   : limits_.header_timeout_ms;
  if (on) d.serial = ++deadline_serial_;
}

void Connection::on_timeout(DeadlineKind kind, uint64_t serial) {
  const Deadline& d = deadlines_[static_cast<size_t>(kind)];
  if (!d.armed || d.serial != serial || error_) return;
  // §6.5.3: an unacknowledged SETTINGS may end the connection with SETTINGS_TIMEOUT.
  if (kind == DeadlineKind::SettingsAck) {
    (void)fail(H2Code::SettingsTimeout, kSettingsTimeout);
  } else {
    count_limit(LimitKind::HeaderTimeout);
    (void)fail(H2Code::EnhanceYourCalm, kHeaderTimeout);
  }
}

bool Connection::is_idle(StreamId id) const {
  bool local = (id & 1) == (role_ == Role::Client ? 1u : 0u);
  return local ? id >= next_local_stream_ : id > last_peer_stream_;
}

void Connection::advance(Stream& s, StreamEvent e) {
  s.state = transition(s.state, e);
  if (s.state == StreamState::Closed) close_stream(s, CloseKind::Clean);
}

void Connection::close_stream(Stream& s, CloseKind kind) {
  if (s.scheduled) scheduler_.remove(s.id, s.priority);
  // Flow credit of bytes the application will now never consume goes back to the connection.
  credit_connection(static_cast<uint32_t>(s.unconsumed));
  if (kind == CloseKind::Clean) {
    reset_tokens_ = std::min(reset_tokens_ + 1, limits_.reset_budget);
    glitch_tokens_ = std::min(glitch_tokens_ + 10, limits_.glitch_budget);
  }
  streams_.close(s.id, kind == CloseKind::ResetByUs);
}

Status Connection::on_settings(const Frame& f) {
  const auto& sf = std::get<SettingsFrame>(f.payload);
  if (sf.ack) {
    if (settings_acks_owed_ == 0) return ok();
    if (--settings_acks_owed_ == 0) arm(DeadlineKind::SettingsAck, false);
    // §6.9.2: our INITIAL_WINDOW_SIZE applies from the ACK on, to open streams too.
    uint32_t old = recv_initial_window_;
    recv_initial_window_ = local_.initial_window_size;
    if (old != recv_initial_window_) {
      streams_.for_each([&](Stream& s) {
        uint32_t inc = s.recv.retarget(recv_initial_window_);
        if (inc > 0 && can_receive(s.state)) write_window_update(control_, s.id, inc);
      });
    }
    decoder_.set_max_table_size(local_.header_table_size);
    return ok();
  }
  if (sf.count() > limits_.max_settings_entries) {
    count_limit(LimitKind::SettingsEntries);
    return fail(H2Code::EnhanceYourCalm, kTooManySettings);
  }
  uint32_t old_window = peer_.initial_window_size;
  for (size_t i = 0; i < sf.count(); ++i) {
    const SettingsEntry e = sf.entry(i);
    if (Status s = apply_setting(peer_, e); !s) return fail_connection(s.error());
    // RFC 9113 §6.5.2: a server MUST NOT set ENABLE_PUSH to 1; a client MUST treat it as a
    // connection PROTOCOL_ERROR.
    if (role_ == Role::Client && e.id == static_cast<uint16_t>(SettingId::EnablePush) &&
        e.value == 1) {
      return fail(H2Code::ProtocolError, kServerEnabledPush);
    }
    // RFC 7541 §4.2: every value counts, since the smallest one since our last block must be
    // signalled (a peer may lower the size and raise it again in one frame).
    if (e.id == static_cast<uint16_t>(SettingId::HeaderTableSize)) {
      encoder_.set_peer_max_table_size(e.value);
    }
  }
  peer_settings_seen_ = true;
  // §6.5.3: several values in one frame are processed in order; only the last one counts here.
  int64_t delta = static_cast<int64_t>(peer_.initial_window_size) - old_window;
  if (delta != 0) {
    if (Status s = apply_peer_window_delta(delta); !s) return s;
  }
  write_settings_ack(control_);
  return queue_control();
}

Status Connection::apply_peer_window_delta(int64_t delta) {
  bool overflow = false;
  streams_.for_each([&](Stream& s) {
    if (!s.send.adjust(delta)) overflow = true;
    if (delta > 0 && !s.scheduled && s.send.room() > 0 && !s.queue.empty()) schedule(s);
  });
  // §6.9.2: a change that pushes any window past 2^31-1 is a connection FLOW_CONTROL_ERROR.
  if (overflow) return fail(H2Code::FlowControlError, kSettingsWindowOverflow);
  return ok();
}

Status Connection::on_ping(const Frame& f) {
  const auto& p = std::get<PingFrame>(f.payload);
  if (p.ack) {
    if (graceful_pending_ && p.opaque == kGoAwayPing) {
      // Second step of the graceful shutdown: the peer has seen the first GOAWAY for one RTT.
      graceful_pending_ = false;
      goaway_last_ = last_peer_stream_;
      write_goaway(control_, goaway_last_, 0, {});
    }
    return ok();
  }
  write_ping(control_, true, p.opaque);
  return queue_control();
}

Status Connection::on_goaway(const Frame& f) {
  const auto& g = std::get<GoAwayFrame>(f.payload);
  if (counters_) ++counters_->goaway_in[Counters::code_slot(g.code)];
  // §6.8: endpoints MUST NOT increase the last-stream-id of later GOAWAYs.
  if (peer_goaway_ && g.last_stream_id > peer_goaway_last_) {
    return fail(H2Code::ProtocolError, kGoAwayIdIncreased);
  }
  peer_goaway_ = true;
  peer_goaway_last_ = g.last_stream_id;
  sink_.on_goaway(g.last_stream_id, g.code, as_chars(g.debug));
  // Streams we opened above last-stream-id were not processed: safe to retry elsewhere.
  std::vector<StreamId> refused;
  streams_.for_each([&](Stream& s) {
    if (s.local && s.id > g.last_stream_id) refused.push_back(s.id);
  });
  for (StreamId id : refused) {
    if (Stream* s = streams_.find(id)) close_stream(*s, CloseKind::ResetByPeer);
    sink_.on_reset(id, static_cast<uint32_t>(H2Code::RefusedStream));
  }
  return ok();
}

Status Connection::on_window_update(const Frame& f) {
  uint32_t inc = std::get<WindowUpdateFrame>(f.payload).increment;
  StreamId id = f.header.stream_id;
  if (id == 0) {
    // §6.9.1: a connection window above 2^31-1 is a connection FLOW_CONTROL_ERROR.
    if (!conn_send_.adjust(inc)) return fail(H2Code::FlowControlError, kConnWindowOverflow);
    return ok();
  }
  Stream* s = streams_.find(id);
  if (!s) {
    if (is_idle(id)) return fail(H2Code::ProtocolError, kFrameOnIdleStream, id);
    return ok();  // §5.1: WINDOW_UPDATE on a closed stream is ignored
  }
  if (!s->send.adjust(inc)) {
    return stream_error(id, H2Code::FlowControlError, kStreamWindowOverflow);
  }
  if (!s->scheduled && !s->queue.empty() && s->send.room() > 0) schedule(*s);
  return ok();
}

Status Connection::on_rst_stream(const Frame& f) {
  StreamId id = f.header.stream_id;
  if (counters_) ++counters_->rst_in[Counters::code_slot(std::get<RstStreamFrame>(f.payload).code)];
  Stream* s = streams_.find(id);
  if (!s) {
    if (is_idle(id)) return fail(H2Code::ProtocolError, kFrameOnIdleStream, id);
    return ok();
  }
  uint32_t code = std::get<RstStreamFrame>(f.payload).code;
  close_stream(*s, CloseKind::ResetByPeer);
  sink_.on_reset(id, code);
  // Rapid Reset (CVE-2023-44487): every peer reset spends a token.
  return charge_reset();
}

Status Connection::on_priority(const Frame&) {
  // RFC 9113 §5.3.2: the RFC 7540 scheme is deprecated; parsed (frame layer) and dropped in O(1).
  return glitch();
}

Status Connection::on_priority_update(const Frame& f) {
  // RFC 9218 §7.1: only clients send PRIORITY_UPDATE.
  if (role_ == Role::Client) return fail(H2Code::ProtocolError, kUnsolicitedHeaders);
  const auto& p = std::get<PriorityUpdateFrame>(f.payload);
  Stream* s = streams_.find(p.prioritized_id);
  if (!s) return ok();
  bool was = s->scheduled;
  if (was) scheduler_.remove(s->id, s->priority);
  s->priority = parse_priority(as_chars(p.field_value), s->priority);
  if (was) scheduler_.push(s->id, s->priority);
  return ok();
}

Status Connection::on_push_promise(const Frame& f) {
  // §8.4: a server never receives PUSH_PROMISE; a client that sent ENABLE_PUSH=0 must not either.
  return fail(H2Code::ProtocolError, kPushNotAllowed, f.header.stream_id);
}

}  // namespace crossmux::codecs::h2
