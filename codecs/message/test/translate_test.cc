// Translation rules H1 <-> H2 at the IR level: §3.1 classes C, D, E, F, G, H, I, L, N, Q.
#include "codecs/message/translate.h"

#include <gtest/gtest.h>

#include <string>

namespace crossmux::codecs {
namespace {

MessageHead h1_request() {
  MessageHead h;
  h.kind = MessageKind::Request;
  h.method = "GET";
  h.path = "/index.html";
  return h;
}

std::string fields(const MessageHead& h) {
  std::string out;
  for (const auto& f : h.headers) {
    out += f.name;
    out += '=';
    out += f.value;
    out += ';';
  }
  return out;
}

TEST(Translate, PrepareForH2DropsConnectionSpecificFieldsAndLowercases) {
  MessageHead h = h1_request();
  h.headers.add_view("Host", "www.example");
  h.headers.add_view("Connection", "keep-alive, X-Hop, Upgrade, HTTP2-Settings");
  h.headers.add_view("X-Hop", "1");
  h.headers.add_view("Keep-Alive", "timeout=5");
  h.headers.add_view("Proxy-Connection", "keep-alive");
  h.headers.add_view("Transfer-Encoding", "chunked");
  h.headers.add_view("Upgrade", "h2c");
  h.headers.add_view("HTTP2-Settings", "AAMAAABkAAQAAP__");
  h.headers.add_view("TE", "trailers");
  h.headers.add_view("Accept-Language", "en");
  ASSERT_TRUE(prepare_for_h2(h));
  EXPECT_EQ(h.authority, "www.example");
  EXPECT_EQ(fields(h), "te=trailers;accept-language=en;");
}

TEST(Translate, PrepareForH2SendsOneContentLength) {
  // Repeated and listed identical values (accepted by the decoders, RFC 9110 §8.6) become one.
  MessageHead h = h1_request();
  h.method = "POST";
  h.authority = "a";
  h.framing = Framing::KnownLength;
  h.content_length = 5;
  h.headers.add_view("content-length", "5");
  h.headers.add_view("x-a", "1");
  h.headers.add_view("Content-Length", "5, 5");
  ASSERT_TRUE(prepare_for_h2(h));
  EXPECT_EQ(fields(h), "x-a=1;content-length=5;");

  MessageHead head_response;
  head_response.kind = MessageKind::Response;
  head_response.status = 200;
  head_response.headers.add_view("content-length", "42 , 42");
  ASSERT_TRUE(prepare_for_h2(head_response));
  EXPECT_EQ(fields(head_response), "content-length=42;");

  MessageHead one = h1_request();
  one.authority = "a";
  one.headers.add_view("content-length", "0");
  ASSERT_TRUE(prepare_for_h2(one));
  EXPECT_EQ(fields(one), "content-length=0;");
}

TEST(Translate, TeOtherThanTrailersIsDropped) {
  for (const char* te : {"gzip", "trailers, gzip", "trailers;q=1"}) {
    MessageHead h = h1_request();
    h.authority = "a";
    h.headers.add_view("te", te);
    ASSERT_TRUE(prepare_for_h2(h));
    EXPECT_EQ(h.headers.size(), 0u) << te;
  }
}

TEST(Translate, AbsoluteFormAuthorityWinsOverHost) {
  MessageHead h = h1_request();
  h.authority = "target.example";
  h.headers.add_view("Host", "other.example");
  ASSERT_TRUE(prepare_for_h2(h));
  EXPECT_EQ(h.authority, "target.example");
  EXPECT_EQ(h.headers.count("host"), 0u);
}

TEST(Translate, PrepareForH1JoinsCookiesAndDropsHopByHop) {
  MessageHead h = h1_request();
  h.authority = "a.example";
  h.headers.add_view("cookie", "a=1");
  h.headers.add_view("accept", "*/*");
  h.headers.add_view("cookie", "b=2");
  h.headers.add_view("cookie", "c=3");
  h.headers.add_view("te", "trailers");
  h.headers.add_view("host", "a.example");
  ASSERT_TRUE(prepare_for_h1(h));
  EXPECT_EQ(fields(h), "cookie=a=1; b=2; c=3;accept=*/*;");
  // RFC 9113 §8.2.3: two crumbs are already a list to join.
  MessageHead two = h1_request();
  two.authority = "a.example";
  two.headers.add_view("cookie", "a=1");
  two.headers.add_view("cookie", "b=2");
  ASSERT_TRUE(prepare_for_h1(two));
  EXPECT_EQ(fields(two), "cookie=a=1; b=2;");
}

// An empty crumb (valid in HTTP/2) is skipped: joined in, "a=1; " would end in a space that an
// HTTP/1.1 parser strips (RFC 9110 §5.5), so the backend would see another value (found by the CI
// run of translate_h2_h1).
TEST(Translate, PrepareForH1SkipsEmptyCookieCrumbs) {
  MessageHead h = h1_request();
  h.authority = "a.example";
  h.headers.add_view("cookie", "");
  h.headers.add_view("cookie", "a=1");
  h.headers.add_view("cookie", "");
  h.headers.add_view("cookie", "b=2");
  h.headers.add_view("cookie", "");
  ASSERT_TRUE(prepare_for_h1(h));
  EXPECT_EQ(fields(h), "cookie=a=1; b=2;");
}

// RFC 9110 §7.8: an upgrade request and its 101 keep Upgrade for HTTP/1.1 (what the tunnel will
// speak); every other head loses it with the other hop-by-hop fields.
TEST(Translate, PrepareForH1KeepsUpgradeOnlyOnTunnelHeads) {
  for (Framing framing : {Framing::Tunnel, Framing::None}) {
    MessageHead h = h1_request();
    h.authority = "a";
    h.framing = framing;
    h.headers.add_view("Connection", "Upgrade, X-Hop");
    h.headers.add_view("Upgrade", "websocket");
    h.headers.add_view("X-Hop", "1");
    h.headers.add_view("Sec-WebSocket-Version", "13");
    ASSERT_TRUE(prepare_for_h1(h));
    EXPECT_EQ(fields(h), framing == Framing::Tunnel ? "Sec-WebSocket-Version=13;upgrade=websocket;"
                                                    : "Sec-WebSocket-Version=13;");
  }
  MessageHead r;
  r.kind = MessageKind::Response;
  r.status = 101;
  r.framing = Framing::Tunnel;
  r.headers.add_view("Upgrade", "websocket");
  r.headers.add_view("Connection", "upgrade");
  ASSERT_TRUE(prepare_for_h1(r));
  EXPECT_EQ(fields(r), "upgrade=websocket;");
  // RFC 9113 §3.1: h2c is never offered to an HTTP/1.1 backend, in any letter case (a backend
  // matching it case-insensitively would switch to frames nothing of ours checked).
  MessageHead mixed = h1_request();
  mixed.authority = "a";
  mixed.framing = Framing::Tunnel;
  mixed.headers.add_view("Connection", "Upgrade");
  mixed.headers.add_view("Upgrade", "H2C, websocket, h2C");
  ASSERT_TRUE(prepare_for_h1(mixed));
  EXPECT_EQ(fields(mixed), "upgrade=websocket;");
}

// RFC 9113 §8.3.1: an HTTP/2 request whose host differs from :authority is refused on its way to
// HTTP/1.1; RFC 9112 §3.2.2: an HTTP/1.1 absolute-form target wins over a differing Host, which
// the H1 encoder then writes from the target.
TEST(Translate, HostMismatchRefusedFromH2AbsoluteFormWinsFromH1) {
  MessageHead h = h1_request();
  h.version = Version::Http2;
  h.authority = "a.com";
  h.headers.add_view("host", "b.com");
  auto st = prepare_for_h1(h);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().detail, kErrTranslateHostMismatch);
  EXPECT_EQ(st.error().code, 400u);
  EXPECT_EQ(st.error().scope, Scope::Stream);
  // RFC 9110 §4.2.3: the host is compared case-insensitively; a difference of case is no mismatch.
  MessageHead cased = h1_request();
  cased.version = Version::Http2;
  cased.authority = "a.com";
  cased.headers.add_view("host", "A.Com");
  ASSERT_TRUE(prepare_for_h1(cased));
  EXPECT_EQ(cased.authority, "a.com");
  MessageHead absolute = h1_request();
  absolute.version = Version::Http11;
  absolute.authority = "a.com";
  absolute.headers.add_view("Host", "b.com");
  ASSERT_TRUE(prepare_for_h1(absolute));
  EXPECT_EQ(absolute.authority, "a.com");
  EXPECT_EQ(absolute.headers.find("host"), nullptr);
  MessageHead only_host = h1_request();
  only_host.headers.add_view("host", "c.com");
  ASSERT_TRUE(prepare_for_h1(only_host));
  EXPECT_EQ(only_host.authority, "c.com");
}

// Class F: a Connection list naming an end-to-end field removes it, but framing is metadata.
TEST(Translate, ConnectionNamingContentLengthDoesNotChangeFraming) {
  MessageHead h = h1_request();
  h.method = "POST";
  h.authority = "a";
  h.framing = Framing::KnownLength;
  h.content_length = 5;
  h.headers.add_view("Connection", "Content-Length");
  h.headers.add_view("Content-Length", "5");
  ASSERT_TRUE(prepare_for_h1(h));
  EXPECT_EQ(h.headers.size(), 0u);
  EXPECT_EQ(h.framing, Framing::KnownLength);
  EXPECT_EQ(h.content_length, 5u);
}

struct Bad {
  const char* name;
  void (*mutate)(MessageHead&);
  const char* detail;
};

const Bad kBad[] = {
    // C: CR / LF / NUL / CTL in values.
    {"value_crlf",
     [](MessageHead& h) { h.headers.add_view("foo", "bar\r\nTransfer-Encoding: chunked"); },
     kErrTranslateBadFieldValue},
    {"value_lf", [](MessageHead& h) { h.headers.add_view("foo", "bar\nhost: evil"); },
     kErrTranslateBadFieldValue},
    {"value_cr", [](MessageHead& h) { h.headers.add_view("foo", "a\rb"); },
     kErrTranslateBadFieldValue},
    {"value_nul", [](MessageHead& h) { h.headers.add_view("foo", std::string_view("a\0b", 3)); },
     kErrTranslateBadFieldValue},
    {"value_ctl", [](MessageHead& h) { h.headers.add_view("foo", "a\x01"); },
     kErrTranslateBadFieldValue},
    // D: leading / trailing whitespace.
    {"value_leading_sp", [](MessageHead& h) { h.headers.add_view("x", " a"); },
     kErrTranslateValueWhitespace},
    {"value_trailing_tab", [](MessageHead& h) { h.headers.add_view("x", "a\t"); },
     kErrTranslateValueWhitespace},
    // E: names.
    {"name_space", [](MessageHead& h) { h.headers.add_view("transfer-encoding ", "chunked"); },
     kErrTranslateBadFieldName},
    {"name_colon", [](MessageHead& h) { h.headers.add_view("foo:bar", "x"); },
     kErrTranslateBadFieldName},
    {"name_pseudo", [](MessageHead& h) { h.headers.add_view(":foo", "x"); },
     kErrTranslateBadFieldName},
    {"name_empty", [](MessageHead& h) { h.headers.add_view("", "x"); }, kErrTranslateBadFieldName},
    {"name_unicode",
     [](MessageHead& h) {
       h.headers.add_view(
           "tran\xc5\xbf"
           "fer-encoding",
           "x");
     },
     kErrTranslateBadFieldName},
    {"name_nul", [](MessageHead& h) { h.headers.add_view(std::string_view("a\0", 2), "x"); },
     kErrTranslateBadFieldName},
    // G: method injection.
    {"method_injection",
     [](MessageHead& h) { h.method = "GET /admin HTTP/1.1\r\nHost: x\r\n\r\nGET"; },
     kErrTranslateBadMethod},
    {"method_space", [](MessageHead& h) { h.method = "GET /"; }, kErrTranslateBadMethod},
    {"method_empty", [](MessageHead& h) { h.method = ""; }, kErrTranslateBadMethod},
    // H: path abuse.
    {"path_space", [](MessageHead& h) { h.path = "/a HTTP/1.1\r\nX: "; }, kErrTranslateBadPath},
    {"path_tab", [](MessageHead& h) { h.path = "/a\tb"; }, kErrTranslateBadPath},
    {"path_fragment", [](MessageHead& h) { h.path = "/a#b"; }, kErrTranslateBadPath},
    {"path_high", [](MessageHead& h) { h.path = "/\x80"; }, kErrTranslateBadPath},
    {"path_empty", [](MessageHead& h) { h.path = ""; }, kErrTranslateEmptyPath},
    {"path_relative", [](MessageHead& h) { h.path = "x/.."; }, kErrTranslateBadPath},
    {"path_at", [](MessageHead& h) { h.path = "@evil/"; }, kErrTranslateBadPath},
    {"path_asterisk_get", [](MessageHead& h) { h.path = "*"; }, kErrTranslateBadPath},
    {"path_absolute", [](MessageHead& h) { h.path = "http://evil/x"; }, kErrTranslateBadPath},
    {"path_bad_pct", [](MessageHead& h) { h.path = "/%g0"; }, kErrTranslateBadPath},
    // RFC 3986 §2.1: a '%' needs two hex digits within the value; the octets after a view (here
    // "1") are not part of it, as after a field decoded in place.
    {"path_pct_cut_short", [](MessageHead& h) { h.path = std::string_view("/a%41", 4); },
     kErrTranslateBadPath},
    // I: authority.
    {"authority_crlf", [](MessageHead& h) { h.authority = "a\r\nx: y"; },
     kErrTranslateBadAuthority},
    {"authority_space", [](MessageHead& h) { h.authority = "a b"; }, kErrTranslateBadAuthority},
    {"authority_userinfo", [](MessageHead& h) { h.authority = "u@host"; },
     kErrTranslateBadAuthority},
    {"authority_bad_port", [](MessageHead& h) { h.authority = "a:8x"; }, kErrTranslateBadAuthority},
    {"authority_pct_cut_short", [](MessageHead& h) { h.authority = std::string_view("a%41", 3); },
     kErrTranslateBadAuthority},
    // RFC 3986 §3.2.2: an IP-literal is one bracketed address, no bracket inside it.
    {"authority_nested_bracket", [](MessageHead& h) { h.authority = "[[::1]"; },
     kErrTranslateBadAuthority},
    {"scheme_injection", [](MessageHead& h) { h.scheme = "https://evil.com/x?"; },
     kErrTranslateBadScheme},
};

TEST(Translate, ValidationRejectsEveryUnsafeHeadInBothDirections) {
  for (const auto& b : kBad) {
    for (auto prepare : {&prepare_for_h2, &prepare_for_h1}) {
      MessageHead h = h1_request();
      h.authority = "a.example";
      b.mutate(h);
      auto st = prepare(h);
      ASSERT_FALSE(st) << b.name;
      EXPECT_EQ(st.error().detail, b.detail) << b.name;
    }
  }
}

// RFC 9110 §5.5 octet by octet, at every position of values around the 8-octet words the check
// reads at once: controls but HTAB and DEL are refused anywhere, HTAB and SP at either end.
TEST(Translate, EveryForbiddenValueOctetIsRefusedAtEveryPosition) {
  for (size_t len = 1; len <= 19; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int c = 0; c < 256; ++c) {
        MessageHead h = h1_request();
        h.authority = "a.example";
        std::string value(len, 'v');
        value[pos] = static_cast<char>(c);
        h.headers.add_copy("x-v", value);
        const bool control = (c < 0x20 && c != '\t') || c == 0x7f;
        const bool edge_space = (c == ' ' || c == '\t') && (pos == 0 || pos == len - 1);
        const auto st = validate_for_forwarding(h);
        ASSERT_EQ(st.has_value(), !control && !edge_space)
            << "len " << len << " pos " << pos << " octet " << c;
        if (control) {
          EXPECT_EQ(st.error().detail, kErrTranslateBadFieldValue);
        }
      }
    }
  }
}

