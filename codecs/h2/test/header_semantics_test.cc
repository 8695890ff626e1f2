// RFC 9113 §8 header semantics: request/response/trailer validation and IR mapping both ways.
#include "codecs/h2/header_semantics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {
namespace {

using F = std::vector<hpack::Field>;

F get() {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", "a.example"}, {":path", "/x?y"}};
}

const char* request_error(F f, bool end_stream = true, bool ext = false) {
  MessageHead h;
  Status s = to_request(f, end_stream, ext, h);
  return s ? nullptr : s.error().detail;
}

TEST(HeaderSemantics, RequestMapsPseudoHeadersAndFraming) {
  MessageHead h;
  F f = get();
  f.push_back({"content-length", "5"});
  f.push_back({"cookie", "a=1"});
  f.push_back({"cookie", "b=2"});
  ASSERT_TRUE(to_request(f, false, false, h).has_value());
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.scheme, "https");
  EXPECT_EQ(h.authority, "a.example");
  EXPECT_EQ(h.path, "/x?y");
  EXPECT_EQ(h.framing, Framing::KnownLength);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_EQ(h.headers.count("cookie"), 2u);  // crumbs kept apart (§8.2.3)
  EXPECT_EQ(h.version, Version::Http2);
  ASSERT_TRUE(to_request(get(), false, false, h).has_value());
  EXPECT_EQ(h.framing, Framing::Streaming);
  ASSERT_TRUE(to_request(get(), true, false, h).has_value());
  EXPECT_EQ(h.framing, Framing::None);
}

// RFC 9113 §8.2.1: NUL, CR and LF are refused at any position of a value (around the 8-octet
// words the check reads at once); every other octet passes, HTAB and SP inside.
TEST(HeaderSemantics, NulCrLfAreRefusedAtEveryPositionOfAValue) {
  for (size_t len = 1; len <= 19; ++len) {
    for (size_t pos = 1; pos + 1 < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        std::string value(len, 'v');
        value[pos] = static_cast<char>(c);
        F f = get();
        f.push_back({"x-v", value});
        const bool refused = c == 0 || c == '\r' || c == '\n';
        ASSERT_EQ(request_error(f), refused ? kBadFieldValue : nullptr)
            << "len " << len << " pos " << pos << " octet " << c;
      }
    }
  }
}

TEST(HeaderSemantics, RequestRules) {
  F g = get();
  auto plus = [&](hpack::Field x) {
    F f = g;
    f.push_back(x);
    return f;
  };
  EXPECT_EQ(request_error(plus({"bad name", "x"})), kBadFieldName);
  EXPECT_EQ(request_error(plus({"", "x"})), kBadFieldName);
  // §8.2.1: no uppercase letter anywhere in a name, A through Z.
  for (char c = 'A'; c <= 'Z'; ++c) {
    const std::string name = std::string("x-") + c;
    EXPECT_EQ(request_error(plus({name, "1"})), kBadFieldName) << name;
  }
  EXPECT_EQ(request_error(plus({"x", "a\r\nb"})), kBadFieldValue);
  EXPECT_EQ(request_error(plus({"x", std::string_view("a\0b", 3)})), kBadFieldValue);
  EXPECT_EQ(request_error(plus({"x", " a"})), kBadFieldValue);
  EXPECT_EQ(request_error(plus({"x", "a\t"})), kBadFieldValue);
  EXPECT_EQ(request_error(plus({"transfer-encoding", "chunked"})), kConnectionSpecific);
  EXPECT_EQ(request_error(plus({"upgrade", "h2c"})), kConnectionSpecific);
  EXPECT_EQ(request_error(plus({"keep-alive", "5"})), kConnectionSpecific);
  EXPECT_EQ(request_error(plus({"proxy-connection", "x"})), kConnectionSpecific);
  EXPECT_EQ(request_error(plus({"te", "gzip"})), kBadTe);
  EXPECT_EQ(request_error(plus({"te", "trailers"})), nullptr);
  EXPECT_EQ(request_error(plus({"content-length", "1x"}), false), kBadContentLength);
  EXPECT_EQ(request_error(plus({"content-length", "-1"}), false), kBadContentLength);
  F two = plus({"content-length", "3"});
  two.push_back({"content-length", "4"});
  EXPECT_EQ(request_error(two, false), kBadContentLength);
  EXPECT_EQ(request_error(plus({"content-length", "3"}), true), kContentLengthMismatch);
  EXPECT_EQ(request_error(plus({":protocol", "websocket"})), kUnknownPseudo);
  EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "https"}, {":path", "x"}}), kBadPath);
  // §8.3.1: absolute-path has no space or control character (found by h2_diff: nghttp2 resets a
  // :path holding 0x15, we delivered it).
  for (const char* path : {"/a b", "/\x15", "/a\x7f", "/\tx"}) {
    EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "https"}, {":path", path}}), kBadPath)
        << path;
  }
  EXPECT_EQ(
      request_error(
          {{":method", "OPTIONS"}, {":scheme", "https"}, {":authority", "a"}, {":path", "*"}}),
      nullptr);
  // §8.3.1: http(s) needs :authority or Host, never an empty one (found by fuzz/h2_diff).
  EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "https"}, {":path", "/"}}),
            kMissingAuthority);
  EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"host", "a"}}),
            nullptr);
  EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {"host", ""}}),
            kMissingAuthority);
  EXPECT_EQ(
      request_error({{":method", "GET"}, {":scheme", "https"}, {":authority", ""}, {":path", "/"}}),
      kBadAuthority);
  EXPECT_EQ(request_error(
                {{":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "text/plain"}}),
            kBadAuthority)
      << "Host is held to :authority's octets (found by fuzz/h2_diff)";
  EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "foo"}, {":path", "/"}}), nullptr)
      << "a scheme without a mandatory authority may go without";
  EXPECT_EQ(request_error({{":method", "GET"}, {":scheme", "https"}, {":path", "*"}}), kBadPath);
}

