// H2Observer: both directions of one HTTP/2 connection read with our frame parser, HPACK decoder,
// stream state table and header semantics; the server's side judged against RFC 9113.
#include "fuzz/net/h2_observer.h"

#include <algorithm>
#include <variant>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/header_semantics.h"
#include "fuzz/net/net_case.h"

namespace crossmux::fuzz::net {

namespace h2 = codecs::h2;
using h2::FrameType;

std::string_view to_string(Fate f) {
  switch (f) {
    case Fate::Pending:
      return "pending";
    case Fate::Answered:
      return "answered";
    case Fate::Reset:
      return "reset";
    case Fate::Refused:
      return "refused";
    case Fate::ConnectionError:
      return "connection-error";
  }
  return "?";
}

struct H2Observer::Stream {
  h2::StreamState state = h2::StreamState::Idle;  // the client's view (RFC 9113 §5.1)
  bool opened = false;                            // we sent HEADERS on it
  bool opened_ok = false;                         // ... correctly
  bool request_complete = false;
  bool client_error = false;  // we broke a stream rule on it: the server should reset it
  bool we_reset = false;
  bool pushed = false;
  bool server_reset = false;
  uint32_t reset_code = 0;
  bool server_ended = false;
  bool final_head = false;
  int status = -1;
  bool has_length = false;
  uint64_t content_length = 0;
  uint64_t body = 0;
  int64_t grants = 0;         // our WINDOW_UPDATE increments for it
  int64_t data_received = 0;  // its DATA lengths, padding included
  bool request_seen = false;  // its first header block was processed
  bool request_decoded = false;
  FieldList request;
  std::string method;
  // The server read the same request we did: it was opened correctly, its block decoded and
  // came before any framing error of ours. Otherwise (a server may act on a partial block, or
  // parse a broken one its own way) rules that depend on the method are not judged.
  bool method_known = false;

  bool owed() const { return opened_ok && request_complete && !client_error && !we_reset; }
  bool bodiless() const { return method == "HEAD" || status == 204 || status == 304; }
};

namespace {

codecs::hpack::DecoderLimits generous() {
  codecs::hpack::DecoderLimits l;
  l.max_header_list_size = 1 << 22;
  l.max_field_count = 1 << 16;
  l.max_field_size = 1 << 22;
  return l;
}

std::string bytes_of(const codecs::ByteBuffer& b) {
  return std::string(b.view());
}

// Whole frames out of a byte stream, after an optional preface. Returns false once the preface
// did not match.
template <class F>
bool split_frames(std::string& buf, size_t& preface_left, std::string_view in, F&& on_frame) {
  buf.append(in);
  if (preface_left > 0) {
    size_t n = std::min(preface_left, buf.size());
    size_t at = kH2ClientPreface.size() - preface_left;
    if (buf.compare(0, n, kH2ClientPreface.substr(at, n)) != 0) return false;
    preface_left -= n;
    buf.erase(0, n);
  }
  size_t at = 0;
  while (buf.size() - at >= h2::kFrameHeaderSize) {
    auto h = h2::parse_frame_header(reinterpret_cast<const uint8_t*>(buf.data() + at));
    if (buf.size() - at - h2::kFrameHeaderSize < h.length) break;
    on_frame(h, std::string_view(buf).substr(at + h2::kFrameHeaderSize, h.length),
             std::string_view(buf).substr(at, h2::kFrameHeaderSize + h.length));
    at += h2::kFrameHeaderSize + h.length;
  }
  buf.erase(0, at);
  return true;
}

codecs::Bytes bytes(std::string_view s) {
  return codecs::as_bytes(s);
}

std::string sid(uint32_t id) {
  return "stream " + std::to_string(id);
}

}  // namespace

H2Observer::H2Observer() {
  client_in_.preface_left = kH2ClientPreface.size();
  auto mirror = generous();
  mirror.max_table_size = 1u << 20;  // whatever size updates our (mutated) blocks carry
  client_hpack_ = std::make_unique<codecs::hpack::Decoder>(mirror);
  server_hpack_ = std::make_unique<codecs::hpack::Decoder>(generous());
}

H2Observer::~H2Observer() = default;

void H2Observer::violate(std::string rule, std::string detail) {
  if (!rules_seen_.insert(rule).second) return;
  violations_.push_back({std::move(rule), std::move(detail)});
}

void H2Observer::sent(std::string_view in) {
  if (!client_preface_ok_) return;
  client_preface_ok_ =
      split_frames(client_in_.buf, client_in_.preface_left, in,
                   [&](const h2::FrameHeader& h, Payload p, Payload) { on_client_frame(h, p); });
  // A frame whose header went out names its stream before its payload is complete: servers that
  // read header blocks as they arrive (nghttp2, nginx) may already answer or reset it.
  const std::string& b = client_in_.buf;
  if (client_preface_ok_ && client_in_.preface_left == 0 && b.size() >= h2::kFrameHeaderSize) {
    const auto at = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(b[i])); };
    const uint32_t id = (at(5) & 0x7f) << 24 | at(6) << 16 | at(7) << 8 | at(8);
    if (id != 0) mentioned_.insert(id);
    if (id != 0 && at(3) == static_cast<uint8_t>(FrameType::Headers)) {
      unfinished_headers_.insert(id);
    }
  }
}

