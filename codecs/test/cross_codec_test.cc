// Property: H1 -> IR -> H2 -> IR -> H1 (and the response direction) preserves method, target,
// authority, status, the field multiset after the documented normalisations (translate.h,
// h1/encoder.h, h2 header semantics), body and trailers. Every leg runs the real codecs: the H1
// encoder and decoder, translate.h, and an H2 client Connection talking to an H2 server one.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "codecs/h1/decoder.h"
#include "codecs/h1/encoder.h"
#include "codecs/h2/connection.h"
#include "codecs/message/translate.h"

namespace crossmux::codecs {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A message that owns its bytes.
struct Msg {
  MessageKind kind = MessageKind::Request;
  std::string method, authority, path;
  uint16_t status = 0;
  Fields fields;
  std::string body;
  Fields trailers;
  bool streaming = false;
  bool operator==(const Msg&) const = default;
};

MessageHead to_head(const Msg& m, Version v) {
  MessageHead h;
  h.kind = m.kind;
  h.version = v;
  h.method = m.method;
  h.scheme = m.kind == MessageKind::Request ? "https" : "";
  h.authority = m.authority;
  h.path = m.path;
  h.status = m.status;
  for (const auto& [n, val] : m.fields) h.headers.add_view(n, val);
  h.framing = m.streaming      ? Framing::Streaming
              : m.body.empty() ? Framing::None
                               : Framing::KnownLength;
  h.content_length = m.body.size();
  return h;
}

// Captures one message; `translate` applies the receiving side's rule before copying the head.
class Capture : public EventSink {
 public:
  explicit Capture(Status (*translate)(MessageHead&)) : translate_(translate) {}
  void on_head(StreamId, MessageHead& h) override {
    if (h.is_informational()) return;
    auto st = translate_(h);
    if (!st) error = to_string(st.error());
    got.kind = h.kind;
    got.method = h.method;
    got.authority = h.authority;
    got.path = h.path;
    got.status = h.status;
    got.streaming = h.framing == Framing::Streaming;
    for (const auto& f : h.headers) got.fields.emplace_back(f.name, f.value);
  }
  void on_data(StreamId, Bytes d) override { got.body.append(as_chars(d)); }
  void on_trailers(StreamId, HeaderList& t) override {
    for (const auto& f : t) got.trailers.emplace_back(f.name, f.value);
  }
  void on_end_of_message(StreamId) override { ++ends; }
  void on_reset(StreamId, uint32_t c) override { error = "reset " + std::to_string(c); }
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const Error& e) override { error = to_string(e); }
  Msg got;
  int ends = 0;
  std::string error;

 private:
  Status (*translate_)(MessageHead&);
};

// The framing fields a decoder reports are metadata the next encoder rewrites: drop them.
void drop_framing(Msg& m) {
  std::erase_if(m.fields, [](const auto& f) {
    return iequals(f.first, "content-length") || iequals(f.first, "transfer-encoding") ||
           iequals(f.first, "host");
  });
}

Msg h1_leg(const Msg& in, Status (*translate)(MessageHead&)) {
  h1::Encoder enc(in.kind);
  ByteBuffer wire;
  RC_ASSERT(enc.encode_head(to_head(in, Version::Http11), wire).has_value());
  RC_ASSERT(enc.encode_data(as_bytes(in.body), wire).has_value());
  HeaderList trailers;
  for (const auto& [n, v] : in.trailers) trailers.add_view(n, v);
  RC_ASSERT(enc.encode_trailers(trailers, wire).has_value());
  h1::Decoder dec(in.kind);
  if (in.kind == MessageKind::Response) dec.expect_response(h1::RequestInfo{});
  Capture sink(translate);
  auto r = dec.feed(wire.bytes(), sink);
  RC_ASSERT(r.has_value());
  RC_ASSERT(*r == wire.size());
  RC_ASSERT(sink.error.empty());
  RC_ASSERT(sink.ends == 1);
  drop_framing(sink.got);
  return sink.got;
}

// Shuttles bytes between two connections until both are quiet.
void pump(h2::Connection& a, h2::Connection& b) {
  for (int i = 0; i < 64; ++i) {
    ByteBuffer ab, ba;
    a.take_output(ab);
    b.take_output(ba);
    if (ab.empty() && ba.empty()) return;
    if (!ab.empty()) RC_ASSERT(b.feed(ab.bytes()).value_or(SIZE_MAX) == ab.size());
    if (!ba.empty()) RC_ASSERT(a.feed(ba.bytes()).value_or(SIZE_MAX) == ba.size());
  }
}

Status no_translation(MessageHead&) {
  return ok();
}

