// Test helpers: hand-built HTTP/2 byte streams, a frame-level reader of connection output, and a
// pump that connects two Connections back to back.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "codecs/h2/connection.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/encoder.h"
#include "codecs/message/recording_sink.h"

namespace crossmux::codecs::h2::testing {

// Error codes as the tests compare them (RFC 9113 §7).
inline constexpr uint32_t kProtocol = 0x1, kFlow = 0x3, kClosed = 0x5, kFrameSize = 0x6,
                          kRefused = 0x7, kCompression = 0x9, kCalm = 0xb;

inline constexpr std::string_view kMagic = kConnectionPreface;

// Builds what a peer sends, frame by frame.
struct Wire {
  ByteBuffer buf;
  hpack::Encoder enc;

  Wire& magic() {
    buf.append(kMagic);
    return *this;
  }
  Wire& settings(std::initializer_list<SettingsEntry> e = {}) {
    std::vector<SettingsEntry> v(e);
    write_settings(buf, v.data(), v.size());
    return *this;
  }
  Wire& settings_ack() {
    write_settings_ack(buf);
    return *this;
  }
  // Client preface + empty SETTINGS + ACK of the server's SETTINGS.
  Wire& client_handshake() { return magic().settings().settings_ack(); }
  std::string block(const std::vector<hpack::Field>& fields) {
    ByteBuffer b;
    enc.encode(fields, b);
    return std::string(b.view());
  }
  static std::vector<hpack::Field> get_fields() {
    return {{":method", "GET"}, {":scheme", "http"}, {":authority", "example.com"}, {":path", "/"}};
  }
  Wire& headers(uint32_t sid, std::string_view block, bool end_stream, bool end_headers = true) {
    HeadersFrame f;
    f.block = as_bytes(block);
    f.end_stream = end_stream;
    f.end_headers = end_headers;
    write_headers(buf, sid, f);
    return *this;
  }
  Wire& get(uint32_t sid, bool end_stream = true) {
    return headers(sid, block(get_fields()), end_stream);
  }
  Wire& post(uint32_t sid, std::string_view content_length = {}) {
    if (content_length.empty()) {
      return headers(sid,
                     block({{":method", "POST"},
                            {":scheme", "http"},
                            {":authority", "example.com"},
                            {":path", "/"}}),
                     false);
    }
    return headers(sid,
                   block({{":method", "POST"},
                          {":scheme", "http"},
                          {":authority", "example.com"},
                          {":path", "/"},
                          {"content-length", content_length}}),
                   false);
  }
  Wire& data(uint32_t sid, std::string_view d, bool end_stream) {
    write_data(buf, sid, as_bytes(d), end_stream);
    return *this;
  }
  Wire& raw(uint8_t type, uint8_t flags, uint32_t sid, std::string_view payload) {
    uint8_t* p = buf.prepare(kFrameHeaderSize + payload.size());
    write_frame_header(p, FrameHeader{static_cast<uint32_t>(payload.size()), type, flags, sid});
    std::copy(payload.begin(), payload.end(), p + kFrameHeaderSize);
    buf.commit(kFrameHeaderSize + payload.size());
    return *this;
  }
  std::string str() const { return std::string(buf.view()); }
};

inline std::string u32(uint32_t v) {
  std::string s(4, '\0');
  store_u32be(reinterpret_cast<uint8_t*>(s.data()), v);
  return s;
}

// What a connection wrote, frame by frame (our own parser, generous limits).
struct Output {
  std::vector<Frame> frames;
  std::vector<std::string> storage;  // keeps payload views alive

  std::optional<uint32_t> goaway_code() const {
    for (const Frame& f : frames) {
      if (auto* g = std::get_if<GoAwayFrame>(&f.payload)) return g->code;
    }
    return std::nullopt;
  }
  std::optional<uint32_t> rst_code(uint32_t sid) const {
    for (const Frame& f : frames) {
      if (auto* r = std::get_if<RstStreamFrame>(&f.payload); r && f.header.stream_id == sid) {
        return r->code;
      }
    }
    return std::nullopt;
  }
  size_t count(FrameType t) const {
    size_t n = 0;
    for (const Frame& f : frames) n += f.header.type == static_cast<uint8_t>(t);
    return n;
  }
};

inline Output read_output(std::string bytes, bool skip_magic = false) {
  Output o;
  o.storage.push_back(std::move(bytes));
  Bytes b = as_bytes(o.storage.back());
  if (skip_magic) b = b.subspan(kMagic.size());
  while (b.size() >= kFrameHeaderSize) {
    FrameHeader h = parse_frame_header(b.data());
    if (b.size() < kFrameHeaderSize + h.length) break;
    Result<Frame> f = parse_frame(h, b.subspan(kFrameHeaderSize, h.length), kMaxMaxFrameSize);
    if (f) o.frames.push_back(*f);
    b = b.subspan(kFrameHeaderSize + h.length);
  }
  return o;
}

inline std::string drain(Connection& c) {
  ByteBuffer out;
  while (c.take_output(out) > 0) {
  }
  return std::string(out.view());
}

// Feeds everything; returns the error code of a connection error, if any.
inline std::optional<uint32_t> feed_all(Connection& c, std::string_view bytes) {
  Result<size_t> r = c.feed(as_bytes(bytes));
  if (!r) return r.error().code;
  return std::nullopt;
}

// Moves bytes both ways until neither side has anything to say. Returns false on an error.
inline bool pump(Connection& a, Connection& b, int rounds = 10000) {
  std::string a_in, b_in;
  for (int i = 0; i < rounds; ++i) {
    std::string ab = drain(a), ba = drain(b);
    if (ab.empty() && ba.empty() && a_in.empty() && b_in.empty()) return true;
    b_in += ab;
    a_in += ba;
    Result<size_t> rb = b.feed(as_bytes(b_in));
    if (!rb) return false;
    b_in.erase(0, *rb);
    Result<size_t> ra = a.feed(as_bytes(a_in));
    if (!ra) return false;
    a_in.erase(0, *ra);
    if (ab.empty() && ba.empty()) return a_in.empty() && b_in.empty();
  }
  return false;
}

// A server application: answers every request with "/size/N" -> N bytes, else echoes the body.
class App : public RecordingSink {
 public:
  Connection* conn = nullptr;
  std::map<StreamId, std::string> paths, bodies;
  bool trailers = false;