// §8.2.1: SP or HTAB at either end of a value, each of the four, is malformed.
TEST(HeaderSemantics, WhitespaceAtEitherEndOfAValueIsRefused) {
  for (std::string_view v : {" a", "\ta", "a ", "a\t", " ", "\t"}) {
    F f = get();
    f.push_back({"x", v});
    EXPECT_EQ(request_error(f), kBadFieldValue) << "[" << v << "]";
  }
  F inner = get();
  inner.push_back({"x", "a \tb"});
  EXPECT_EQ(request_error(inner), nullptr);
}

// §8.2.1 holds for pseudo-header values too: :protocol has no rule of its own that would catch
// a CR, LF or NUL before it became an HTTP/1.1 Upgrade field.
TEST(HeaderSemantics, PseudoHeaderValuesAreFieldValues) {
  for (std::string_view protocol :
       {std::string_view("web\r\nx: y"), std::string_view("web\0socket", 10),
        std::string_view(" websocket"), std::string_view("websocket\t")}) {
    F ws = {{":method", "CONNECT"},
            {":protocol", protocol},
            {":scheme", "https"},
            {":authority", "a"},
            {":path", "/chat"}};
    EXPECT_EQ(request_error(ws, false, true), kBadFieldValue) << protocol;
  }
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), tried at the edges of
// each range (the octets just outside A-Z, a-z and 0-9 included).
TEST(HeaderSemantics, SchemeGrammar) {
  auto with_scheme = [](std::string_view scheme) {
    return request_error(
        {{":method", "GET"}, {":scheme", scheme}, {":authority", "a"}, {":path", "/"}});
  };
  for (std::string_view ok :
       {"a", "z", "A", "Z", "HTTPS", "a0", "a9", "a+", "a-", "a.", "h2+x-y.z09", "zZ"}) {
    EXPECT_EQ(with_scheme(ok), nullptr) << ok;
  }
  for (std::string_view bad : {"", "0a", "9", "+a", "-a", ".a", "@a", "[a", "`a", "{a", "a/",
                               "a:", "a,", "a_b", "a b", "a@", "a[", "a`", "a{"}) {
    EXPECT_EQ(with_scheme(bad), kBadScheme) << "[" << bad << "]";
  }
}

// RFC 9110 §9.1: method = token; an empty or non-token :method never becomes a request line.
TEST(HeaderSemantics, MethodIsANonEmptyToken) {
  auto with_method = [](std::string_view method) {
    return request_error(
        {{":method", method}, {":scheme", "https"}, {":authority", "a"}, {":path", "/"}});
  };
  EXPECT_EQ(with_method(""), kMissingPseudo);
  for (std::string_view bad : {"GE T", "GET\x01", "G(T", "GET/", "G\"T", "GET\x7f", "G\xc3\xa9T"}) {
    EXPECT_EQ(with_method(bad), kBadMethod) << bad;
  }
  for (std::string_view ok : {"GET", "M-SEARCH", "x!#$%&'*+.^_`|~9Z"}) {
    EXPECT_EQ(with_method(ok), nullptr) << ok;
  }
}

