// Probe I/O (TCP or TLS with poll timeouts), frame reading and writing, request blocks.
#include "conformance/h2/probe.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "codecs/h2/frame.h"
#include "codecs/hpack/huffman.h"
#include "codecs/hpack/static_table.h"
#include "conformance/h2/frame_check.h"

namespace crossmux::conformance::h2 {

namespace {

constexpr std::string_view kPreface = codecs::h2::kConnectionPreface;

void put_u32(std::string& s, uint32_t v) {
  s += static_cast<char>(v >> 24);
  s += static_cast<char>(v >> 16);
  s += static_cast<char>(v >> 8);
  s += static_cast<char>(v);
}

uint32_t get_u32(std::string_view s, size_t at) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

}  // namespace

std::string Target::authority() const {
  uint16_t p = effective_port();
  bool default_port = (tls && p == 443) || (!tls && p == 80);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + std::to_string(p);
}

std::string frame_type_name(uint8_t type) {
  static const char* kNames[] = {"DATA",          "HEADERS",      "PRIORITY", "RST_STREAM",
                                 "SETTINGS",      "PUSH_PROMISE", "PING",     "GOAWAY",
                                 "WINDOW_UPDATE", "CONTINUATION"};
  return type < 10 ? kNames[type] : "UNKNOWN(0x" + std::to_string(type) + ")";
}

std::string error_code_name(uint32_t code) {
  static const char* kNames[] = {"NO_ERROR",
                                 "PROTOCOL_ERROR",
                                 "INTERNAL_ERROR",
                                 "FLOW_CONTROL_ERROR",
                                 "SETTINGS_TIMEOUT",
                                 "STREAM_CLOSED",
                                 "FRAME_SIZE_ERROR",
                                 "REFUSED_STREAM",
                                 "CANCEL",
                                 "COMPRESSION_ERROR",
                                 "CONNECT_ERROR",
                                 "ENHANCE_YOUR_CALM",
                                 "INADEQUATE_SECURITY",
                                 "HTTP_1_1_REQUIRED"};
  if (code < 14) return kNames[code];
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%x", code);
  return buf;
}

uint32_t Frame::error_code() const {
  if (type == kRstStream && payload.size() >= 4) return get_u32(payload, 0);
  if (type == kGoAway && payload.size() >= 8) return get_u32(payload, 4);
  return 0;
}

std::string Frame::describe() const {
  char flags_hex[8];
  std::snprintf(flags_hex, sizeof flags_hex, "0x%02x", flags);
  std::string out = frame_type_name(type) + " Frame (length:" + std::to_string(payload.size()) +
                    ", flags:" + flags_hex + ", stream_id:" + std::to_string(stream);
  if (type == kRstStream || type == kGoAway) out += ", error_code:" + error_code_name(error_code());
  return out + ")";
}

std::string Event::describe() const {
  switch (kind) {
    case Kind::Frame:
      return frame.describe();
    case Kind::Closed:
      return "Connection closed";
    case Kind::Timeout:
      return "Timeout";
    case Kind::Error:
      return "Error: " + error;
  }
  return "?";
}

std::unique_ptr<Probe> Probe::connect(const Target& target, std::string* error) {
  Endpoint e;
  e.host = target.host;
  e.port = target.effective_port();
  e.tls = target.tls;
  e.insecure = target.insecure;
  e.alpn = "h2";
  e.receive_buffer = target.receive_buffer;
  e.send_timeout_ms = target.timeout_ms;
  auto io = Transport::connect(e, error);
  if (!io) return nullptr;
  return std::unique_ptr<Probe>(new Probe(target, std::move(io)));
}

Probe::Probe(const Target& target, std::unique_ptr<Transport> io)
    : target_(target), io_(std::move(io)) {
  codecs::hpack::DecoderLimits limits;
  limits.max_header_list_size = 1 << 20;
  limits.max_field_count = 4096;
  limits.max_field_size = 1 << 20;
  hpack_ = std::make_unique<codecs::hpack::Decoder>(limits);
}

int Event::status() const {
  for (const auto& [n, v] : headers) {
    if (n == ":status") return std::atoi(v.c_str());
  }
  return -1;
}

void Probe::decode_block(Event& e) {
  const Frame& f = e.frame;
  std::string_view frag = f.payload;
  if (f.type == kHeaders || f.type == kPushPromise) {
    size_t skip = 0, pad = 0;
    if (f.flags & kPadded) {
      if (frag.empty()) return;
      pad = static_cast<uint8_t>(frag[0]);
      skip = 1;
    }
    if (f.type == kHeaders && (f.flags & kPriorityFlag)) skip += 5;
    if (f.type == kPushPromise) skip += 4;
    if (skip + pad > frag.size()) return;
    frag = frag.substr(skip, frag.size() - skip - pad);
    pending_block_.assign(frag);
  } else {
    pending_block_.append(frag);
  }
  if (!(f.flags & kEndHeaders)) return;
  codecs::hpack::DecodedBlock block;
  e.block_decoded = hpack_->decode(codecs::as_bytes(pending_block_), block).has_value();
  for (const auto& field : block.fields())
    e.headers.emplace_back(std::string(field.name), std::string(field.value));
  pending_block_.clear();
}
Probe::~Probe() = default;

void Probe::send_raw(std::string_view bytes) {
  if (target_.verbose) std::cerr << "      [send] Raw Data (" << bytes.size() << " bytes)\n";
  io_->write(bytes);
}

void Probe::send_frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  if (payload.size() > kMaxFrameLength) {
    // RFC 9113 §4.1: the length is 24 bits. Writing the low bits would send a different frame
    // followed by garbage; the case is skipped instead (with_connection reports it).
    unsendable_ = frame_type_name(type) + " frame of " + std::to_string(payload.size()) +
                  " octets cannot be expressed (the frame length field holds at most 2^24-1)";
    return;
  }
  std::string f;
  f.reserve(9 + payload.size());
  f += static_cast<char>(payload.size() >> 16);
  f += static_cast<char>(payload.size() >> 8);
  f += static_cast<char>(payload.size());
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  put_u32(f, stream);
  f += payload;
  if (target_.verbose) {
    Frame shown{type, flags, stream, std::string(payload)};
    std::cerr << "      [send] " << shown.describe() << "\n";
  }
  io_->write(f);
}

