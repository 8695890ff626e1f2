// Property: the HTTP/1.1 decoder, the HTTP/2 header semantics and the translation rules give the
// same answer about every field: which names are tokens, which Content-Length values are lengths
// (and which length), which fields are connection-specific, which may not be trailers. A name or
// value one side accepts and another refuses is a smuggling seam; these properties find one.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "codecs/base/content_length.h"
#include "codecs/base/field_table.h"
#include "codecs/base/token.h"
#include "codecs/h1/chars.h"
#include "codecs/h1/decoder.h"
#include "codecs/h1/encoder.h"
#include "codecs/h2/header_semantics.h"
#include "codecs/message/recording_sink.h"
#include "codecs/message/translate.h"

namespace crossmux::codecs {
namespace {

std::string ascii_lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return s;
}

// Keeps the last head (with its fields owned) and whether the decoder failed.
class HeadSink : public EventSink {
 public:
  void on_head(StreamId, MessageHead& h) override {
    h.own_all();
    head = std::move(h);
    heads++;
  }
  void on_data(StreamId, Bytes) override {}
  void on_trailers(StreamId, HeaderList&) override { trailers++; }
  void on_end_of_message(StreamId) override { ends++; }
  void on_reset(StreamId, uint32_t) override {}
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const Error&) override { failed = true; }
  MessageHead head;
  int heads = 0, trailers = 0, ends = 0;
  bool failed = false;
};

// The HTTP/1.1 decoder's view of a request head: the head, or nullopt when refused.
std::optional<MessageHead> h1_request(const std::string& fields, const std::string& rest = "") {
  h1::Decoder d(MessageKind::Request);
  HeadSink sink;
  const std::string bytes = "POST /p HTTP/1.1\r\nHost: a.example\r\n" + fields + "\r\n" + rest;
  auto r = d.feed(as_bytes(bytes), sink);
  if (!r || sink.failed || sink.heads != 1) return std::nullopt;
  return std::move(sink.head);
}

// The HTTP/2 header semantics' view of the same request.
std::optional<MessageHead> h2_request(std::vector<hpack::Field> regular) {
  std::vector<hpack::Field> f = {
      {":method", "POST"}, {":scheme", "https"}, {":authority", "a.example"}, {":path", "/p"}};
  f.insert(f.end(), regular.begin(), regular.end());
  MessageHead h;
  if (!h2::to_request(f, false, false, h)) return std::nullopt;
  h.own_all();
  return h;
}

// Names: known ones in random case, random tokens, and random printable bytes (never ':', CR or
// LF, which end an HTTP/1.1 name or line before the name is judged).
rc::Gen<std::string> gen_name() {
  auto known = rc::gen::mapcat(rc::gen::inRange<size_t>(1, kFieldTable.size()), [](size_t i) {
    const std::string n(kFieldTable[i].name);
    return rc::gen::map(rc::gen::container<std::vector<bool>>(n.size(), rc::gen::arbitrary<bool>()),
                        [n](const std::vector<bool>& up) {
                          std::string s = n;
                          for (size_t j = 0; j < s.size(); ++j) {
                            if (up[j] && s[j] >= 'a' && s[j] <= 'z')
                              s[j] = static_cast<char>(s[j] - 32);
                          }
                          return s;
                        });
  });
  auto byte = rc::gen::suchThat(rc::gen::inRange<int>(1, 256), [](int c) {
    return c != ':' && c != '\r' && c != '\n' && c != ' ' && c != '\t';
  });
  auto any = rc::gen::map(rc::gen::nonEmpty(rc::gen::container<std::vector<int>>(byte)),
                          [](const std::vector<int>& v) {
                            std::string s;
                            for (int c : v) s.push_back(static_cast<char>(c));
                            return s;
                          });
  const std::string tchars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
  auto token = rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(tchars)));
  return rc::gen::weightedOneOf<std::string>({{4, known}, {2, token}, {1, any}});
}