// RFC 3986 §3.2 octets in :authority: letters and digits to the ends of their ranges,
// unreserved, sub-delims, ':' and IP-literal brackets; nothing else.
TEST(HeaderSemantics, AuthorityOctets) {
  auto with_authority = [](std::string_view authority) {
    return request_error(
        {{":method", "GET"}, {":scheme", "https"}, {":authority", authority}, {":path", "/"}});
  };
  for (std::string_view ok : {"a0.z9.A.Z:8080", "[::1]:9", "x-._~%41!$&'()*+,;=y"}) {
    EXPECT_EQ(with_authority(ok), nullptr) << ok;
  }
  for (char c : std::string_view("\"<>\\^`{|}/?# \x7f")) {
    const std::string authority = std::string("a") + c + "b";
    EXPECT_EQ(with_authority(authority), kBadAuthority) << "[" << authority << "]";
  }
}

TEST(HeaderSemantics, ConnectAndExtendedConnect) {
  MessageHead h;
  ASSERT_TRUE(
      to_request(F{{":method", "CONNECT"}, {":authority", "a:443"}}, false, false, h).has_value());
  EXPECT_EQ(h.framing, Framing::Tunnel);
  EXPECT_EQ(request_error({{":method", "CONNECT"}, {":authority", "a:443"}, {":path", "/"}}),
            kConnectPseudo);
  // §8.5: "The :scheme and :path pseudo-header fields MUST be omitted", each of them.
  EXPECT_EQ(request_error({{":method", "CONNECT"}, {":scheme", "https"}, {":authority", "a:443"}}),
            kConnectPseudo);
  EXPECT_EQ(request_error({{":method", "CONNECT"}}), kConnectPseudo);
  F ws = {{":method", "CONNECT"},
          {":protocol", "websocket"},
          {":scheme", "https"},
          {":authority", "a"},
          {":path", "/chat"}};
  EXPECT_EQ(request_error(ws, false, false), kUnknownPseudo);  // not enabled
  ASSERT_TRUE(to_request(ws, false, true, h).has_value());
  EXPECT_EQ(h.protocol, "websocket");
  EXPECT_EQ(h.framing, Framing::Tunnel);
  F bad = {{":method", "GET"},
           {":protocol", "websocket"},
           {":scheme", "https"},
           {":authority", "a"},
           {":path", "/chat"}};
  EXPECT_EQ(request_error(bad, false, true), kUnknownPseudo);
  // RFC 8441 §4, RFC 9113 §8.5: an extended CONNECT names its target in :authority; a Host field
  // does not stand in for it, whatever the scheme.
  for (std::string_view scheme : {"https", "wss"}) {
    F no_authority = {{":method", "CONNECT"},
                      {":protocol", "websocket"},
                      {":scheme", scheme},
                      {":path", "/chat"},
                      {"host", "a"}};
    EXPECT_EQ(request_error(no_authority, false, true), kConnectPseudo) << scheme;
  }
}

TEST(HeaderSemantics, HostAuthorityMismatchIsAViolation) {
  MessageHead h;
  F f = get();
  f.push_back({"host", "other.example"});
  ASSERT_TRUE(to_request(f, true, false, h).has_value());
  EXPECT_TRUE(h.violations & kViolationHostAuthorityMismatch);
  f.back().value = "A.EXAMPLE";
  ASSERT_TRUE(to_request(f, true, false, h).has_value());
  EXPECT_FALSE(h.violations & kViolationHostAuthorityMismatch);
}

