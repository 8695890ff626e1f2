// H1 decoder behaviour: events, framing, pipelining, tunnels, persistence, limits, split
// invariance.
#include "codecs/h1/decoder.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "codecs/h1/h1_errors.h"
#include "codecs/h1/test/h1_test_util.h"

namespace crossmux::codecs::h1 {
namespace {

using testing::decode;
using testing::decode_request;
using testing::DecodeSetup;
using testing::response_to;
using testing::Split;

TEST(H1Decoder, SimpleGetTrace) {
  auto d = decode_request("GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.trace,
            "head 1 request HTTP/1.1 GET - example.com /a?b=1 framing=none\n"
            "  field \"Host\" \"example.com\"\n"
            "  field \"Accept\" \"*/*\"\n"
            "end 1\n");
  EXPECT_EQ(d.leftover, "");
}

TEST(H1Decoder, ChunkedBodyWithTrailers) {
  auto d = decode_request(
      "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 42\r\nX-Other: y\r\n\r\n");
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.trace,
            "head 1 request HTTP/1.1 POST - a /up framing=streaming\n"
            "  field \"Host\" \"a\"\n"
            "  field \"Transfer-Encoding\" \"chunked\"\n"
            "data 1 \"hello world\"\n"
            "trailers 1\n"
            "  field \"X-Sum\" \"42\"\n"
            "  field \"X-Other\" \"y\"\n"
            "end 1\n");
}

TEST(H1Decoder, PipelinedRequestsGetIncreasingStreamIds) {
  auto d = decode_request(
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
      "\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");  // an empty line between requests is ignored
  ASSERT_FALSE(d.error);
  EXPECT_NE(d.trace.find("end 1\nhead 2 request HTTP/1.1 POST - a /2 framing=known(3)"),
            std::string::npos);
  EXPECT_NE(d.trace.find("data 2 \"abc\"\nend 2\nhead 3 request HTTP/1.1 GET - a /3"),
            std::string::npos);
}

// The STYLE.md invariant: whole, byte by byte and random splits give identical traces.
TEST(H1Decoder, SplitInvariance) {
  const std::string inputs[] = {
      "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\n\r\nPOST /p HTTP/1.1\r\nHost: a\r\n"
      "Content-Length: 10\r\n\r\n0123456789",
      "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
      "chunked\r\n\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
      "3;q=\"a b\"\r\nxyz\r\n0\r\nT: 1\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\nConnection: "
      "close\r\n\r\n",
      "GET http://x.example:8080/p?q HTTP/1.1\r\nHost: x.example:8080\r\n\r\n"
      "OPTIONS * HTTP/1.1\r\nHost: y\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
  };
  for (const auto& in : inputs) {
    auto whole = decode_request(in);
    ASSERT_FALSE(whole.error) << to_string(*whole.error);
    EXPECT_EQ(decode_request(in, Split::Bytewise).trace, whole.trace);
    for (uint32_t seed = 1; seed <= 30; ++seed) {
      auto r = decode_request(in, Split::Random, seed);
      ASSERT_EQ(r.trace, whole.trace) << "seed " << seed;
      ASSERT_EQ(r.leftover, whole.leftover);
    }
  }
}

// The head scanner works in 64-byte blocks and carries the last CR and LFs across them: the
// blank line, and a bare LF, must be found wherever they fall relative to a block boundary.
TEST(H1Decoder, HeadEndAndBareLfFoundAtEveryOffsetAcrossScanBlocks) {
  const std::string second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t pad = 0; pad < 140; ++pad) {
    const std::string first =
        "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(pad, 'x') + "\r\n\r\n";
    for (Split split : {Split::Whole, Split::Bytewise}) {
      auto d = decode_request(first + second, split);
      ASSERT_FALSE(d.error) << "pad " << pad << ": " << to_string(*d.error);
      EXPECT_NE(d.trace.find("field \"X\" \"" + std::string(pad, 'x') + "\""), std::string::npos)
          << "pad " << pad;
      EXPECT_NE(d.trace.find("end 2\n"), std::string::npos) << "pad " << pad;
    }
    // The same head with a bare LF ending its last field line, or its request line.
    std::string bare = first;
    bare.erase(bare.size() - 4, 1);
    auto b = decode_request(bare + second);
    ASSERT_TRUE(b.error) << "pad " << pad;
    EXPECT_EQ(b.error->detail, kErrBareLf) << "pad " << pad;
    const std::string bare_start = "GET /" + std::string(pad, 'p') + " HTTP/1.1\nHost: a\r\n\r\n";
    auto c = decode_request(bare_start);
    ASSERT_TRUE(c.error) << "pad " << pad;
    EXPECT_EQ(c.error->detail, kErrBareLf) << "pad " << pad;
  }
}