// Content-Length values: digits with leading zeros, values around the 2^63-1 bound, lists of
// equal or different values with OWS, signs, hex, empty elements, inner spaces.
rc::Gen<std::string> gen_length_value() {
  auto number = rc::gen::oneOf(
      rc::gen::map(rc::gen::arbitrary<uint32_t>(), [](uint32_t v) { return std::to_string(v); }),
      rc::gen::elementOf(std::vector<std::string>{"0", "9223372036854775807", "9223372036854775808",
                                                  "18446744073709551615", "18446744073709551616",
                                                  "99999999999999999999"}));
  auto element = rc::gen::mapcat(number, [](const std::string& n) {
    return rc::gen::map(rc::gen::inRange(0, 12), [n](int mode) {
      switch (mode) {
        case 0:
          return "00" + n;
        case 1:
          return "+" + n;
        case 2:
          return "-" + n;
        case 3:
          return "0x" + n;
        case 4:
          return n + " 1";
        case 5:
          return std::string();
        case 6:
          return n + "a";
        default:
          return n;
      }
    });
  });
  auto list = rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(element));
  return rc::gen::mapcat(list, [](const std::vector<std::string>& parts) {
    return rc::gen::map(rc::gen::container<std::vector<int>>(parts.size(), rc::gen::inRange(0, 4)),
                        [parts](const std::vector<int>& seps) {
                          static const char* kSeps[] = {",", ", ", " ,", ",\t"};
                          std::string v;
                          for (size_t i = 0; i < parts.size(); ++i) {
                            if (i) v += kSeps[seps[i]];
                            v += parts[i];
                          }
                          return v;
                        });
  });
}

// Every decoder reads a Content-Length through one parser: the HTTP/1.1 head and the HTTP/2 head
// are both refused, or both framed with the same length, the parser's; translation towards either
// protocol then carries that length in canonical form.
RC_GTEST_PROP(FieldAgreement, ContentLengthIsOneAnswer, ()) {
  const std::string value = *gen_length_value();
  RC_PRE(!value.empty() && value.front() != ' ' && value.back() != ' ');
  const ContentLength parsed = parse_content_length(value);
  auto h1 = h1_request("Content-Length: " + value + "\r\n");
  auto h2 = h2_request({{"content-length", value}});
  RC_ASSERT(h1.has_value() == parsed.ok());
  RC_ASSERT(h2.has_value() == parsed.ok());
  if (!parsed.ok()) return;
  RC_ASSERT(h1->framing == Framing::KnownLength);
  RC_ASSERT(h2->framing == Framing::KnownLength);
  RC_ASSERT(h1->content_length == parsed.value);
  RC_ASSERT(h2->content_length == parsed.value);
  const std::string canonical = std::to_string(parsed.value);
  MessageHead to_h2 = std::move(*h1);
  RC_ASSERT(prepare_for_h2(to_h2).has_value());
  RC_ASSERT(to_h2.headers.count("content-length") == 1u);
  RC_ASSERT(to_h2.headers.find("content-length")->value == canonical);
  std::vector<hpack::Field> fields;
  std::string scratch;
  h2::from_head(to_h2, fields, scratch);
  MessageHead again;
  RC_ASSERT(h2::to_request(fields, false, false, again).has_value());
  RC_ASSERT(again.content_length == parsed.value);
  MessageHead to_h1 = std::move(*h2);
  RC_ASSERT(prepare_for_h1(to_h1).has_value());
  h1::Encoder enc(MessageKind::Request);
  ByteBuffer wire;
  RC_ASSERT(enc.encode_head(to_h1, wire).has_value());
  RC_ASSERT(as_chars(wire.bytes()).find("Content-Length: " + canonical + "\r\n") !=
            std::string_view::npos);
}