void H2Observer::received(std::string_view in) {
  if (!client_preface_ok_ || server_broken_) return;
  size_t none = 0;
  split_frames(server_in_.buf, none, in, [&](const h2::FrameHeader& h, Payload p, Payload whole) {
    if (!server_broken_) on_server_frame(h, p, whole);
  });
}

void H2Observer::closed() {
  conn_.closed = true;
}

// ---- what we sent ----------------------------------------------------------------------------

void H2Observer::on_client_frame(const h2::FrameHeader& h, Payload p) {
  if (h.stream_id != 0) mentioned_.insert(h.stream_id);
  const auto type = static_cast<FrameType>(h.type);
  if (client_block_open_ && type != FrameType::Continuation) {
    client_failed_ = true;  // RFC 9113 §6.10: the server must fail the connection
    client_block_open_ = false;
  }
  if (type == FrameType::Headers) return client_headers(h, p);
  if (type == FrameType::Continuation) {
    if (!client_block_open_ || h.stream_id != client_block_stream_) {
      client_failed_ = true;
      return;
    }
    client_block_.append(p);
    if (h.flags & h2::kFlagEndHeaders) {
      client_block_open_ = false;
      client_block_done(streams_[client_block_stream_]);
    }
    return;
  }
  auto f = h2::parse_frame(h, bytes(p), h2::kMaxMaxFrameSize);
  if (!f) {
    if (f.error().scope == codecs::Scope::Connection) client_failed_ = true;
    if (h.stream_id != 0) streams_[h.stream_id].client_error = true;
    return;
  }
  switch (type) {
    case FrameType::Data: {
      Stream& s = streams_[h.stream_id];
      if (!h2::can_send(s.state)) s.client_error = true;
      send_window_ -= h.length;
      if (std::get<h2::DataFrame>(f->payload).end_stream && !s.client_error) {
        s.state = h2::transition(s.state, h2::StreamEvent::SendEndStream);
        if (s.opened_ok) s.request_complete = true;
      }
      break;
    }
    case FrameType::RstStream: {
      Stream& s = streams_[h.stream_id];
      s.we_reset = true;
      s.state = h2::StreamState::Closed;
      break;
    }
    case FrameType::Settings:
      if (!std::get<h2::SettingsFrame>(f->payload).ack) client_settings(p);
      break;
    case FrameType::Ping: {
      const auto& ping = std::get<h2::PingFrame>(f->payload);
      if (!ping.ack) pings_sent_.insert(ping.opaque);
      break;
    }
    case FrameType::WindowUpdate: {
      uint32_t inc = std::get<h2::WindowUpdateFrame>(f->payload).increment;
      if (h.stream_id == 0) {
        recv_window_ += inc;
      } else {
        streams_[h.stream_id].grants += inc;
      }
      break;
    }
    default:
      break;
  }
}