// A head is parsed straight from the bytes that have arrived (one pass) when it is complete there.
// Cut anywhere, it must be "need more" (not an error, nothing consumed), and the parse must read
// nothing past the bytes given: each prefix sits in a heap block of exactly its size, so under
// ASan (the asan preset) a read past it fails here. Whole, the head is decoded as usual.
TEST(H1Decoder, HeadPrefixesNeedMoreAndAreReadOnlyWithinTheirBytes) {
  struct Head {
    MessageKind kind;
    std::string bytes;
  };
  const Head heads[] = {
      {MessageKind::Request,
       "GET /a%2Fb?q=%41&r=~x HTTP/1.1\r\nHost: h.example:80\r\nX-Long-Field-Name: v \t\r\n"
       "Empty:\r\nAccept: */*\r\n\r\n"},
      {MessageKind::Request, "POST http://h/p HTTP/1.0\r\nContent-Length: 0\r\n\r\n"},
      {MessageKind::Response,
       "HTTP/1.1 200 OK\r\nX: a\r\n  b\r\nContent-Length: 0\r\nServer: s\r\n\r\n"},
      {MessageKind::Response, "HTTP/1.1 204\r\n\r\n"},
  };
  for (const Head& head : heads) {
    for (size_t k = 1; k <= head.bytes.size(); ++k) {
      auto block = std::make_unique<uint8_t[]>(k);
      std::memcpy(block.get(), head.bytes.data(), k);
      Decoder decoder(head.kind);
      if (head.kind == MessageKind::Response) decoder.expect_response(RequestInfo{});
      RecordingSink sink;
      auto used = decoder.feed(Bytes(block.get(), k), sink);
      ASSERT_TRUE(used) << head.bytes.substr(0, k) << ": " << to_string(used.error());
      EXPECT_EQ(*used, k == head.bytes.size() ? k : 0u) << head.bytes.substr(0, k);
    }
  }
}

