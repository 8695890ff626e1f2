// H1 encoder: exact bytes, framing choice, hop-by-hop removal, refusals, and decoder round trips.
#include "codecs/h1/encoder.h"

#include <gtest/gtest.h>

#include <array>

#include "codecs/h1/h1_errors.h"
#include "codecs/h1/test/h1_test_util.h"

namespace crossmux::codecs::h1 {
namespace {

MessageHead request(std::string_view method, std::string_view path, std::string_view authority) {
  MessageHead h;
  h.kind = MessageKind::Request;
  h.method = method;
  h.path = path;
  h.authority = authority;
  h.scheme = "https";
  return h;
}

MessageHead response(uint16_t status) {
  MessageHead h;
  h.kind = MessageKind::Response;
  h.status = status;
  return h;
}

TEST(H1Encoder, RequestWithHostFramingHopByHopAndCookies) {
  MessageHead h = request("POST", "/submit?x=1", "api.example");
  h.headers.add_view("Host", "other.example");
  h.headers.add_view("Connection", "keep-alive, X-Secret");
  h.headers.add_view("X-Secret", "drop me");
  h.headers.add_view("Keep-Alive", "timeout=5");
  h.headers.add_view("Proxy-Connection", "keep-alive");
  h.headers.add_view("TE", "trailers");
  h.headers.add_view("Transfer-Encoding", "chunked");
  h.headers.add_view("Content-Length", "999");
  h.headers.add_view("Upgrade", "h2c");
  h.headers.add_view("HTTP2-Settings", "AAMAAABkAAQAAP__");
  h.headers.add_view("cookie", "a=1");
  h.headers.add_view("X-Mixed-Case", "v");
  h.headers.add_view("cookie", "b=2");
  h.framing = Framing::KnownLength;
  h.content_length = 4;
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  ASSERT_TRUE(enc.encode_data(as_bytes("data"), out));
  ASSERT_TRUE(enc.encode_end(out));
  EXPECT_EQ(
      out.view(),
      "POST /submit?x=1 HTTP/1.1\r\nHost: api.example\r\ncookie: a=1; b=2\r\nX-Mixed-Case: v\r\n"
      "Content-Length: 4\r\n\r\ndata");
}

// Trailers are not prepared by translate.cc: the encoder joins their crumbs itself, skipping
// empty ones as join_cookies does ("a=1; " would lose its space to the backend's parser).
TEST(H1Encoder, TrailerCookieCrumbsJoinWithoutEmptyOnes) {
  MessageHead h = request("POST", "/", "a.example");
  h.framing = Framing::Streaming;
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  HeaderList t;
  t.add_view("cookie", "a=1");
  t.add_view("x-t", "1");
  t.add_view("cookie", "");
  t.add_view("cookie", "b=2");
  t.add_view("cookie", "");
  out.clear();
  ASSERT_TRUE(enc.encode_trailers(t, out));
  EXPECT_EQ(out.view(), "0\r\ncookie: a=1; b=2\r\nx-t: 1\r\n\r\n");
}

TEST(H1Encoder, StreamingBecomesChunkedWithTrailers) {
  MessageHead h = response(200);
  h.framing = Framing::Streaming;
  Encoder enc(MessageKind::Response);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  EXPECT_EQ(enc.body_mode(), BodyMode::Chunked);
  ASSERT_TRUE(enc.encode_data(as_bytes("0123456789abcdefX"), out));
  HeaderList trailers;
  trailers.add_view("grpc-status", "0");
  trailers.add_view("content-length", "17");
  ASSERT_TRUE(enc.encode_trailers(trailers, out));
  EXPECT_EQ(out.view(),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n0123456789abcdefX\r\n"
            "0\r\ngrpc-status: 0\r\n\r\n");
}

// A body handed over as a buffer is not copied: its storage is the output's part, with the chunk
// line and CRLF around it when chunked; Content-Length is enforced as for copied bytes.
TEST(H1Encoder, BodyBufferIsAdoptedNotCopied) {
  MessageHead h = response(200);
  h.framing = Framing::Streaming;
  Encoder enc(MessageKind::Response);
  ByteChain out;
  ASSERT_TRUE(enc.encode_head(h, out.tail()));
  ByteBuffer body;
  body.append(std::string(4096, 'b'));
  const uint8_t* storage = body.data();
  ASSERT_TRUE(enc.encode_data(body, out));
  EXPECT_TRUE(body.empty());
  ASSERT_TRUE(enc.encode_end(out.tail()));
  std::array<Bytes, 4> parts;
  ASSERT_EQ(out.gather(parts), 3u);
  EXPECT_EQ(as_chars(parts[0]), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n");
  EXPECT_EQ(parts[1].data(), storage);
  EXPECT_EQ(as_chars(parts[2]), "\r\n0\r\n\r\n");

  MessageHead fixed = response(200);
  fixed.framing = Framing::KnownLength;
  fixed.content_length = 2000;
  Encoder cl(MessageKind::Response);
  ByteChain cl_out;
  ASSERT_TRUE(cl.encode_head(fixed, cl_out.tail()));
  ByteBuffer more;
  more.append(std::string(2001, 'x'));
  auto st = cl.encode_data(more, cl_out);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().detail, kErrEncodeLengthMismatch);
  more.resize(2000);
  storage = more.data();
  ASSERT_TRUE(cl.encode_data(more, cl_out));
  ASSERT_TRUE(cl.encode_end(cl_out.tail()));
  ASSERT_EQ(cl_out.gather(parts), 2u);
  EXPECT_EQ(parts[1].data(), storage);
  EXPECT_EQ(parts[1].size(), 2000u);
}

TEST(H1Encoder, Http10PeerGetsCloseDelimitedOrAnError) {
  MessageHead h = response(200);
  h.framing = Framing::Streaming;
  Encoder enc(MessageKind::Response, {.peer_http11 = false});
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  EXPECT_EQ(out.view(), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
  HeaderList trailers;
  trailers.add_view("x", "y");
  ASSERT_TRUE(enc.encode_trailers(trailers, out));
  EXPECT_EQ(enc.dropped_trailers(), 1u);

  MessageHead req = request("POST", "/", "a");
  req.framing = Framing::Streaming;
  Encoder renc(MessageKind::Request, {.peer_http11 = false});
  ByteBuffer rout;
  auto st = renc.encode_head(req, rout);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().detail, kErrEncodeNoFraming);
  EXPECT_TRUE(rout.empty());
}

TEST(H1Encoder, BodilessResponses) {
  MessageHead h = response(200);
  h.framing = Framing::KnownLength;
  h.content_length = 42;
  Encoder enc(MessageKind::Response);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out, "HEAD"));
  EXPECT_EQ(out.view(), "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n");
  EXPECT_FALSE(enc.encode_data(as_bytes("x"), out));
  ASSERT_TRUE(enc.encode_end(out));
  out.clear();
  MessageHead nc = response(204);
  nc.framing = Framing::KnownLength;
  nc.content_length = 3;
  ASSERT_TRUE(enc.encode_head(nc, out));
  EXPECT_EQ(out.view(), "HTTP/1.1 204 No Content\r\n\r\n");
  out.clear();
  MessageHead odd = response(599);
  ASSERT_TRUE(enc.encode_head(odd, out));
  EXPECT_EQ(out.view(), "HTTP/1.1 599 \r\nContent-Length: 0\r\n\r\n");
}

