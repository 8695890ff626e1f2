// The nghttp2 oracle adapter: a client and a server session exchange a request and a response in
// memory and report the IR events our own connection must match.
#include "codecs/reference/nghttp2_adapter.h"

#include <gtest/gtest.h>

#include "codecs/h2/frame.h"
#include "codecs/message/recording_sink.h"

namespace crossmux::codecs::reference {
namespace {

// Shuttles bytes both ways until neither side has output.
void pump(Nghttp2Session& a, Nghttp2Session& b) {
  for (int i = 0; i < 50; ++i) {
    ByteBuffer ab, ba;
    a.take_output(ab);
    b.take_output(ba);
    if (ab.empty() && ba.empty()) return;
    if (!ab.empty()) {
      ASSERT_TRUE(b.feed(ab.bytes()).has_value());
    }
    if (!ba.empty()) {
      ASSERT_TRUE(a.feed(ba.bytes()).has_value());
    }
  }
  FAIL() << "sessions kept talking";
}

TEST(Nghttp2Adapter, RequestAndResponseBecomeIrEvents) {
  RecordingSink server_events, client_events;
  Nghttp2Session server(Nghttp2Session::Role::Server, server_events);
  Nghttp2Session client(Nghttp2Session::Role::Client, client_events);
  MessageHead req;
  req.method = "POST";
  req.scheme = "https";
  req.authority = "example.com";
  req.path = "/upload";
  req.headers.add_view("content-length", "5");
  int32_t id = client.submit_request(req, "hello");
  ASSERT_EQ(id, 1);
  pump(client, server);
  EXPECT_EQ(server_events.trace(),
            "head 1 request HTTP/2 POST https example.com /upload framing=known(5)\n"
            "  field \"content-length\" \"5\"\n"
            "data 1 \"hello\"\n"
            "end 1\n");
  MessageHead resp;
  resp.kind = MessageKind::Response;
  resp.status = 200;
  resp.headers.add_view("content-type", "text/plain");
  ASSERT_TRUE(server.submit_response(1, resp, "ok"));
  pump(client, server);
  EXPECT_EQ(client_events.trace(),
            "head 1 response HTTP/2 200 framing=streaming\n"
            "  field \"content-type\" \"text/plain\"\n"
            "data 1 \"ok\"\n"
            "end 1\n");
}

TEST(Nghttp2Adapter, MalformedRequestIsReset) {
  RecordingSink events;
  Nghttp2Session server(Nghttp2Session::Role::Server, events);
  // Preface, empty SETTINGS, then HEADERS(stream 1, END_STREAM|END_HEADERS) with an uppercase
  // field name: literal without indexing, new name "X-A" value "b" (RFC 9113 §8.2.1 malformed).
  std::string bytes(h2::kConnectionPreface);
  bytes += std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9);
  using namespace std::string_literals;
  std::string block =
      "\x82\x86\x84\x41\x0b"
      "example.com"
      "\x00\x03X-A\x01"
      "b"s;
  // HEADERS (END_STREAM | END_HEADERS) on stream 1 carrying the block.
  bytes += std::string("\x00\x00", 2);
  bytes += static_cast<char>(block.size());
  bytes += "\x01\x05";
  bytes += std::string("\x00\x00\x00\x01", 4);
  bytes += block;
  auto r = server.feed(as_bytes(bytes));
  ASSERT_TRUE(r.has_value());
  ByteBuffer out;
  server.take_output(out);
  EXPECT_NE(events.trace().find("reset 1 PROTOCOL_ERROR"), std::string::npos) << events.trace();
  EXPECT_EQ(events.count(EventKind::Head), 0u) << events.trace();
}

TEST(Nghttp2Adapter, BadPrefaceIsAConnectionError) {
  RecordingSink events;
  Nghttp2Session server(Nghttp2Session::Role::Server, events);
  auto r = server.feed(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(r.error().scope, Scope::Connection);
}

}  // namespace
}  // namespace crossmux::codecs::reference