void Probe::send_settings(const std::vector<std::pair<uint16_t, uint32_t>>& entries) {
  std::string p;
  for (auto [id, v] : entries) {
    p += static_cast<char>(id >> 8);
    p += static_cast<char>(id);
    put_u32(p, v);
  }
  send_frame(kSettings, 0, 0, p);
}

void Probe::send_ping(std::string_view eight, bool ack) {
  send_frame(kPing, ack ? kAck : 0, 0, eight);
}

void Probe::send_window_update(uint32_t stream, uint32_t inc) {
  std::string p;
  put_u32(p, inc);
  send_frame(kWindowUpdate, 0, stream, p);
}

void Probe::send_rst(uint32_t stream, uint32_t code) {
  std::string p;
  put_u32(p, code);
  send_frame(kRstStream, 0, stream, p);
}

void Probe::send_priority(uint32_t stream, uint32_t dep, uint8_t weight, bool exclusive) {
  std::string p;
  put_u32(p, dep | (exclusive ? 0x80000000u : 0));
  p += static_cast<char>(weight);
  send_frame(kPriority, 0, stream, p);
}

void Probe::send_goaway(uint32_t last, uint32_t code, std::string_view debug) {
  std::string p;
  put_u32(p, last);
  put_u32(p, code);
  p += debug;
  send_frame(kGoAway, 0, 0, p);
}

void Probe::send_data(uint32_t stream, std::string_view data, bool end) {
  window(0) -= static_cast<int64_t>(data.size());
  window(stream) -= static_cast<int64_t>(data.size());
  send_frame(kData, end ? kEndStream : 0, stream, data);
}

void Probe::send_headers(uint32_t stream, std::string_view block, uint8_t flags) {
  send_frame(kHeaders, flags, stream, block);
}

bool Probe::fill(size_t need, int timeout_ms) {
  char buf[16384];
  while (in_.size() < need) {
    ssize_t n = io_->read(buf, sizeof buf, timeout_ms);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    last_failure_ = n == 0    ? Event::Kind::Closed
                    : n == -1 ? Event::Kind::Timeout
                              : Event::Kind::Error;
    last_error_ = n == -2 ? std::strerror(errno) : "";
    return false;
  }
  return true;
}