TEST(Translate, ResponsesAndTrailers) {
  MessageHead r;
  r.kind = MessageKind::Response;
  r.status = 200;
  r.headers.add_view("Set-Cookie", "a=1");
  r.headers.add_view("Connection", "close");
  ASSERT_TRUE(prepare_for_h2(r));
  EXPECT_EQ(fields(r), "set-cookie=a=1;");
  r.status = 600;
  auto st = validate_for_forwarding(r);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, 502u);
  EXPECT_EQ(st.error().side, Side::Backend);

  HeaderList ok_trailers;
  ok_trailers.add_view("grpc-status", "0");
  EXPECT_TRUE(validate_trailers(ok_trailers, MessageKind::Response));
  for (const char* name : {"content-length", "transfer-encoding", "host", "connection", "te"}) {
    HeaderList t;
    t.add_view(name, "1");
    auto ts = validate_trailers(t, MessageKind::Request);
    ASSERT_FALSE(ts) << name;
    EXPECT_EQ(ts.error().detail, kErrTranslateForbiddenTrailer);
  }
  HeaderList crlf;
  crlf.add_view("x", "a\r\nb");
  EXPECT_EQ(validate_trailers(crlf, MessageKind::Request).error().detail,
            kErrTranslateBadFieldValue);
}

TEST(Translate, NoContentLengthOnInformationalOr204Responses) {
  // RFC 9110 §8.6: a backend's Content-Length on a 1xx or 204 is not repeated on either protocol;
  // 304 and 200 keep theirs.
  for (bool to_h2 : {true, false}) {
    for (uint16_t status :
         {uint16_t{100}, uint16_t{103}, uint16_t{204}, uint16_t{304}, uint16_t{200}}) {
      MessageHead r;
      r.kind = MessageKind::Response;
      r.status = status;
      r.framing = Framing::None;
      r.headers.add_view("content-length", "5");
      r.headers.add_view("x-a", "1");
      ASSERT_TRUE(to_h2 ? prepare_for_h2(r) : prepare_for_h1(r));
      const bool kept = status == 304 || status == 200;
      EXPECT_EQ(fields(r), kept ? "content-length=5;x-a=1;" : "x-a=1;")
          << status << (to_h2 ? " to h2" : " to h1");
    }
  }
  // A 204 to HEAD whose length the proxy kept (KnownLength) or an HTTP/2 204's content_length:
  // nothing is left for the HTTP/2 encoder to write back.
  MessageHead head_204;
  head_204.kind = MessageKind::Response;
  head_204.status = 204;
  head_204.framing = Framing::KnownLength;
  head_204.content_length = 5;
  head_204.headers.add_view("content-length", "5");
  ASSERT_TRUE(prepare_for_h2(head_204));
  EXPECT_EQ(head_204.framing, Framing::None);
  EXPECT_EQ(head_204.content_length, 0u);
  EXPECT_EQ(fields(head_204), "");
}