TEST(H1Encoder, UpgradeTunnelKeepsUpgrade) {
  MessageHead h = request("GET", "/chat", "a");
  h.headers.add_view("Upgrade", "websocket");
  h.headers.add_view("Connection", "Upgrade");
  h.framing = Framing::Tunnel;
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  EXPECT_EQ(out.view(),
            "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
  MessageHead c = request("CONNECT", "", "db:5432");
  c.framing = Framing::Tunnel;
  out.clear();
  ASSERT_TRUE(enc.encode_head(c, out));
  EXPECT_EQ(out.view(), "CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n");
}

struct Refusal {
  const char* name;
  MessageHead (*make)();
  const char* detail;
};

// §3.1 C, E, G, H, I: nothing the encoder writes may carry CR, LF or NUL, or break the grammar.
const Refusal kRefusals[] = {
    {"value_crlf",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("foo", "bar\r\nTransfer-Encoding: chunked");
       return h;
     },
     kErrEncodeBadFieldValue},
    {"value_lf",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("foo", "bar\nHost: evil");
       return h;
     },
     kErrEncodeBadFieldValue},
    {"value_cr",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("foo", "a\rb");
       return h;
     },
     kErrEncodeBadFieldValue},
    {"value_nul",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("foo", std::string_view("a\0b", 3));
       return h;
     },
     kErrEncodeBadFieldValue},
    {"cookie_crlf",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("cookie", "a=1");
       h.headers.add_view("cookie", "b\r\nX: y");
       return h;
     },
     kErrEncodeBadFieldValue},
    {"name_space",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("transfer-encoding ", "chunked");
       return h;
     },
     kErrEncodeBadFieldName},
    {"name_colon",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("foo:bar", "x");
       return h;
     },
     kErrEncodeBadFieldName},
    {"name_empty",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view("", "x");
       return h;
     },
     kErrEncodeBadFieldName},
    {"name_pseudo",
     [] {
       auto h = request("GET", "/", "a");
       h.headers.add_view(":path", "/x");
       return h;
     },
     kErrEncodeBadFieldName},
    {"method_injection",
     [] { return request("GET /admin HTTP/1.1\r\nHost: x\r\n\r\nGET", "/", "a"); },
     kErrEncodeBadMethod},
    {"method_space", [] { return request("GET /", "/", "a"); }, kErrEncodeBadMethod},
    {"method_empty", [] { return request("", "/", "a"); }, kErrEncodeBadMethod},
    {"path_space", [] { return request("GET", "/a HTTP/1.1\r\nX: ", "a"); }, kErrEncodeBadTarget},
    {"path_relative", [] { return request("GET", "x/..", "a"); }, kErrEncodeBadTarget},
    {"path_at_host", [] { return request("GET", "@evil/", "a"); }, kErrEncodeBadTarget},
    {"path_empty", [] { return request("GET", "", "a"); }, kErrEncodeBadTarget},
    {"path_asterisk_get", [] { return request("GET", "*", "a"); }, kErrEncodeBadTarget},
    {"path_high_bytes", [] { return request("GET", "/\xff", "a"); }, kErrEncodeBadTarget},
    {"authority_crlf", [] { return request("GET", "/", "a\r\nX: y"); }, kErrEncodeBadAuthority},
    {"authority_userinfo", [] { return request("GET", "/", "u@a"); }, kErrEncodeBadAuthority},
    {"authority_space", [] { return request("GET", "/", "a b"); }, kErrEncodeBadAuthority},
    {"authority_missing", [] { return request("GET", "/", ""); }, kErrEncodeMissingAuthority},
};

