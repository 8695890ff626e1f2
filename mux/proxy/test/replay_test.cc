// The request replay buffer: a request written to a backend is kept until the first response
// byte, written again byte for byte on a new connection, never credited twice to the client, and
// given up past kReplayCap.
#include <gtest/gtest.h>

#include <string>

#include "codecs/message/events.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/codec.h"
#include "mux/proxy/legs/pump.h"

namespace crossmux::mux::proxy {
namespace {

struct NullSink : codecs::EventSink {
  void on_head(codecs::StreamId, codecs::MessageHead&) override {}
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

Half request(size_t body_size) {
  Half h;
  codecs::MessageHead head;
  head.method = "PUT";
  head.authority = "a.test";
  head.path = "/up";
  head.framing = codecs::Framing::KnownLength;
  head.content_length = body_size;
  head.headers.add_view("x-id", "7");
  h.take_head(head);
  h.head_ready = true;
  h.replay = true;
  return h;
}

// Pumps `h` into a new HTTP/1.1 backend codec until it is all written (or nothing moves); returns
// the wire bytes and the body bytes pump() reported as newly moved.
std::string write_all(Half& h, size_t& credited) {
  NullSink sink;
  auto codec = make_h1_client(sink, CodecLimits{});
  std::string wire;
  codecs::StreamId stream = 0;
  credited = 0;
  for (int i = 0; i < 100 && !h.end_sent; ++i) {
    auto r = pump(h, *codec, stream);
    EXPECT_TRUE(r.has_value());
    if (!r) break;
    credited += *r;
    codecs::ByteBuffer out;
    codec->take_output(out);
    wire += std::string(codecs::as_chars(out.bytes()));
  }
  return wire;
}

TEST(Replay, RewoundRequestIsWrittenAgainByteForByteAndCreditedOnce) {
  Half h = request(11);
  h.append(codecs::as_bytes(std::string_view("hello world")));
  h.end_received = true;
  size_t credited = 0;
  const std::string first = write_all(h, credited);
  EXPECT_EQ(credited, 11u);
  EXPECT_NE(first.find("PUT /up HTTP/1.1\r\n"), std::string::npos);
  EXPECT_TRUE(first.ends_with("\r\n\r\nhello world")) << first;
  EXPECT_TRUE(h.replayable());
  EXPECT_EQ(h.held(), 11u) << "written bytes stay held (and count against kQueueCap)";

  ASSERT_TRUE(h.rewind());
  const std::string second = write_all(h, credited);
  EXPECT_EQ(second, first);
  EXPECT_EQ(credited, 0u) << "replayed bytes were already credited to the client";
}

TEST(Replay, ARequestPastTheCapIsNotReplayable) {
  const size_t n = kReplayCap + 4096;
  Half h = request(n);
  h.append(codecs::as_bytes(std::string(n, 'x')));
  h.end_received = true;
  size_t credited = 0;
  (void)write_all(h, credited);
  EXPECT_EQ(credited, n);
  EXPECT_TRUE(h.end_sent);
  EXPECT_FALSE(h.replay);
  EXPECT_FALSE(h.replayable());
  EXPECT_EQ(h.held(), 0u) << "the replay copy is given back";
  EXPECT_FALSE(h.rewind());
}

TEST(Replay, TheFirstResponseByteEndsReplayability) {
  Half h = request(5);
  h.append(codecs::as_bytes(std::string_view("abcde")));
  h.end_received = true;
  size_t credited = 0;
  (void)write_all(h, credited);
  h.release_replay();
  EXPECT_FALSE(h.replayable());
  EXPECT_EQ(h.held(), 0u);
  EXPECT_FALSE(h.rewind());
}

TEST(Replay, HeldBytesPauseTheReaderAtTheQueueCap) {
  Half h = request(kQueueCap);
  h.append(codecs::as_bytes(std::string(kReplayCap, 'x')));
  size_t credited = 0;
  (void)write_all(h, credited);
  EXPECT_EQ(h.queued(), 0u);
  EXPECT_EQ(h.held(), kReplayCap);
  h.append(codecs::as_bytes(std::string(kQueueCap - kReplayCap, 'y')));
  EXPECT_TRUE(h.full(/*in_order=*/false)) << "kept replay bytes count against the per-exchange cap";
}

}  // namespace
}  // namespace crossmux::mux::proxy
