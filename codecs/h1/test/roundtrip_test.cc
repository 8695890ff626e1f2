// Property: IR -> H1 bytes (encoder) -> decoder -> IR preserves method, target, authority, the
// field list after the encoder's documented normalisations, body and trailers. Structured as
// legs over an owned message so the H2 leg (IR -> H2 -> IR) can be inserted once codecs/h2 lands.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "codecs/h1/decoder.h"
#include "codecs/h1/encoder.h"
#include "codecs/testing/split_feed.h"

namespace crossmux::codecs::h1 {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A message that owns its bytes: what each leg consumes and produces.
struct Owned {
  MessageKind kind = MessageKind::Request;
  std::string method, authority, path;
  uint16_t status = 0;
  Fields fields;
  std::string body;
  Fields trailers;
  bool streaming = false;  // length unknown upfront (chunked on H1)
};

MessageHead to_head(const Owned& m) {
  MessageHead h;
  h.kind = m.kind;
  h.method = m.method;
  h.authority = m.authority;
  h.path = m.path;
  h.status = m.status;
  for (const auto& [n, v] : m.fields) h.headers.add_view(n, v);
  if (m.streaming) {
    h.framing = Framing::Streaming;
  } else if (!m.body.empty()) {
    h.framing = Framing::KnownLength;
    h.content_length = m.body.size();
  }
  return h;
}

class Capture : public EventSink {
 public:
  void on_head(StreamId, MessageHead& h) override {
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
  void on_reset(StreamId, uint32_t) override {}
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const Error& e) override { error = to_string(e); }
  Owned got;
  int ends = 0;
  std::string error;
};

// The H1 leg: encode, then decode at a random split.
Owned h1_leg(const Owned& in, uint32_t seed) {
  Encoder enc(in.kind);
  ByteBuffer wire;
  RC_ASSERT(enc.encode_head(to_head(in), wire).has_value());
  RC_ASSERT(enc.encode_data(as_bytes(in.body), wire).has_value());
  HeaderList trailers;
  for (const auto& [n, v] : in.trailers) trailers.add_view(n, v);
  RC_ASSERT(enc.encode_trailers(trailers, wire).has_value());
  Decoder dec(in.kind);
  if (in.kind == MessageKind::Response) dec.expect_response(RequestInfo{});
  Capture sink;
  std::string left =
      codecs::testing::feed_split(wire.view(), codecs::testing::Split::Random, seed,
                                  [&](Bytes b) { return dec.feed(b, sink).value_or(SIZE_MAX); });
  RC_ASSERT(sink.error.empty());
  RC_ASSERT(left.empty());
  RC_ASSERT(sink.ends == 1);
  return sink.got;
}

// What the H1 encoder documents: Host first (requests), cookie crumbs joined, one framing field.
Fields expected_h1_fields(const Owned& in, bool chunked) {
  Fields out;
  if (in.kind == MessageKind::Request) out.emplace_back("Host", in.authority);
  bool cookie_done = false;
  for (const auto& [n, v] : in.fields) {
    if (n != "cookie") {
      out.emplace_back(n, v);
      continue;
    }
    if (cookie_done) continue;
    cookie_done = true;
    std::string joined;
    for (const auto& [n2, v2] : in.fields) {
      if (n2 != "cookie") continue;
      if (!joined.empty()) joined += "; ";
      joined += v2;
    }
    out.emplace_back("cookie", joined);
  }
  if (chunked) {
    out.emplace_back("Transfer-Encoding", "chunked");
  } else if (!in.body.empty() || in.kind == MessageKind::Response) {
    out.emplace_back("Content-Length", std::to_string(in.body.size()));
  }
  return out;
}

rc::Gen<std::string> chars_from(std::string alphabet, int min, int max) {
  return rc::gen::mapcat(rc::gen::inRange(min, max + 1), [alphabet](int n) {
    return rc::gen::container<std::string>(n, rc::gen::elementOf(alphabet));
  });
}

const std::string kTchar =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const std::string kPchar = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-._~!$&'()*+,;=:@/?";
const std::string kHost = "abcdefghijklmnopqrstuvwxyz0123456789-.";
const std::string kValue =
    "abcdefghijklmnopqrstuvwxyz0123456789 \t!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\x80\xff";

rc::Gen<std::string> field_name() {
  // Names the encoder owns or drops are excluded: they are tested as normalisations elsewhere.
  return rc::gen::suchThat(chars_from(kTchar, 1, 16), [](const std::string& n) {
    for (const char* reserved :
         {"host", "content-length", "transfer-encoding", "connection", "keep-alive",
          "proxy-connection", "te", "upgrade", "http2-settings", "cookie"}) {
      if (iequals(n, reserved)) return false;
    }
    return true;
  });
}

rc::Gen<std::string> field_value() {
  return rc::gen::map(chars_from(kValue, 0, 24), [](std::string v) {
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
    return v;
  });
}

Owned gen_message(MessageKind kind) {
  Owned m;
  m.kind = kind;
  if (kind == MessageKind::Request) {
    m.method = *rc::gen::oneOf(
        rc::gen::elementOf(std::vector<std::string>{"GET", "POST", "PUT", "DELETE", "PATCH"}),
        chars_from(kTchar, 1, 10));
    RC_PRE(m.method != "CONNECT" && m.method != "HEAD");
    m.path = "/" + *chars_from(kPchar, 0, 40);
    m.authority = *chars_from(kHost, 1, 20);
  } else {
    m.status = *rc::gen::elementOf(
        std::vector<uint16_t>{200, 201, 202, 203, 206, 400, 404, 418, 500, 503, 599});
  }
  m.fields = *rc::gen::container<Fields>(
      rc::gen::oneOf(rc::gen::pair(field_name(), field_value()),
                     rc::gen::pair(rc::gen::just(std::string("cookie")),
                                   chars_from("abcdefghij=0123456789", 1, 12))));
  m.body = *rc::gen::string<std::string>();
  m.streaming = *rc::gen::arbitrary<bool>();
  if (m.streaming)
    m.trailers = *rc::gen::container<Fields>(rc::gen::pair(field_name(), field_value()));
  return m;
}

void check_round_trip(MessageKind kind) {
  Owned in = gen_message(kind);
  Owned out = h1_leg(in, *rc::gen::arbitrary<uint32_t>());
  RC_ASSERT(out.method == in.method);
  RC_ASSERT(out.path == in.path);
  RC_ASSERT(out.authority == in.authority);
  RC_ASSERT(out.status == in.status);
  RC_ASSERT(out.fields == expected_h1_fields(in, in.streaming));
  RC_ASSERT(out.body == in.body);
  RC_ASSERT(out.trailers == in.trailers);
}

RC_GTEST_PROP(H1RoundTrip, RequestIrToBytesToIr, ()) {
  check_round_trip(MessageKind::Request);
}
RC_GTEST_PROP(H1RoundTrip, ResponseIrToBytesToIr, ()) {
  check_round_trip(MessageKind::Response);
}

}  // namespace
}  // namespace crossmux::codecs::h1