void H2Observer::client_headers(const h2::FrameHeader& h, Payload p) {
  auto f = h2::parse_headers_lenient(h, bytes(p), h2::kMaxMaxFrameSize);
  if (!f) {
    client_failed_ = true;
    return;
  }
  const auto& hf = std::get<h2::HeadersFrame>(f->payload);
  const uint32_t id = h.stream_id;
  Stream& s = streams_[id];
  if (!s.opened) {
    s.opened = true;
    // RFC 9113 §5.1.1: a new client stream is odd and above every stream opened before it.
    s.opened_ok = (id & 1) != 0 && id > last_client_stream_ && !client_failed_ &&
                  s.state == h2::StreamState::Idle && !s.client_error;
    if ((id & 1) != 0 && id > last_client_stream_) last_client_stream_ = id;
  }
  auto next = h2::transition(s.state, h2::StreamEvent::SendHeaders);
  if (next == h2::StreamState::Invalid || (s.request_seen && !hf.end_stream)) {
    s.client_error = true;  // HEADERS after our END_STREAM, or trailers that do not end it
  } else {
    s.state = next;
  }
  if (hf.end_stream && !s.client_error) {
    s.state = h2::transition(s.state, h2::StreamEvent::SendEndStream);
  }
  client_block_.assign(codecs::as_chars(hf.block));
  client_block_stream_ = id;
  client_block_end_stream_ = hf.end_stream && !s.client_error;
  client_block_open_ = !hf.end_headers;
  if (!client_block_open_) client_block_done(s);
}

void H2Observer::client_block_done(Stream& s) {
  // The request is complete once the block that carried END_STREAM is (RFC 9113 §8.1).
  if (client_block_end_stream_) s.request_complete = s.opened_ok;
  client_block_end_stream_ = false;
  codecs::hpack::DecodedBlock block;
  const bool ok = client_hpack_->decode(bytes(client_block_), block).has_value();
  if (s.request_seen) return;  // trailers: only the HPACK context matters
  s.request_seen = true;
  s.request_decoded = ok;
  if (!ok) return;
  size_t methods = 0;
  for (const auto& field : block.fields()) {
    s.request.emplace_back(std::string(field.name), std::string(field.value));
    if (field.name == ":method") {
      s.method = std::string(field.value);
      ++methods;
    }
  }
  // Two :method fields make the request malformed (RFC 9113 §8.3) and its method anyone's guess:
  // nginx answers GET-then-HEAD with a 400 page, which is no body on a HEAD.
  s.method_known = s.opened_ok && !client_failed_ && !s.client_error && methods == 1;
}

void H2Observer::client_settings(Payload p) {
  std::vector<h2::SettingsEntry> entries;
  for (size_t at = 0; at + 6 <= p.size(); at += 6) {
    const auto* b = reinterpret_cast<const uint8_t*>(p.data() + at);
    h2::SettingsEntry e{codecs::load_u16be(b), codecs::load_u32be(b + 2)};
    entries.push_back(e);
    // Until the server acknowledges, it may already use the new values: the bounds take the
    // largest value ever announced.
    if (e.id == static_cast<uint16_t>(h2::SettingId::MaxFrameSize) &&
        e.value <= h2::kMaxMaxFrameSize) {
      max_frame_size_ = std::max(max_frame_size_, e.value);
    }
    if (e.id == static_cast<uint16_t>(h2::SettingId::EnablePush) && e.value == 1) {
      push_disabled_ = false;
    }
  }
  pending_settings_.push_back(std::move(entries));
}

int64_t H2Observer::initial_window_bound() const {
  // Until the server acknowledges a change it may already apply it (RFC 9113 §6.9.2): the bound
  // is the largest value it may be using.
  int64_t bound = acked_initial_window_;
  for (const auto& entries : pending_settings_) {
    for (const auto& e : entries) {
      if (e.id == static_cast<uint16_t>(h2::SettingId::InitialWindowSize) &&
          e.value <= h2::kMaxWindow) {
        bound = std::max<int64_t>(bound, e.value);
      }
    }
  }
  return bound;
}