  void on_head(StreamId id, MessageHead& head) override {
    RecordingSink::on_head(id, head);
    paths[id] = std::string(head.path);
  }
  void on_data(StreamId id, Bytes d) override {
    RecordingSink::on_data(id, d);
    bodies[id].append(as_chars(d));
    conn->consume(id, d.size());
  }
  void on_end_of_message(StreamId id) override {
    RecordingSink::on_end_of_message(id);
    if (conn->role() == Role::Client) return;
    std::string body = bodies[id];
    if (paths[id].rfind("/size/", 0) == 0) {
      body.assign(std::stoul(paths[id].substr(6)), 'x');
      for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    }
    MessageHead r;
    r.kind = MessageKind::Response;
    r.status = 200;
    r.headers.add_view("Content-Type", "text/plain");
    EXPECT_TRUE(conn->submit_headers(id, r, false).has_value());
    if (trailers) {
      EXPECT_TRUE(conn->submit_data(id, as_bytes(body), false).has_value());
      HeaderList t;
      t.add_view("grpc-status", "0");
      EXPECT_TRUE(conn->submit_trailers(id, t).has_value());
    } else {
      EXPECT_TRUE(conn->submit_data(id, as_bytes(body), true).has_value());
    }
  }
};

// A client's bodiless request: METHOD https://a/.
inline MessageHead request_to_a(std::string_view method = "GET") {
  MessageHead h;
  h.method = method;
  h.scheme = "https";
  h.path = "/";
  h.authority = "a";
  return h;
}

inline std::string setting(uint16_t id, uint32_t v) {
  std::string s(6, '\0');
  store_u16be(reinterpret_cast<uint8_t*>(s.data()), id);
  store_u32be(reinterpret_cast<uint8_t*>(s.data()) + 2, v);
  return s;
}

// A server after the client handshake, and the client's wire.
struct Server {
  RecordingSink sink;
  Connection c;
  Wire w;
  std::optional<uint32_t> error;
  explicit Server(Settings s = {}, Limits l = {}) : c(Role::Server, sink, s, l) {
    w.client_handshake();
    send();
    testing::drain(c);
  }
  void send() {
    Result<size_t> r = c.feed(w.buf.bytes());
    if (!r) error = r.error().code;
    w.buf.clear();
  }
  Output out() { return read_output(testing::drain(c)); }
  void respond(StreamId id, std::string_view body) {
    MessageHead r;
    r.kind = MessageKind::Response;
    r.status = 200;
    EXPECT_TRUE(c.submit_headers(id, r, body.empty()).has_value());
    if (!body.empty()) {
      EXPECT_TRUE(c.submit_data(id, as_bytes(body), true).has_value());
    }
  }
  // Sends what is on the wire and expects a GOAWAY with `code` and a failed connection.
  void expect_conn_error(uint32_t code) {
    send();
    EXPECT_EQ(error, code);
    EXPECT_EQ(out().goaway_code(), code);
  }
  void expect_stream_error(StreamId id, uint32_t code) {
    send();
    EXPECT_EQ(error, std::nullopt) << c.last_stream_error().detail;
    Output o = out();
    EXPECT_EQ(o.rst_code(id), code);
    EXPECT_EQ(o.goaway_code(), std::nullopt);
  }
  bool pinged() {
    w.raw(6, 0, 0, std::string("h2spec\0\0", 8));
    send();
    for (const Frame& f : out().frames) {
      if (auto* p = std::get_if<PingFrame>(&f.payload)) return p->ack && p->opaque[0] == 'h';
    }
    return false;
  }
  // The first DATA frame's payload length after `trigger`.
  std::optional<size_t> first_data() {
    for (const Frame& f : out().frames) {
      if (auto* d = std::get_if<DataFrame>(&f.payload)) return d->data.size();
    }
    return std::nullopt;
  }
};

}  // namespace crossmux::codecs::h2::testing