TEST(H1Decoder, TargetForms) {
  auto abs = decode_request("GET HTTP://Example.com?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_FALSE(abs.error);
  EXPECT_NE(abs.trace.find("GET http Example.com /?x=1 framing=none\n"), std::string::npos)
      << abs.trace;
  auto star = decode_request("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_NE(star.trace.find("OPTIONS - h * framing=none"), std::string::npos) << star.trace;
  auto ipv6 = decode_request("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n");
  EXPECT_NE(ipv6.trace.find("GET - [::1]:80 /"), std::string::npos) << ipv6.trace;
  auto empty_host = decode_request("GET / HTTP/1.1\r\nHost:\r\n\r\n");
  ASSERT_FALSE(empty_host.error);
}

class ViewCheckSink : public RecordingSink {
 public:
  explicit ViewCheckSink(std::string_view buffer) : buffer_(buffer) {}
  void on_head(StreamId s, MessageHead& head) override {
    inside_ = inside(head.method) && inside(head.path) && inside(head.authority);
    for (const auto& f : head.headers) inside_ = inside_ && inside(f.name) && inside(f.value);
    RecordingSink::on_head(s, head);
  }
  bool inside(std::string_view v) const {
    return v.data() >= buffer_.data() && v.data() + v.size() <= buffer_.data() + buffer_.size();
  }
  bool inside_ = false;

 private:
  std::string_view buffer_;
};

TEST(H1Decoder, HeadViewsPointIntoTheCallersBuffer) {
  std::string in = "GET /zero HTTP/1.1\r\nHost: copy.example\r\nX-A: b\r\n\r\n";
  ViewCheckSink sink(in);
  Decoder d(MessageKind::Request);
  ASSERT_EQ(d.feed(as_bytes(in), sink).value(), in.size());
  EXPECT_TRUE(sink.inside_);
}

TEST(H1Decoder, ConnectionCloseStopsConsuming) {
  auto d = decode_request(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /next HTTP/1.1\r\n");
  ASSERT_FALSE(d.error);
  EXPECT_EQ(d.leftover, "GET /next HTTP/1.1\r\n");
  EXPECT_NE(d.trace.find("framing=none close\n"), std::string::npos);
  auto http10 = decode_request("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(http10.leftover, "GET / HTTP/1.0\r\n\r\n");
  auto kept =
      decode_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(kept.leftover, "");
  EXPECT_NE(kept.trace.find("end 2"), std::string::npos);
}

TEST(H1Decoder, ConnectTunnelAwaitsDecision) {
  std::string in = "CONNECT db.example:5432 HTTP/1.1\r\nHost: db.example:5432\r\n\r\nraw bytes";
  Decoder d(MessageKind::Request);
  RecordingSink sink;
  auto used = d.feed(as_bytes(in), sink);
  ASSERT_TRUE(used);
  EXPECT_EQ(*used, in.size() - 9);
  EXPECT_TRUE(d.awaiting_tunnel());
  d.resolve_tunnel(true, sink);
  EXPECT_EQ(d.feed(as_bytes(in.substr(*used)), sink).value(), 9u);
  ASSERT_TRUE(d.finish(sink));
  EXPECT_EQ(sink.trace(),
            "head 1 request HTTP/1.1 CONNECT - db.example:5432 - framing=tunnel\n"
            "  field \"Host\" \"db.example:5432\"\n"
            "data 1 \"raw bytes\"\n"
            "end 1\n");
}

TEST(H1Decoder, RefusedConnectClosesAndDeclinedUpgradeContinues) {
  Decoder c(MessageKind::Request);
  RecordingSink sink;
  std::string connect = "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n";
  ASSERT_TRUE(c.feed(as_bytes(connect), sink));
  c.resolve_tunnel(false, sink);
  EXPECT_TRUE(c.closed());

  Decoder u(MessageKind::Request);
  RecordingSink usink;
  std::string up =
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "GET /after HTTP/1.1\r\nHost: a\r\n\r\n";
  auto used = u.feed(as_bytes(up), usink).value();
  EXPECT_TRUE(u.awaiting_tunnel());
  u.resolve_tunnel(false, usink);
  EXPECT_EQ(u.feed(as_bytes(up).subspan(used), usink).value(), up.size() - used);
  EXPECT_NE(usink.trace().find("framing=tunnel"), std::string::npos);
  EXPECT_NE(usink.trace().find("end 1\nhead 2 request HTTP/1.1 GET - a /after"), std::string::npos);
}

// RFC 9110 §7.8, §5.6.1: an Upgrade without a protocol (empty, or only empty list elements) asks
// for nothing: no tunnel is awaited and the next request parses at once (h1_diff finding: the
// empty value held the rest of the connection as tunnel bytes).
TEST(H1Decoder, UpgradeWithoutAProtocolIsNoUpgrade) {
  for (std::string value : {"", " ", ",", " , ,\t"}) {
    Decoder d(MessageKind::Request);
    RecordingSink sink;
    std::string in = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade:" + value +
                     "\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_EQ(d.feed(as_bytes(in), sink).value(), in.size()) << value;
    EXPECT_FALSE(d.awaiting_tunnel()) << value;
    EXPECT_EQ(sink.trace().find("framing=tunnel"), std::string::npos) << sink.trace();
    EXPECT_NE(sink.trace().find("head 2 request HTTP/1.1 GET - a /after"), std::string::npos)
        << sink.trace();
  }
}

TEST(H1Decoder, ResponseFramingFollowsTheRequest) {
  // HEAD: no body despite Content-Length; the next response follows immediately.
  auto head = decode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
                     response_to({{.head = true}, {}}));
  ASSERT_FALSE(head.error);
  EXPECT_NE(head.trace.find(
                "response HTTP/1.1 200 framing=none\n  field \"Content-Length\" \"5\"\nend 1\n"
                "head 2 response HTTP/1.1 204 framing=none\nend 2"),
            std::string::npos)
      << head.trace;
  // 1xx interim heads share the final response's stream id and have no end.
  auto interim = decode(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
      response_to({{}}));
  ASSERT_FALSE(interim.error);
  EXPECT_EQ(interim.trace,
            "head 1 response HTTP/1.1 100 framing=none\n"
            "head 1 response HTTP/1.1 103 framing=none\n  field \"Link\" \"</s>\"\n"
            "head 1 response HTTP/1.1 304 framing=none\n  field \"Content-Length\" \"9\"\nend 1\n");
}

// expect_response(request head), as the proxy calls it: HEAD, CONNECT and an Upgrade field
// (whatever its case) are read off the request the response answers.
TEST(H1Decoder, ExpectResponseReadsTheRequestHead) {
  auto framing_after = [](std::string_view method, bool upgrade, std::string_view response) {
    MessageHead request;
    request.kind = MessageKind::Request;
    request.method = method;
    if (upgrade) request.headers.add_view("Upgrade", "websocket");
    Decoder d(MessageKind::Response, {});
    d.expect_response(request);
    RecordingSink sink;
    auto r =
        d.feed(Bytes(reinterpret_cast<const uint8_t*>(response.data()), response.size()), sink);
    return r ? sink.trace() : std::string("error ") + r.error().detail;
  };
  const std::string ok5 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  EXPECT_NE(framing_after("HEAD", false, ok5).find("framing=none"), std::string::npos);
  EXPECT_NE(framing_after("GET", false, ok5).find("framing=known(5)"), std::string::npos);
  EXPECT_NE(framing_after("CONNECT", false, "HTTP/1.1 200 OK\r\n\r\n").find("framing=tunnel"),
            std::string::npos);
  EXPECT_NE(framing_after("GET", false, "HTTP/1.1 200 OK\r\n\r\n").find("framing=close"),
            std::string::npos);
  const std::string switching = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  EXPECT_NE(framing_after("GET", true, switching).find("framing=tunnel"), std::string::npos);
  EXPECT_EQ(framing_after("GET", false, switching), std::string("error ") + kErrUnexpectedSwitch);
}

TEST(H1Decoder, CloseDelimitedResponseEndsAtEof) {
  auto d = decode("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nall of this until close",
                  response_to({{}}, true));
  ASSERT_FALSE(d.error);
  EXPECT_NE(d.trace.find("framing=close-delimited close"), std::string::npos);
  EXPECT_NE(d.trace.find("data 1 \"all of this until close\"\nend 1\n"), std::string::npos);
}

TEST(H1Decoder, SwitchingProtocolsAndConnectResponsesTunnel) {
  auto ws = decode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
      "upgrade\r\n\r\n\x81\x05hello",
      response_to({{.upgrade = true}}, true));
  ASSERT_FALSE(ws.error);
  EXPECT_NE(ws.trace.find("framing=tunnel"), std::string::npos);
  EXPECT_NE(ws.trace.find("data 1 \"\\x81\\x05hello\"\nend 1"), std::string::npos) << ws.trace;
  auto connect = decode("HTTP/1.1 200 Connection Established\r\n\r\nTLS...",
                        response_to({{.connect = true}}, true));
  ASSERT_FALSE(connect.error);
  EXPECT_NE(connect.trace.find("framing=tunnel\ndata 1 \"TLS...\"\nend 1"), std::string::npos);
  // RFC 9110 §9.3.6: only a 2xx opens the tunnel; a 3xx to CONNECT is an ordinary response.
  auto redirect = decode("HTTP/1.1 300 Multiple Choices\r\nContent-Length: 2\r\n\r\nhi",
                         response_to({{.connect = true}}, true));
  ASSERT_FALSE(redirect.error);
  EXPECT_NE(redirect.trace.find("framing=known(2)"), std::string::npos) << redirect.trace;
  EXPECT_NE(redirect.trace.find("data 1 \"hi\"\nend 1"), std::string::npos) << redirect.trace;
}

TEST(H1Decoder, ExpectContinueOnlyInHttp11) {
  auto d11 = decode_request(
      "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_NE(d11.trace.find("expect-continue"), std::string::npos);
  auto d10 = decode_request("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(d10.trace.find("expect-continue"), std::string::npos);
}

DecodeSetup limited(Limits limits) {
  DecodeSetup s;
  s.options.limits = limits;
  return s;
}

TEST(H1Decoder, LimitsGiveTheirStatuses) {
  std::string long_line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  auto e414 = decode(long_line, limited({.max_request_line = 64}));
  ASSERT_TRUE(e414.error);
  EXPECT_EQ(e414.error->code, 414u);
  EXPECT_EQ(e414.error->detail, kErrRequestLineTooLong);
  // The limit bites before the line is complete: no unbounded buffering.
  auto partial = decode("GET /" + std::string(100, 'a'), limited({.max_request_line = 64}));
  ASSERT_TRUE(partial.error);
  EXPECT_EQ(partial.error->detail, kErrRequestLineTooLong);
  // The bound counts the whole line with its CRLF: 64 octets pass, 65 do not, whole or split.
  const std::string line64 = "GET /" + std::string(48, 'a') + " HTTP/1.1\r\n";
  ASSERT_EQ(line64.size(), 64u);
  for (Split split : {Split::Whole, Split::Bytewise}) {
    auto at_bound = decode(line64 + "Host: a\r\n\r\n", limited({.max_request_line = 64}), split);
    EXPECT_FALSE(at_bound.error) << to_string(*at_bound.error);
    auto past = decode("GET /a" + line64.substr(5) + "Host: a\r\n\r\n",
                       limited({.max_request_line = 64}), split);
    ASSERT_TRUE(past.error) << to_string(split);
    EXPECT_EQ(past.error->detail, kErrRequestLineTooLong) << to_string(split);
  }

  auto e431 = decode("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(300, 'v') + "\r\n\r\n",
                     limited({.max_header_bytes = 256}));
  ASSERT_TRUE(e431.error);
  EXPECT_EQ(e431.error->code, 431u);
  EXPECT_EQ(e431.error->detail, kErrHeadersTooLarge);
  auto count = decode("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
                      limited({.max_header_count = 3}));
  ASSERT_TRUE(count.error);
  EXPECT_EQ(count.error->code, 431u);
  EXPECT_EQ(count.error->detail, kErrTooManyFields);

  auto known =
      decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", limited({.max_body = 10}));
  ASSERT_TRUE(known.error);
  EXPECT_EQ(known.error->code, 413u);
  // max_body is the largest body accepted: exactly that many octets pass, either framing.
  for (const std::string& at_bound :
       {std::string("Content-Length: 10\r\n\r\n0123456789"),
        std::string("Transfer-Encoding: chunked\r\n\r\n4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n")}) {
    auto ok = decode("POST / HTTP/1.1\r\nHost: a\r\n" + at_bound, limited({.max_body = 10}));
    EXPECT_FALSE(ok.error) << at_bound << ": " << ok.error->detail;
    EXPECT_NE(ok.trace.find("end 1"), std::string::npos) << ok.trace;
  }
  auto chunked =
      decode("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n",
             limited({.max_body = 10}));
  ASSERT_TRUE(chunked.error);
  EXPECT_EQ(chunked.error->code, 413u);
  EXPECT_EQ(chunked.error->detail, kErrBodyTooLarge);
  EXPECT_NE(chunked.trace.find("data 1 \"abcdef\""), std::string::npos);
  auto ext = decode(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=" + std::string(40, 'x'),
      limited({.max_chunk_extension = 16}));
  ASSERT_TRUE(ext.error);
  EXPECT_EQ(ext.error->detail, kErrChunkExtensionTooLong);
}

TEST(H1Decoder, ForbiddenTrailersAndIncompleteMessages) {
  auto tr = decode_request(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: "
      "5\r\n\r\n");
  ASSERT_TRUE(tr.error);
  EXPECT_EQ(tr.error->detail, kErrForbiddenTrailer);

  DecodeSetup eof;
  eof.eof = true;
  auto cut = decode("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabc", eof);
  ASSERT_TRUE(cut.error);
  EXPECT_EQ(cut.error->detail, kErrIncompleteMessage);
  auto cut_head = decode("GET / HTTP/1.1\r\nHo", eof);
  ASSERT_TRUE(cut_head.error);
  EXPECT_EQ(cut_head.error->detail, kErrIncompleteMessage);
  auto clean = decode("GET / HTTP/1.1\r\nHost: a\r\n\r\n", eof);
  EXPECT_FALSE(clean.error);
  // RFC 9112 §8: a 1xx is no response; a backend that closes after one left the request
  // unanswered (a 502, never a clean end).
  auto interim_only = decode("HTTP/1.1 100 Continue\r\n\r\n", response_to({{}}, true));
  ASSERT_TRUE(interim_only.error) << interim_only.trace;
  EXPECT_EQ(interim_only.error->detail, kErrIncompleteMessage);
  EXPECT_EQ(interim_only.error->code, 502u);
}

TEST(H1Decoder, ErrorsAreStickyAndCarryTheStreamId) {
  Decoder d(MessageKind::Request);
  RecordingSink sink;
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost a\r\n\r\n";
  auto first = d.feed(as_bytes(in), sink);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().stream_id, 2u);
  EXPECT_EQ(first.error().side, Side::Client);
  auto again = d.feed(as_bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), sink);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), first.error());
  EXPECT_TRUE(d.failed());
  // An error inside a body belongs to the message whose body it is, not to the next one.
  Decoder body(MessageKind::Request);
  auto in_body =
      body.feed(as_bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"),
                sink);
  ASSERT_FALSE(in_body);
  EXPECT_EQ(in_body.error().detail, kErrBadChunkSize);
  EXPECT_EQ(in_body.error().stream_id, 2u);
}