Event Probe::ended(size_t frame_bytes_read) const {
  Event e;
  e.kind = last_failure_;
  e.error = last_error_;
  // h2spec reads a frame header, then its payload, each with io.ReadFull: an EOF before the
  // first byte of either is "connection closed", an EOF after some of it is an unexpected-EOF
  // error, which fails every verdict. A reset is "connection closed" wherever it comes.
  if (e.kind == Event::Kind::Closed && frame_bytes_read != 0 && frame_bytes_read != 9 &&
      !io_->closed_by_reset() && !target_.eof_inside_frame_is_close) {
    e.kind = Event::Kind::Error;
    e.error = "unexpected EOF after " + std::to_string(frame_bytes_read) + " bytes of a frame";
  }
  return e;
}

void Probe::note_settings(const Frame& f) {
  for (size_t i = 0; i + 6 <= f.payload.size(); i += 6) {
    uint16_t id = static_cast<uint16_t>(static_cast<uint8_t>(f.payload[i]) << 8 |
                                        static_cast<uint8_t>(f.payload[i + 1]));
    uint32_t v = get_u32(f.payload, i + 2);
    if (id == 0x1) server_header_table_size_ = v;
    if (id == 0x3) server_mcs_ = v;
    if (id == 0x5) server_max_frame_size_ = v;
    if (id == 0x4) server_initial_window_ = v;
    if (id == 0x8) server_connect_protocol_ = v == 1;
    if (id == 0x9) server_no_rfc7540_priorities_ = v == 1;
  }
}

Event Probe::next_event() {
  return next_event_within(target_.timeout_ms);
}

Event Probe::next_event_within(int timeout_ms) {
  Event e;
  if (!fill(9, timeout_ms)) return ended(in_.size());
  const uint32_t len = static_cast<uint32_t>(static_cast<uint8_t>(in_[0])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(in_[1])) << 8 |
                       static_cast<uint8_t>(in_[2]);
  if (!fill(9 + len, timeout_ms)) return ended(in_.size());
  e.kind = Event::Kind::Frame;
  e.frame.type = static_cast<uint8_t>(in_[3]);
  e.frame.flags = static_cast<uint8_t>(in_[4]);
  e.frame.stream = get_u32(in_, 5) & 0x7fffffffu;
  e.frame.payload = in_.substr(9, len);
  in_.erase(0, 9 + len);
  if (target_.verbose) std::cerr << "      [recv] " << e.frame.describe() << "\n";
  if (std::string why = framer_error(e.frame); !why.empty()) {
    // h2spec's reader refuses the frame: its wait ends in an error, whatever the case expects.
    Event refused;
    refused.kind = Event::Kind::Error;
    refused.error = why;
    return refused;
  }
  if (e.frame.type == kData && len > 0) {
    for (uint32_t id : {e.frame.stream, 0u}) {
      uint32_t& used = consumed_[id];
      used += len;
      if (used >= 65535) {
        send_window_update(id, used);
        used = 0;
      }
    }
  }
  if (e.frame.type == kSettings && !(e.frame.flags & kAck)) note_settings(e.frame);
  if (e.frame.type == kWindowUpdate && e.frame.payload.size() == 4) {
    window(e.frame.stream) += get_u32(e.frame.payload, 0) & 0x7fffffffu;
  }
  if (e.frame.type == kHeaders || e.frame.type == kContinuation || e.frame.type == kPushPromise) {
    decode_block(e);
  }
  return e;
}

bool Probe::handshake(std::string* error) {
  send_raw(kPreface);
  send_settings({{0x4, 65535}});
  bool got_settings = false, got_ack = false;
  // h2spec gives the whole handshake one timeout, not each read.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(target_.timeout_ms);
  while (!got_settings || !got_ack) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    Event e = next_event_within(static_cast<int>(std::max<int64_t>(left, 0)));
    if (e.kind != Event::Kind::Frame) {
      *error = e.kind == Event::Kind::Timeout ? "Timeout" : e.describe();
      return false;
    }
    if (e.frame.type != kSettings) continue;
    if (e.frame.flags & kAck) {
      got_ack = true;
    } else {
      got_settings = true;
      send_frame(kSettings, kAck, 0, "");
    }
  }
  return true;
}