TEST(H1Encoder, RefusesUnsafeHeadsAndWritesNothing) {
  for (const auto& r : kRefusals) {
    Encoder enc(MessageKind::Request);
    ByteBuffer out;
    out.append("previous");
    auto st = enc.encode_head(r.make(), out);
    ASSERT_FALSE(st) << r.name;
    EXPECT_EQ(st.error().detail, r.detail) << r.name;
    EXPECT_EQ(out.view(), "previous") << r.name;
  }
  Encoder resp(MessageKind::Response);
  ByteBuffer out;
  EXPECT_EQ(resp.encode_head(response(99), out).error().detail, kErrEncodeBadStatus);
  EXPECT_EQ(resp.encode_head(response(600), out).error().detail, kErrEncodeBadStatus);
}

// §3.1 L: whatever Content-Length fields the IR carries, exactly one framing field is written,
// computed from the IR framing.
TEST(H1Encoder, DuplicateOrObfuscatedContentLengthNeverTravels) {
  MessageHead h = request("POST", "/", "a");
  h.headers.add_view("content-length", "5");
  h.headers.add_view("Content-Length", "6");
  h.headers.add_view("content-length", "+5");
  h.headers.add_view("transfer-encoding", "chunked");
  h.framing = Framing::KnownLength;
  h.content_length = 3;
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  EXPECT_EQ(out.view(), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
}

// §3.1 N: an h2c upgrade request the proxy declines is forwarded without Upgrade, HTTP2-Settings
// or the Connection options naming them.
TEST(H1Encoder, DeclinedH2cUpgradeIsStripped) {
  auto decoded = testing::decode_request(
      "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
      "Connection: Upgrade, HTTP2-Settings\r\n\r\n");
  ASSERT_FALSE(decoded.error);
  EXPECT_NE(decoded.trace.find("framing=tunnel"), std::string::npos);  // awaiting the decision
  MessageHead h = request("GET", "/", "a");
  h.headers.add_view("Upgrade", "h2c");
  h.headers.add_view("HTTP2-Settings", "AAMAAABkAAQAAP__");
  h.headers.add_view("Connection", "Upgrade, HTTP2-Settings");
  h.framing = Framing::None;  // declined: an ordinary request
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  EXPECT_EQ(out.view(), "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(H1Encoder, ContentLengthIsEnforced) {
  MessageHead h = request("PUT", "/", "a");
  h.framing = Framing::KnownLength;
  h.content_length = 3;
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  EXPECT_EQ(enc.encode_data(as_bytes("abcd"), out).error().detail, kErrEncodeLengthMismatch);
  ASSERT_TRUE(enc.encode_data(as_bytes("ab"), out));
  EXPECT_EQ(enc.encode_end(out).error().detail, kErrEncodeLengthMismatch);
}

// Encoder -> decoder back to back, both roles.
TEST(H1Encoder, DecoderReadsWhatTheEncoderWrites) {
  MessageHead h = request("POST", "/x", "a.example");
  h.headers.add_view("X-Trace", "1");
  h.framing = Framing::Streaming;
  Encoder enc(MessageKind::Request);
  ByteBuffer out;
  ASSERT_TRUE(enc.encode_head(h, out));
  ASSERT_TRUE(enc.encode_data(as_bytes("hello"), out));
  HeaderList t;
  t.add_view("X-Done", "yes");
  ASSERT_TRUE(enc.encode_trailers(t, out));
  auto d = testing::decode_request(out.view());
  ASSERT_FALSE(d.error) << to_string(*d.error);
  EXPECT_EQ(d.trace,
            "head 1 request HTTP/1.1 POST - a.example /x framing=streaming\n"
            "  field \"Host\" \"a.example\"\n  field \"X-Trace\" \"1\"\n"
            "  field \"Transfer-Encoding\" \"chunked\"\n"
            "data 1 \"hello\"\ntrailers 1\n  field \"X-Done\" \"yes\"\nend 1\n");

  MessageHead r = response(404);
  r.framing = Framing::KnownLength;
  r.content_length = 2;
  r.keep_alive = false;
  Encoder renc(MessageKind::Response);
  ByteBuffer rout;
  ASSERT_TRUE(renc.encode_head(r, rout));
  ASSERT_TRUE(renc.encode_data(as_bytes("no"), rout));
  ASSERT_TRUE(renc.encode_end(rout));
  auto rd = testing::decode(rout.view(), testing::response_to({{}}));
  ASSERT_FALSE(rd.error);
  EXPECT_EQ(rd.trace,
            "head 1 response HTTP/1.1 404 framing=known(2) close\n"
            "  field \"Content-Length\" \"2\"\n  field \"Connection\" \"close\"\n"
            "data 1 \"no\"\nend 1\n");
}

}  // namespace
}  // namespace crossmux::codecs::h1