// ---- what the server sent --------------------------------------------------------------------

void H2Observer::on_server_frame(const h2::FrameHeader& h, Payload p, Payload whole) {
  const auto type = static_cast<FrameType>(h.type);
  const std::string what = describe_unit(Proto::H2, whole);
  if (first_server_frame_) {
    first_server_frame_ = false;
    if (type != FrameType::Settings || (h.flags & h2::kFlagAck) != 0) {
      violate("preface-not-settings",
              "the server's first frame is " + what + ", not SETTINGS (RFC 9113 §3.4)");
    }
  }
  if (server_block_open_ &&
      (type != FrameType::Continuation || h.stream_id != server_block_stream_)) {
    violate("header-block-interleaved", what + " inside the header block of " +
                                            sid(server_block_stream_) + " (RFC 9113 §6.10)");
    server_broken_ = true;
    return;
  }
  if (type == FrameType::Continuation && !server_block_open_) {
    violate("continuation-without-headers", what + " with no header block open (RFC 9113 §6.10)");
    server_broken_ = true;
    return;
  }
  auto f = h2::parse_frame(h, bytes(p), max_frame_size_);
  if (!f) {
    violate("frame-invalid", what + ": " + f.error().detail + " (RFC 9113 §4-§6)");
    if (f.error().scope == codecs::Scope::Connection) server_broken_ = true;
    return;
  }
  switch (type) {
    case FrameType::Data:
      return server_data(*f);
    case FrameType::Headers:
      return server_headers(*f);
    case FrameType::Continuation: {
      const auto& c = std::get<h2::ContinuationFrame>(f->payload);
      server_block_.append(codecs::as_chars(c.block));
      if (c.end_headers) server_block_done();
      return;
    }
    case FrameType::RstStream: {
      auto it = streams_.find(h.stream_id);
      if (it == streams_.end() && !mentioned_.count(h.stream_id) && !promised_.count(h.stream_id)) {
        violate("rst-on-idle-stream",
                "RST_STREAM on " + sid(h.stream_id) +
                    ", which no frame of the client ever named (RFC 9113 §6.4: not on idle "
                    "streams)");
        return;
      }
      Stream& s = streams_[h.stream_id];
      if (!s.server_reset && !s.server_ended) {
        s.server_reset = true;
        s.reset_code = std::get<h2::RstStreamFrame>(f->payload).code;
      }
      return;
    }
    case FrameType::Settings:
      return server_settings(*f);
    case FrameType::PushPromise:
      return server_push(*f);
    case FrameType::Ping: {
      const auto& ping = std::get<h2::PingFrame>(f->payload);
      if (ping.ack) {
        pings_acked_.insert(ping.opaque);
      } else {
        codecs::ByteBuffer b;
        h2::write_ping(b, true, ping.opaque);
        service_ += bytes_of(b);
      }
      return;
    }
    case FrameType::GoAway:
      return server_goaway(*f);
    case FrameType::WindowUpdate: {
      uint32_t inc = std::get<h2::WindowUpdateFrame>(f->payload).increment;
      if (h.stream_id == 0) {
        send_window_ += inc;
        if (send_window_ > h2::kMaxWindow) {
          violate("window-overflow", "WINDOW_UPDATE takes the connection window to " +
                                         std::to_string(send_window_) +
                                         ", above 2^31-1 (RFC 9113 §6.9.1)");
        }
      } else if (!mentioned_.count(h.stream_id) && !promised_.count(h.stream_id)) {
        violate("frame-on-idle-stream", "WINDOW_UPDATE on " + sid(h.stream_id) +
                                            ", which the client never opened (RFC 9113 §5.1)");
      }
      return;
    }
    default:
      return;  // PRIORITY, PRIORITY_UPDATE and unknown types carry no obligation here
  }
}