TEST(H1Decoder, ResponseErrorsAreBadGatewayFromTheBackend) {
  auto d = decode("HTTP/1.1 200 OK\r\n\r\n", response_to({}));
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->code, 502u);
  EXPECT_EQ(d.error->side, Side::Backend);
  EXPECT_EQ(d.error->detail, kErrUnsolicitedResponse);
  DecodeSetup reject = response_to({{}});
  reject.options.response_obs_fold = ObsFoldPolicy::Reject;
  auto fold = decode("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n", reject);
  ASSERT_TRUE(fold.error);
  EXPECT_EQ(fold.error->detail, kErrObsFold);
}

// A backend connection that always has requests outstanding: the queue of pending requests
// drops answered ones as it goes (never empties here) and still pairs each response with its
// request, in order (every third request is a HEAD, whose response has no body).
TEST(H1Decoder, PendingRequestsStayPairedWhenTheQueueNeverDrains) {
  Decoder d(MessageKind::Response);
  RecordingSink sink;
  auto is_head = [](int request) { return request % 3 == 2; };
  d.expect_response(RequestInfo{.head = is_head(0)});
  for (int i = 0; i < 200; ++i) {
    d.expect_response(RequestInfo{.head = is_head(i + 1)});
    // A HEAD response's Content-Length announces no body: "ok" would be a broken next response.
    const std::string wire = is_head(i) ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"
                                        : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    ASSERT_EQ(d.feed(as_bytes(wire), sink).value(), wire.size()) << "response " << i;
    ASSERT_EQ(sink.count(EventKind::EndOfMessage), static_cast<size_t>(i + 1)) << "response " << i;
  }
  EXPECT_EQ(sink.count(EventKind::Data), 134u);  // the 200 responses minus the 66 to HEAD
}