// The H2 leg: a client sends the request (or a server the response to a trivial request).
Msg h2_leg(const Msg& in) {
  Capture server_sink(in.kind == MessageKind::Request ? &prepare_for_h1 : &no_translation);
  Capture client_sink(in.kind == MessageKind::Response ? &prepare_for_h1 : &no_translation);
  h2::Connection client(h2::Role::Client, client_sink);
  h2::Connection server(h2::Role::Server, server_sink);
  pump(client, server);
  const bool end = in.body.empty() && in.trailers.empty() && !in.streaming;
  h2::Connection& sender = in.kind == MessageKind::Request ? client : server;
  StreamId id = 1;
  if (in.kind == MessageKind::Response) {
    Msg req;  // a GET
    req.method = "GET";
    req.authority = "a.example";
    req.path = "/";
    RC_ASSERT(client.submit_headers(0, to_head(req, Version::Http2), true).has_value());
    pump(client, server);
  }
  auto head = to_head(in, Version::Http2);
  auto sent = sender.submit_headers(in.kind == MessageKind::Request ? 0 : id, head, end);
  RC_ASSERT(sent.has_value());
  if (!end) {
    RC_ASSERT(sender.submit_data(*sent, as_bytes(in.body), in.trailers.empty()).has_value());
    if (!in.trailers.empty()) {
      HeaderList t;
      for (const auto& [n, v] : in.trailers) t.add_view(n, v);
      RC_ASSERT(sender.submit_trailers(*sent, t).has_value());
    }
  }
  pump(client, server);
  Capture& got = in.kind == MessageKind::Request ? server_sink : client_sink;
  RC_ASSERT(got.error.empty());
  Msg m = got.got;
  m.streaming = in.streaming;  // H2 has no chunking: the final H1 encoder decides again
  drop_framing(m);
  return m;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

rc::Gen<std::string> chars_from(std::string alphabet, int min, int max) {
  return rc::gen::mapcat(rc::gen::inRange(min, max + 1), [alphabet](int n) {
    return rc::gen::container<std::string>(n, rc::gen::elementOf(alphabet));
  });
}

const std::string kTchar =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";

Msg gen_message(MessageKind kind) {
  Msg m;
  m.kind = kind;
  if (kind == MessageKind::Request) {
    m.method =
        *rc::gen::elementOf(std::vector<std::string>{"GET", "POST", "PUT", "DELETE", "PATCH"});
    m.path = "/" + *chars_from("abcdefghij0123456789-._~!$&'()*+,;=:@/?", 0, 30);
    m.authority = *chars_from("abcdefghijklmnopqrstuvwxyz0123456789-.", 1, 16);
  } else {
    m.status = *rc::gen::elementOf(std::vector<uint16_t>{200, 201, 206, 404, 500, 503});
  }
  auto name = rc::gen::suchThat(chars_from(kTchar, 1, 12), [](const std::string& n) {
    for (const char* r :
         {"host", "content-length", "transfer-encoding", "connection", "keep-alive",
          "proxy-connection", "te", "upgrade", "http2-settings", "cookie", "trailer"}) {
      if (iequals(n, r)) return false;
    }
    return true;
  });
  auto value = chars_from("abcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-./:;<=>?@[]^_{|}~", 0, 16);
  m.fields = *rc::gen::container<Fields>(rc::gen::pair(name, value));
  if (kind == MessageKind::Request && *rc::gen::arbitrary<bool>()) {
    m.fields.emplace_back("cookie", "a=1");
    m.fields.emplace_back("cookie", "b=2");
  }
  m.body = *rc::gen::string<std::string>();
  m.streaming = *rc::gen::arbitrary<bool>();
  if (m.streaming) m.trailers = *rc::gen::container<Fields>(rc::gen::pair(name, value));
  return m;
}

// Expected after the whole trip: lowercase names (H2 leg), crumbs joined once (H1 egress).
Msg expected_after(const Msg& in) {
  Msg e = in;
  e.fields.clear();
  std::string cookies;
  for (const auto& [n, v] : in.fields) {
    if (n == "cookie") {
      if (cookies.empty()) e.fields.emplace_back("cookie", "");
      cookies += (cookies.empty() ? "" : "; ") + v;
    } else {
      e.fields.emplace_back(lower(n), v);
    }
  }
  for (auto& [n, v] : e.fields) {
    if (n == "cookie") v = cookies;
  }
  for (auto& [n, v] : e.trailers) n = lower(n);
  return e;
}

void check(MessageKind kind) {
  Msg in = gen_message(kind);
  Msg one = h1_leg(in, &prepare_for_h2);     // H1 wire -> IR, prepared for HTTP/2
  Msg two = h2_leg(one);                     // IR -> H2 wire -> IR, prepared for HTTP/1.1
  Msg three = h1_leg(two, &no_translation);  // IR -> H1 wire -> IR
  Msg want = expected_after(in);
  RC_ASSERT(three.method == want.method);
  RC_ASSERT(three.path == want.path);
  RC_ASSERT(three.authority == want.authority);
  RC_ASSERT(three.status == want.status);
  RC_ASSERT(three.fields == want.fields);
  RC_ASSERT(three.body == want.body);
  RC_ASSERT(three.trailers == want.trailers);
}

RC_GTEST_PROP(CrossCodec, RequestH1ToH2ToH1, ()) {
  check(MessageKind::Request);
}
RC_GTEST_PROP(CrossCodec, ResponseH1ToH2ToH1, ()) {
  check(MessageKind::Response);
}

// H2-first: IR -> H2 -> IR -> H1 -> IR equals the H2-side message after translation.
RC_GTEST_PROP(CrossCodec, RequestH2ToH1ToH2, ()) {
  Msg in = gen_message(MessageKind::Request);
  for (auto& [n, v] : in.fields) n = lower(n);
  for (auto& [n, v] : in.trailers) n = lower(n);
  Msg two = h2_leg(in);
  Msg three = h1_leg(two, &prepare_for_h2);
  Msg want = expected_after(in);
  RC_ASSERT(three.method == want.method);
  RC_ASSERT(three.path == want.path);
  RC_ASSERT(three.authority == want.authority);
  RC_ASSERT(three.fields == want.fields);
  RC_ASSERT(three.body == want.body);
  RC_ASSERT(three.trailers == want.trailers);
}

}  // namespace
}  // namespace crossmux::codecs