TEST(Translate, PriRequestIsNotForwardedToHttp1) {
  MessageHead h = h1_request();
  h.method = "PRI";
  h.authority = "a";
  auto st = prepare_for_h1(h);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, 400u);
  EXPECT_EQ(st.error().detail, kErrTranslatePriMethod);
}

TEST(Translate, ValidHeadsPass) {
  MessageHead connect = h1_request();
  connect.method = "CONNECT";
  connect.path = "";
  connect.authority = "[::1]:443";
  EXPECT_TRUE(validate_for_forwarding(connect));
  MessageHead options = h1_request();
  options.method = "OPTIONS";
  options.path = "*";
  options.authority = "a";
  EXPECT_TRUE(validate_for_forwarding(options));
  MessageHead q = h1_request();
  q.path = "/a/b;c?d=%41&e=f:g@h";
  q.headers.add_view("x", "caf\xc3\xa9 \"quoted\"");
  EXPECT_TRUE(validate_for_forwarding(q));
}

}  // namespace
}  // namespace crossmux::codecs

namespace crossmux::codecs {
namespace {

// Class I toward an HTTP/2 backend: the H2 codec marks host != :authority, and forwarding refuses
// it; an HTTP/1.1 absolute-form request with another Host is fine (its authority wins).
TEST(Translate, H2HostMismatchIsRefusedForAnyBackend) {
  MessageHead h;
  h.version = Version::Http2;
  h.method = "GET";
  h.scheme = "https";
  h.authority = "a.com";
  h.path = "/";
  h.violations |= kViolationHostAuthorityMismatch;
  auto st = validate_for_forwarding(h);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().detail, kErrTranslateHostMismatch);
  h.version = Version::Http11;
  EXPECT_TRUE(validate_for_forwarding(h));
}

}  // namespace
}  // namespace crossmux::codecs