int64_t& Probe::window(uint32_t stream) {
  auto it = send_window_.find(stream);
  if (it == send_window_.end()) {
    // RFC 9113 §6.9.2: the connection window starts at 65535, streams at INITIAL_WINDOW_SIZE.
    it = send_window_.emplace(stream, stream == 0 ? 65535 : server_initial_window_).first;
  }
  return it->second;
}

bool Probe::send_body(uint32_t stream, std::string_view body, bool end_stream, Event* ended) {
  size_t at = 0;
  do {
    const int64_t room = std::min(window(0), window(stream));
    if (room <= 0 && at < body.size()) {
      Event e = next_event();  // credits WINDOW_UPDATEs
      if (e.kind != Event::Kind::Frame || e.frame.type == kGoAway ||
          (e.frame.type == kRstStream && e.frame.stream == stream)) {
        if (ended) *ended = e;
        return false;
      }
      continue;
    }
    const size_t n =
        std::min<size_t>({body.size() - at, static_cast<size_t>(std::max<int64_t>(room, 0)),
                          server_max_frame_size_});
    send_data(stream, body.substr(at, n), at + n == body.size() && end_stream);
    at += n;
  } while (at < body.size());
  return true;
}

bool Probe::settings_and_ack(const std::vector<std::pair<uint16_t, uint32_t>>& entries) {
  send_settings(entries);
  Event e = wait_for([](const Frame& f) { return f.type == kSettings && (f.flags & kAck); });
  return e.kind == Event::Kind::Frame;
}

std::string hpack_int(uint8_t flags, uint8_t prefix_bits, uint64_t value) {
  std::string out;
  const uint64_t max_prefix = (1u << prefix_bits) - 1;
  if (value < max_prefix) {
    out += static_cast<char>(flags | value);
    return out;
  }
  out += static_cast<char>(flags | max_prefix);
  value -= max_prefix;
  while (value >= 128) {
    out += static_cast<char>(0x80 | (value & 0x7f));
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

std::string hpack_string(std::string_view s, bool huffman) {
  if (!huffman) return hpack_int(0, 7, s.size()) + std::string(s);
  // huffman_encode stores whole words: leave it the slack its contract asks for.
  std::string coded(codecs::hpack::huffman_encoded_size(s) + codecs::hpack::kHuffmanEncodeSlack,
                    '\0');
  coded.resize(codecs::hpack::huffman_encode(s, reinterpret_cast<uint8_t*>(coded.data())));
  return hpack_int(0x80, 7, coded.size()) + coded;
}

std::string hpack_literal(std::string_view name, std::string_view value, uint8_t kind_byte,
                          bool huffman) {
  return std::string(1, static_cast<char>(kind_byte)) + hpack_string(name, huffman) +
         hpack_string(value, huffman);
}

static bool huffman_shorter(std::string_view s) {
  return codecs::hpack::huffman_encoded_size(s) < s.size();
}

std::string Probe::fields_block(const std::vector<Field>& fields) const {
  std::string out;
  for (const auto& [n, v] : fields) {
    uint32_t index = 0;
    for (uint32_t i = 1; i <= codecs::hpack::kStaticTableSize && index == 0; ++i) {
      if (codecs::hpack::kStaticEntries[i].name == n) index = i;
    }
    if (index != 0) {
      out += hpack_int(0x00, 4, index);  // literal without indexing, indexed name
    } else {
      out += '\0';
      out += hpack_string(n, huffman_shorter(n));
    }
    out += hpack_string(v, huffman_shorter(v));
  }
  return out;
}

std::string Probe::request_block(std::string_view method, const std::vector<Field>& extra) const {
  std::vector<Field> f{{":method", std::string(method)},
                       {":scheme", target_.tls ? "https" : "http"},
                       {":path", target_.path},
                       {":authority", target_.authority()}};
  f.insert(f.end(), extra.begin(), extra.end());
  return fields_block(f);
}

std::string Probe::dummy_block(int n) const {
  std::vector<Field> f;
  for (int i = 0; i < n; ++i)
    f.emplace_back("x-dummy" + std::to_string(i), std::string(target_.max_header_length, 'x'));
  return fields_block(f);
}

}  // namespace crossmux::conformance::h2