H2Observer::Stream* H2Observer::server_stream(uint32_t id, std::string_view what,
                                              bool data_or_headers) {
  auto it = streams_.find(id);
  const bool known = it != streams_.end() && (it->second.opened || promised_.count(id));
  if (!known) {
    // An answer to a HEADERS frame still arriving, read as far as it came: not judged.
    if (data_or_headers && !unfinished_headers_.count(id)) {
      violate("frame-on-idle-stream", std::string(what) + " on " + sid(id) +
                                          ", which the client never opened (RFC 9113 §5.1)");
    }
    return nullptr;
  }
  Stream& s = it->second;
  if (s.we_reset) return nullptr;  // frames in flight when our RST_STREAM arrived (§5.1 closed)
  if (s.server_ended || s.server_reset) {
    violate("frame-after-stream-end", std::string(what) + " on " + sid(id) + " after the server " +
                                          (s.server_ended ? "ended it (END_STREAM)" : "reset it") +
                                          " (RFC 9113 §5.1)");
    return nullptr;
  }
  if (conn_.goaway && id > conn_.last_stream_id && !s.pushed && data_or_headers) {
    violate("stream-above-goaway",
            std::string(what) + " on " + sid(id) + ", above the last-stream-id " +
                std::to_string(conn_.last_stream_id) + " of the server's GOAWAY (RFC 9113 §6.8)");
  }
  return &s;
}

void H2Observer::server_headers(const h2::Frame& f) {
  const auto& hf = std::get<h2::HeadersFrame>(f.payload);
  server_block_stream_ = f.header.stream_id;
  server_block_end_stream_ = hf.end_stream;
  server_block_push_ = false;
  server_block_.assign(codecs::as_chars(hf.block));
  server_block_open_ = !hf.end_headers;
  if (!server_block_open_) server_block_done();
}

void H2Observer::server_block_done() {
  server_block_open_ = false;
  codecs::hpack::DecodedBlock block;
  if (auto r = server_hpack_->decode(bytes(server_block_), block); !r) {
    violate("hpack-invalid", std::string("the server's header block on ") +
                                 sid(server_block_stream_) +
                                 " does not decode: " + r.error().detail + " (RFC 7541)");
    server_broken_ = true;
    return;
  }
  if (server_block_push_) return;  // the promised request: only the HPACK context matters
  Stream* s = server_stream(server_block_stream_, "HEADERS", true);
  if (!s) return;
  const bool end = server_block_end_stream_;
  if (!s->final_head) {
    codecs::MessageHead head;
    // An unknown method is read as HEAD: a body is then allowed but not required.
    h2::RequestFacts facts{!s->method_known || s->method == "HEAD", s->method == "CONNECT"};
    if (auto r = h2::to_response(block.fields(), end, facts, head); !r) {
      violate("response-malformed", "response head on " + sid(server_block_stream_) + ": " +
                                        r.error().detail + " (RFC 9113 §8.3.2, §8.2)");
      s->final_head = true;  // the client treats it as the (malformed) answer
    } else if (head.status >= 200) {
      s->final_head = true;
      s->status = head.status;
      s->has_length = head.framing == codecs::Framing::KnownLength;
      s->content_length = head.content_length;
      if (!end) {
        // A small stream window would stall the body: open it, as a browser would.
        int64_t room = acked_initial_window_ + s->grants - s->data_received;
        codecs::ByteBuffer b;
        if (room < 16384)
          h2::write_window_update(b, server_block_stream_, static_cast<uint32_t>(65535 - room));
        if (recv_window_ < 16384) {
          h2::write_window_update(b, 0, static_cast<uint32_t>(65535 - recv_window_));
        }
        service_ += bytes_of(b);
      }
    }
  } else {
    codecs::HeaderList trailers;
    if (auto r = h2::to_trailers(block.fields(), end, trailers); !r) {
      violate("trailers-malformed", "trailers on " + sid(server_block_stream_) + ": " +
                                        r.error().detail + " (RFC 9113 §8.1)");
    }
  }
  if (end) server_end_stream(*s);
}