TEST(H1Decoder, FieldVectorIsReusedAcrossMessages) {
  Decoder d(MessageKind::Request);
  RecordingSink sink;
  std::string one = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
  std::string many;
  for (int i = 0; i < 50; ++i) many += one;
  ASSERT_EQ(d.feed(as_bytes(many), sink).value(), many.size());
  EXPECT_EQ(sink.count(EventKind::EndOfMessage), 50u);
  EXPECT_EQ(d.last_stream(), 50u);
  EXPECT_TRUE(d.idle());
}

}  // namespace
}  // namespace crossmux::codecs::h1

namespace crossmux::codecs::h1 {
namespace {

// Mutated messages: whatever the verdict, it is identical at every split, and (under ASan) no
// read strays outside the input.
std::string mutate(std::string in) {
  static const char kBytes[] = {'\r', '\n', ' ',  '\t',   ':',    ';', '"', '%',
                                '0',  'a',  '\0', '\x7f', '\x80', ',', '/'};
  int edits = *rc::gen::inRange(0, 4);
  for (int i = 0; i < edits && !in.empty(); ++i) {
    size_t at = *rc::gen::inRange<size_t>(0, in.size());
    char b = *rc::gen::elementOf(std::vector<char>(std::begin(kBytes), std::end(kBytes)));
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        in[at] = b;
        break;
      case 1:
        in.insert(in.begin() + static_cast<long>(at), b);
        break;
      default:
        in.erase(at, 1);
        break;
    }
  }
  return in;
}

void check_split_invariance(const std::string& in, const DecodeSetup& setup) {
  auto whole = decode(in, setup);
  auto split = decode(in, setup, Split::Random, *rc::gen::arbitrary<uint32_t>());
  auto bytewise = decode(in, setup, Split::Bytewise);
  RC_ASSERT(split.trace == whole.trace);
  RC_ASSERT(bytewise.trace == whole.trace);
  RC_ASSERT(split.error.has_value() == whole.error.has_value());
  if (whole.error) RC_ASSERT(*split.error == *whole.error);
}

// Mutated messages: whatever the verdict, it is identical at every split, and (under ASan) no
// read strays outside the input.
RC_GTEST_PROP(H1DecoderProperty, MutatedRequestVerdictIsSplitInvariant, ()) {
  static const std::vector<std::string> kSeeds = {
      "GET /a?b=%41 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\n5;x=\"y\"\r\nhello\r\n0\r\nT: "
      "v\r\n\r\n",
      "PUT / HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabcGET / "
      "HTTP/1.1\r\nHost: b\r\n\r\n",
      "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
  };
  DecodeSetup setup;
  setup.eof = *rc::gen::arbitrary<bool>();
  check_split_invariance(mutate(*rc::gen::elementOf(kSeeds)), setup);
}

RC_GTEST_PROP(H1DecoderProperty, MutatedResponseVerdictIsSplitInvariant, ()) {
  static const std::vector<std::string> kSeeds = {
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: a\r\n  b\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
      "HTTP/1.0 404 Not Found\r\nServer: s\r\n\r\nuntil close",
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00",
  };
  auto flags = *rc::gen::container<std::vector<bool>>(3, rc::gen::arbitrary<bool>());
  DecodeSetup setup =
      response_to({{flags[0], flags[1], flags[2]}, {}}, *rc::gen::arbitrary<bool>());
  check_split_invariance(mutate(*rc::gen::elementOf(kSeeds)), setup);
}

}  // namespace
}  // namespace crossmux::codecs::h1