// Field names: a token for one is a token for all (the one tchar set); the HTTP/2 decoder refuses
// exactly the connection-specific names; whatever one decoder accepts, translation makes
// acceptable to the other protocol's decoder, dropping exactly the hop-by-hop names.
RC_GTEST_PROP(FieldAgreement, NamesGetOneAnswer, ()) {
  const std::string name = *gen_name();
  const FieldId id = find_field(name);
  // Fields whose value the HTTP/1.1 decoder frames or routes with have their own properties.
  RC_PRE(id != FieldId::Host && id != FieldId::ContentLength && id != FieldId::TransferEncoding);
  const uint16_t props = field_info(id).properties;
  const std::string value = "trailers";
  const bool token = is_token(name);
  const bool pseudo = (props & kFieldPseudo) != 0;

  auto h1 = h1_request(name + ": " + value + "\r\n");
  RC_ASSERT(h1.has_value() == token);
  auto h2 = h2_request({{ascii_lower(name), value}});
  RC_ASSERT(h2.has_value() == (token && !(props & kFieldConnectionSpecific)));
  if (pseudo) RC_ASSERT(!token);

  MessageHead probe;
  probe.kind = MessageKind::Request;
  probe.method = "GET";
  probe.path = "/";
  probe.headers.add_view(name, value);
  RC_ASSERT(validate_for_forwarding(probe).has_value() == token);

  if (h1) {
    const bool dropped = (props & kFieldHopByHop) && id != FieldId::Te;
    RC_ASSERT(prepare_for_h2(*h1).has_value());
    RC_ASSERT((h1->headers.find(name) == nullptr) == dropped);
    std::vector<hpack::Field> fields;
    std::string scratch;
    h2::from_head(*h1, fields, scratch);
    MessageHead back;
    RC_ASSERT(h2::to_request(fields, false, false, back).has_value());
  }
  if (h2) {
    RC_ASSERT(prepare_for_h1(*h2).has_value());
    RC_ASSERT((h2->headers.find(name) == nullptr) == ((props & kFieldHopByHop) != 0));
    h1::Encoder enc(MessageKind::Request);
    ByteBuffer wire;
    RC_ASSERT(enc.encode_head(*h2, wire).has_value());
    h1::Decoder dec(MessageKind::Request);
    HeadSink sink;
    RC_ASSERT(dec.feed(wire.bytes(), sink).has_value());
    RC_ASSERT(sink.heads == 1);
  }
}

// Trailers: the HTTP/1.1 decoder, the HTTP/2 header semantics and translation refuse the same
// names (kFieldNotInTrailers, RFC 9110 §6.5.1), and every name that is not a token.
RC_GTEST_PROP(FieldAgreement, TrailersGetOneAnswer, ()) {
  const std::string name = *gen_name();
  const uint16_t props = field_properties(name);
  const bool allowed = is_token(name) && !(props & kFieldNotInTrailers);

  h1::Decoder d(MessageKind::Request);
  HeadSink sink;
  const std::string bytes =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + name +
      ": 0\r\n\r\n";
  auto r = d.feed(as_bytes(bytes), sink);
  RC_ASSERT((r.has_value() && !sink.failed && sink.ends == 1) == allowed);

  const std::string lowered = ascii_lower(name);
  std::vector<hpack::Field> f = {{lowered, "0"}};
  HeaderList out;
  RC_ASSERT(h2::to_trailers(f, true, out).has_value() == allowed);

  HeaderList t;
  t.add_view(name, "0");
  RC_ASSERT(validate_trailers(t, MessageKind::Request).has_value() == allowed);
}

// The byte classes built from the one tchar set agree on all 256 octets.
TEST(FieldAgreement, TokenCharactersAreOneSet) {
  for (int c = 0; c < 256; ++c) {
    const auto b = static_cast<uint8_t>(c);
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(h1::is_token_char(b), is_tchar(b)) << c;
    MessageHead h;
    h.kind = MessageKind::Request;
    h.method = one;
    h.path = "/";
    EXPECT_EQ(validate_for_forwarding(h).has_value(), is_tchar(b)) << c;
  }
}

}  // namespace
}  // namespace crossmux::codecs