void H2Observer::server_data(const h2::Frame& f) {
  const auto& d = std::get<h2::DataFrame>(f.payload);
  const uint32_t len = f.header.length;
  const uint32_t id = f.header.stream_id;
  recv_window_ -= len;
  if (recv_window_ < 0) {
    violate("connection-window-exceeded",
            "DATA on " + sid(id) + " exceeds the connection window by " +
                std::to_string(-recv_window_) + " octets (RFC 9113 §6.9.1)");
  }
  codecs::ByteBuffer credit;
  if (len > 0) h2::write_window_update(credit, 0, len);
  Stream* s = server_stream(id, "DATA", true);
  if (s) {
    const int64_t allowed = initial_window_bound() + s->grants - s->data_received;
    s->data_received += len;
    if (len > allowed) {
      violate("stream-window-exceeded", "DATA on " + sid(id) + " exceeds the stream window by " +
                                            std::to_string(len - allowed) +
                                            " octets (RFC 9113 §6.9.1)");
    }
    if (!s->final_head) {
      violate("data-before-response",
              "DATA on " + sid(id) + " before a final response head (RFC 9113 §8.1)");
    }
    s->body += d.data.size();
    if (s->final_head && s->method_known && s->bodiless() && !d.data.empty()) {
      violate("body-in-bodiless-response",
              "DATA octets on " + sid(id) + " in a response to " +
                  (s->method == "HEAD" ? std::string("HEAD") : std::to_string(s->status)) +
                  ", which has no content (RFC 9110 §6.4.1)");
    }
    if (len > 0 && !d.end_stream) h2::write_window_update(credit, id, len);
    if (d.end_stream) server_end_stream(*s);
  }
  service_ += bytes_of(credit);
}

void H2Observer::server_end_stream(Stream& s) {
  s.server_ended = true;
  if (s.final_head && s.method_known && s.has_length && !s.bodiless() &&
      s.body != s.content_length) {
    violate("content-length-mismatch", "content-length " + std::to_string(s.content_length) +
                                           " but " + std::to_string(s.body) +
                                           " DATA octets (RFC 9113 §8.1.1)");
  }
}

void H2Observer::server_settings(const h2::Frame& f) {
  const auto& sf = std::get<h2::SettingsFrame>(f.payload);
  if (sf.ack) {
    if (pending_settings_.empty()) {
      violate("settings-ack-unsolicited",
              "SETTINGS ACK with no SETTINGS of the client outstanding (RFC 9113 §6.5.3)");
      return;
    }
    for (const auto& e : pending_settings_.front()) {
      switch (static_cast<h2::SettingId>(e.id)) {
        case h2::SettingId::HeaderTableSize:
          server_hpack_->set_max_table_size(e.value);
          break;
        case h2::SettingId::InitialWindowSize:
          if (e.value <= h2::kMaxWindow) acked_initial_window_ = e.value;
          break;
        case h2::SettingId::EnablePush:
          push_disabled_ = e.value == 0;
          break;
        default:
          break;
      }
    }
    pending_settings_.pop_front();
    return;
  }
  conn_.server_settings = true;
  for (size_t i = 0; i < sf.count(); ++i) {
    const h2::SettingsEntry e = sf.entry(i);
    if (auto r = h2::apply_setting(server_settings_, e); !r) {
      violate("settings-invalid",
              std::string("the server's SETTINGS: ") + r.error().detail + " (RFC 9113 §6.5.2)");
    }
    if (e.id == static_cast<uint16_t>(h2::SettingId::EnablePush) && e.value != 0) {
      violate("settings-enable-push-from-server",
              "a server's SETTINGS_ENABLE_PUSH must be 0 when present (RFC 9113 §6.5.2)");
    }
  }
  codecs::ByteBuffer b;
  h2::write_settings_ack(b);
  service_ += bytes_of(b);
}