TEST(HeaderSemantics, Responses) {
  MessageHead h;
  ASSERT_TRUE(to_response(F{{":status", "103"}, {"link", "</a>"}}, false, {}, h).has_value());
  EXPECT_TRUE(h.is_informational());
  Status s = to_response(F{{":status", "100"}}, true, {}, h);
  EXPECT_EQ(s.error().detail, kInterimWithEndStream);
  EXPECT_EQ(to_response(F{{":status", "101"}}, false, {}, h).error().detail, kBadStatus);
  EXPECT_EQ(to_response(F{{":status", "20"}}, false, {}, h).error().detail, kBadStatus);
  EXPECT_EQ(to_response(F{{"x", "1"}}, false, {}, h).error().detail, kMissingPseudo);
  // §8.3: pseudo-header fields come before every regular field, in responses too.
  EXPECT_EQ(to_response(F{{"x", "1"}, {":status", "200"}}, false, {}, h).error().detail,
            kPseudoAfterRegular);
  EXPECT_EQ(to_response(F{{":status", "200"}, {":path", "/"}}, false, {}, h).error().detail,
            kUnknownPseudo);
  ASSERT_TRUE(to_response(F{{":status", "200"}, {"content-length", "10"}}, false, {true, false}, h)
                  .has_value());
  EXPECT_EQ(h.framing, Framing::None);  // response to HEAD
  ASSERT_TRUE(to_response(F{{":status", "200"}}, false, {false, true}, h).has_value());
  EXPECT_EQ(h.framing, Framing::Tunnel);
  // RFC 9110 §9.3.6: only a 2xx to CONNECT opens the tunnel; a 3xx is an ordinary response.
  ASSERT_TRUE(to_response(F{{":status", "300"}, {"content-length", "2"}}, false, {false, true}, h)
                  .has_value());
  EXPECT_EQ(h.framing, Framing::KnownLength);
  ASSERT_TRUE(to_response(F{{":status", "204"}}, false, {}, h).has_value());
  EXPECT_EQ(h.framing, Framing::None);
  ASSERT_TRUE(
      to_response(F{{":status", "200"}, {"content-length", "7"}}, false, {}, h).has_value());
  EXPECT_EQ(h.framing, Framing::KnownLength);
  EXPECT_EQ(h.status, 200);
}

// §8.3.2: :status is exactly three digits, once; RFC 9110 §15 leaves the range to the
// translation (100..599), the codec takes any first digit from 1.
TEST(HeaderSemantics, ResponseStatusIsThreeDigitsOnce) {
  MessageHead h;
  auto status_error = [&](std::string_view status) -> const char* {
    Status s = to_response(F{{":status", status}}, false, {}, h);
    return s ? nullptr : s.error().detail;
  };
  for (std::string_view ok : {"100", "109", "190", "199", "200", "599", "909"}) {
    EXPECT_EQ(status_error(ok), nullptr) << ok;
  }
  for (std::string_view bad : {"", "20", "2000", "099", "/00", ":00", "2/0", "2:0", "20/",
                               "20:", "2a0", "20a", " 200", "+20"}) {
    EXPECT_EQ(status_error(bad), kBadStatus) << "[" << bad << "]";
  }
  EXPECT_EQ(status_error("204"), nullptr);
  EXPECT_EQ(h.status, 204);
  EXPECT_EQ(to_response(F{{":status", "200"}, {":status", "200"}}, false, {}, h).error().detail,
            kDuplicatePseudo);
  // §8.1.1: END_STREAM on the HEADERS means a zero-length body, whatever content-length says.
  EXPECT_EQ(to_response(F{{":status", "200"}, {"content-length", "5"}}, true, {}, h).error().detail,
            kContentLengthMismatch);
  EXPECT_TRUE(to_response(F{{":status", "200"}, {"content-length", "0"}}, true, {}, h).has_value());
}

TEST(HeaderSemantics, Trailers) {
  HeaderList t;
  EXPECT_EQ(to_trailers(F{{"x", "1"}}, false, t).error().detail, kTrailersWithoutEndStream);
  EXPECT_EQ(to_trailers(F{{":status", "1"}}, true, t).error().detail, kPseudoInTrailers);
  ASSERT_TRUE(to_trailers(F{{"grpc-status", "0"}}, true, t).has_value());
  EXPECT_EQ(t.size(), 1u);
}