void H2Observer::server_goaway(const h2::Frame& f) {
  const auto& g = std::get<h2::GoAwayFrame>(f.payload);
  if (conn_.goaway && g.last_stream_id > conn_.last_stream_id) {
    violate("goaway-id-increased", "GOAWAY last-stream-id went from " +
                                       std::to_string(conn_.last_stream_id) + " to " +
                                       std::to_string(g.last_stream_id) + " (RFC 9113 §6.8)");
  }
  conn_.goaway = true;
  conn_.goaway_code = g.code;
  conn_.last_stream_id = g.last_stream_id;
}

void H2Observer::server_push(const h2::Frame& f) {
  const auto& pp = std::get<h2::PushPromiseFrame>(f.payload);
  if (push_disabled_) {
    violate("push-while-disabled",
            "PUSH_PROMISE after the client's SETTINGS_ENABLE_PUSH=0 was acknowledged "
            "(RFC 9113 §6.6)");
  }
  (void)server_stream(f.header.stream_id, "PUSH_PROMISE", true);
  if ((pp.promised_id & 1) != 0 || promised_.count(pp.promised_id) ||
      (!promised_.empty() && pp.promised_id < *promised_.rbegin())) {
    violate("push-bad-promised-id", "PUSH_PROMISE promises " + sid(pp.promised_id) +
                                        ", not a new even id (RFC 9113 §5.1.1, §6.6)");
  }
  promised_.insert(pp.promised_id);
  Stream& promised = streams_[pp.promised_id];
  promised.pushed = true;
  promised.final_head = false;
  server_block_stream_ = f.header.stream_id;
  server_block_end_stream_ = false;
  server_block_push_ = true;
  server_block_.assign(codecs::as_chars(pp.block));
  server_block_open_ = !pp.end_headers;
  if (!server_block_open_) server_block_done();
}

// ---- results ---------------------------------------------------------------------------------

std::string H2Observer::take_service() {
  std::string out;
  out.swap(service_);
  return out;
}

bool H2Observer::sent_whole_frames() const {
  return client_preface_ok_ && client_in_.preface_left == 0 && client_in_.buf.empty();
}

bool H2Observer::ping_acked(const std::array<uint8_t, 8>& opaque) const {
  return pings_acked_.count(opaque) != 0;
}

bool H2Observer::settled(const std::array<uint8_t, 8>& marker) const {
  // Once we lost the server's framing or HPACK context nothing more can be judged; the
  // violation that broke it is the finding.
  if (conn_.failed() || server_broken_) return true;
  // A marker inside a frame we left unfinished never reaches the server as a PING.
  return (ping_acked(marker) || !sent_whole_frames()) && unanswered().empty();
}

std::vector<uint32_t> H2Observer::unanswered() const {
  std::vector<uint32_t> out;
  if (conn_.failed() || !client_preface_ok_ || server_broken_) return out;
  for (const auto& [id, s] : streams_) {
    if (!s.owed() || s.server_ended || s.server_reset) continue;
    if (conn_.goaway && id > conn_.last_stream_id) continue;
    out.push_back(id);
  }
  return out;
}

std::vector<StreamOutcome> H2Observer::streams() const {
  std::vector<StreamOutcome> out;
  for (const auto& [id, s] : streams_) {
    if (!s.opened) continue;
    StreamOutcome o;
    o.id = id;
    o.owed = s.owed();
    o.status = s.final_head ? s.status : -1;
    o.response_complete = s.final_head && s.server_ended;
    o.body_bytes = s.body;
    o.request_decoded = s.request_decoded;
    o.request = s.request;
    if (s.final_head) {
      o.fate = Fate::Answered;
    } else if (s.server_reset) {
      o.code = s.reset_code;
      o.fate = s.reset_code == static_cast<uint32_t>(codecs::H2Code::RefusedStream) ? Fate::Refused
                                                                                    : Fate::Reset;
    } else if (conn_.goaway && id > conn_.last_stream_id) {
      o.fate = Fate::Refused;
    } else if (conn_.failed()) {
      o.fate = Fate::ConnectionError;
      o.code = conn_.goaway_code;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace crossmux::fuzz::net