TEST(HeaderSemantics, FromHeadBuildsPseudoHeadersAndLowercases) {
  MessageHead h;
  h.method = "POST";
  h.scheme = "http";
  h.path = "/p";
  h.headers.add_view("Host", "h.example");
  h.headers.add_view("Content-Type", "text/plain");
  h.headers.add_view("Connection", "close");
  h.headers.add_view("Transfer-Encoding", "chunked");
  h.headers.add_view("TE", "trailers");
  h.framing = Framing::KnownLength;
  h.content_length = 12;
  F out;
  std::string scratch;
  from_head(h, out, scratch);
  F want = {{":method", "POST"},
            {":scheme", "http"},
            {":authority", "h.example"},
            {":path", "/p"},
            {"content-type", "text/plain"},
            {"te", "trailers"},
            {"content-length", "12"}};
  EXPECT_EQ(out, want);
  // A field marked unique (the proxy's request id) reaches the encoder marked, after the head
  // was copied the ways the proxy copies it.
  h.headers.add_view("x-request-id", "0123");
  h.headers[h.headers.size() - 1].unique = true;
  MessageHead copied;
  copied.copy_owned(h, 0, 0);
  HeaderList cloned = copied.headers.clone();
  copied.headers = std::move(cloned);
  from_head(copied, out, scratch);
  ASSERT_EQ(out.size(), want.size() + 1);
  EXPECT_EQ(out[out.size() - 2], (hpack::Field{"x-request-id", "0123", false, true}));
  EXPECT_EQ(std::count_if(out.begin(), out.end(), [](const auto& f) { return f.unique; }), 1);
  MessageHead r;
  r.kind = MessageKind::Response;
  r.status = 404;
  from_head(r, out, scratch);
  EXPECT_EQ(out, (F{{":status", "404"}}));
  MessageHead c;
  c.method = "CONNECT";
  c.authority = "a:443";
  from_head(c, out, scratch);
  EXPECT_EQ(out, (F{{":method", "CONNECT"}, {":authority", "a:443"}}));
  // §8.2.2: te other than "trailers" would make the message malformed: left out, any case.
  MessageHead te;
  te.method = "GET";
  te.authority = "a";
  te.headers.add_view("TE", "gzip");
  te.headers.add_view("te", "Trailers");
  from_head(te, out, scratch);
  EXPECT_EQ(out, (F{{":method", "GET"},
                    {":scheme", "https"},
                    {":authority", "a"},
                    {":path", "/"},
                    {"te", "Trailers"}}));
}

// content-length goes through the one parser (codecs/base/content_length.h), as in HTTP/1.1:
// leading zeros and identical lists are lengths, 2^63 and different values are not.
TEST(HeaderSemantics, ContentLengthThroughTheSharedParser) {
  auto framed = [](std::string_view value) -> std::optional<uint64_t> {
    std::vector<hpack::Field> f = {{":method", "POST"},
                                   {":scheme", "https"},
                                   {":authority", "a"},
                                   {":path", "/"},
                                   {"content-length", value}};
    MessageHead h;
    if (!to_request(f, false, false, h)) return std::nullopt;
    return h.content_length;
  };
  EXPECT_EQ(framed("005"), 5u);
  EXPECT_EQ(framed("0"), 0u);
  EXPECT_EQ(framed("7, 7"), 7u);
  EXPECT_EQ(framed("9223372036854775807"), 9223372036854775807u);
  EXPECT_EQ(framed("9223372036854775808"), std::nullopt);
  EXPECT_EQ(framed("7, 8"), std::nullopt);
  EXPECT_EQ(framed("+7"), std::nullopt);
  EXPECT_EQ(framed(""), std::nullopt);
}

// RFC 9110 §6.5.1: framing, routing and connection fields are refused in trailers, as the
// HTTP/1.1 decoder and the translation rules refuse them; the encoder leaves them out.
TEST(HeaderSemantics, TrailersRefuseWhatTheFieldTableForbids) {
  for (std::string_view name : {"content-length", "host", "te", "http2-settings"}) {
    std::vector<hpack::Field> f = {{"grpc-status", "0"}, {name, "trailers"}};
    HeaderList out;
    auto st = to_trailers(f, true, out);
    ASSERT_FALSE(st) << name;
    EXPECT_STREQ(st.error().detail, kForbiddenTrailer) << name;
  }
  std::vector<hpack::Field> fine = {{"grpc-status", "0"}, {"x-checksum", "1"}};
  HeaderList out;
  EXPECT_TRUE(to_trailers(fine, true, out));
  HeaderList t;
  t.add_view("grpc-status", "0");
  t.add_view("Content-Length", "5");
  t.add_view("host", "a");
  std::vector<hpack::Field> enc;
  std::string scratch;
  from_trailers(t, enc, scratch);
  EXPECT_EQ(enc, (std::vector<hpack::Field>{{"grpc-status", "0"}}));
}

}  // namespace
}  // namespace crossmux::codecs::h2
