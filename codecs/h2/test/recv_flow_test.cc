// Receive-side flow control (RFC 9113 §6.9, §6.9.1, §6.9.2): what the peer may send us, counted
// per stream and per connection, and credit returned only as the application consumes.
#include <gtest/gtest.h>

#include <string>

#include "codecs/h2/h2_errors.h"
#include "codecs/h2/test/h2_test_util.h"

namespace crossmux::codecs::h2::testing {
namespace {

constexpr uint32_t kFlowControlError = 0x3;

// `n` body bytes on `sid` in DATA frames no larger than the default SETTINGS_MAX_FRAME_SIZE.
void body(Wire& w, uint32_t sid, size_t n, bool end_stream = false) {
  while (n > 0) {
    const size_t k = std::min<size_t>(n, kDefaultMaxFrameSize);
    w.data(sid, std::string(k, 'b'), end_stream && k == n);
    n -= k;
  }
}

uint32_t window_update(const Output& o, uint32_t sid) {
  uint32_t total = 0;
  for (const Frame& f : o.frames) {
    if (auto* u = std::get_if<WindowUpdateFrame>(&f.payload); u && f.header.stream_id == sid) {
      total += u->increment;
    }
  }
  return total;
}

Limits connection_window(uint32_t n) {
  Limits l;
  l.connection_window = n;
  return l;
}

// Two streams, each well inside its own window, together one octet past the connection window:
// a connection error of type FLOW_CONTROL_ERROR (RFC 9113 §6.9.1).
TEST(RecvFlow, ConnectionWindowExceededAcrossStreamsIsGoaway) {
  Server s({}, connection_window(65535));
  s.w.post(1).post(3);
  body(s.w, 1, 40000);
  body(s.w, 3, 65535 - 40000);  // exactly the connection window: still fine
  s.send();
  ASSERT_EQ(s.error, std::nullopt);
  Output o = s.out();
  EXPECT_EQ(o.goaway_code(), std::nullopt);
  EXPECT_EQ(o.count(FrameType::WindowUpdate), 0u);  // nothing consumed, nothing returned
  s.w.data(3, "x", false);
  s.expect_conn_error(kFlowControlError);
  EXPECT_NE(s.sink.trace().find(kConnWindowExceeded), std::string::npos) << s.sink.trace();
}

// One stream one octet past its window, the connection window far away: RST_STREAM
// FLOW_CONTROL_ERROR on that stream only; the connection serves the next request.
TEST(RecvFlow, StreamWindowExceededIsRstStream) {
  Server s({}, connection_window(1u << 20));
  s.w.post(1);
  body(s.w, 1, 65535);
  s.send();
  ASSERT_EQ(s.error, std::nullopt);
  EXPECT_EQ(s.out().rst_code(1), std::nullopt);
  s.w.data(1, "x", false);
  s.expect_stream_error(1, kFlowControlError);
  EXPECT_STREQ(s.c.last_stream_error().detail, kStreamWindowExceeded);
  s.w.get(3);
  s.send();
  EXPECT_NE(s.sink.trace().find("head 3 request"), std::string::npos) << s.sink.trace();
}

// A smaller SETTINGS_INITIAL_WINDOW_SIZE binds the peer once it acknowledged it (RFC 9113 §6.9.2,
// §6.5.3); before that, the peer may still use the old 65535.
TEST(RecvFlow, SmallerInitialWindowBindsOnceAcknowledged) {
  Settings small;
  small.initial_window_size = 1000;
  Server acked(small, connection_window(1u << 20));
  acked.w.post(1);
  body(acked.w, 1, 1000);
  acked.send();
  ASSERT_EQ(acked.error, std::nullopt);
  EXPECT_EQ(acked.out().rst_code(1), std::nullopt);
  acked.w.data(1, "x", false);
  acked.expect_stream_error(1, kFlowControlError);

  RecordingSink sink;
  Connection c(Role::Server, sink, small, connection_window(1u << 20));
  Wire w;
  w.magic().settings().post(1);
  body(w, 1, 5000);  // our SETTINGS is not acknowledged yet: 65535 still applies
  ASSERT_EQ(feed_all(c, w.str()), std::nullopt);
  EXPECT_EQ(read_output(drain(c)).rst_code(1), std::nullopt);
  Wire ack;
  ack.settings_ack().data(1, "x", false);  // now the window is 1000 - 5000
  ASSERT_EQ(feed_all(c, ack.str()), std::nullopt);
  EXPECT_EQ(read_output(drain(c)).rst_code(1), kFlowControlError);
}

// Credit goes back only for bytes the application consumed, in one WINDOW_UPDATE per window once
// half of it is owed (RFC 9113 §6.9: the receiver decides when); the peer may then send that much
// more, and not one octet beyond what was returned.
TEST(RecvFlow, CreditComesBackOnlyAsTheApplicationConsumes) {
  Server s({}, connection_window(65535));
  s.w.post(1);
  body(s.w, 1, 60000);
  s.send();
  EXPECT_EQ(s.out().count(FrameType::WindowUpdate), 0u);
  s.c.consume(1, 60000);
  Output o = s.out();
  EXPECT_EQ(window_update(o, 0), 60000u);
  EXPECT_EQ(window_update(o, 1), 60000u);
  body(s.w, 1, 60000);  // the returned credit, used again
  s.send();
  ASSERT_EQ(s.error, std::nullopt);
  s.c.consume(1, 10000);  // under half the window owed, and 5535 left: nothing due yet
  EXPECT_EQ(s.out().count(FrameType::WindowUpdate), 0u);
  body(s.w, 1, 5536);  // one octet past what is left of both windows
  s.expect_conn_error(kFlowControlError);
}

// A stream we reset gives its unconsumed bytes back to the connection window, and DATA still in
// flight to it counts against the connection window and is credited at once (RFC 9113 §6.9).
TEST(RecvFlow, ResetStreamReturnsItsCreditToTheConnection) {
  Server s({}, connection_window(65535));
  s.w.post(1).post(3);
  body(s.w, 1, 40000);
  s.send();
  s.c.reset(1, H2Code::Cancel);
  Output o = s.out();
  EXPECT_EQ(o.rst_code(1), 0x8u);
  EXPECT_EQ(window_update(o, 0), 40000u);
  body(s.w, 1, 20000);  // in flight when we reset: ignored, but charged and returned
  body(s.w, 3, 65535 - 20000);
  s.send();
  EXPECT_EQ(s.error, std::nullopt);
  Output after = s.out();
  EXPECT_EQ(after.goaway_code(), std::nullopt);
  // RFC 9113 §5.1: frames on a stream after our RST_STREAM are ignored, not answered again.
  EXPECT_EQ(after.count(FrameType::RstStream), 0u);
}

// Padding is flow-controlled (RFC 9113 §6.1): a padded frame charges its whole payload; the
// padding never reaches the application and is credited at once.
TEST(RecvFlow, PaddingCountsAgainstTheWindow) {
  Settings small;
  small.initial_window_size = 300;
  Server s(small, connection_window(1u << 20));
  s.w.post(1);
  // 1 (pad length) + 44 data + 255 padding = the whole 300-octet window.
  write_data_padded(s.w.buf, 1, as_bytes(std::string(44, 'p')), false, 255);
  s.send();
  ASSERT_EQ(s.error, std::nullopt);
  Output o = s.out();
  EXPECT_EQ(o.rst_code(1), std::nullopt);
  EXPECT_EQ(window_update(o, 1), 256u);  // the padding, returned; the data stays unconsumed
  s.w.data(1, std::string(257, 'q'), false);
  s.expect_stream_error(1, kFlowControlError);
}

}  // namespace
}  // namespace crossmux::codecs::h2::testing

namespace crossmux::codecs::h2::testing {
namespace {

// consume() for bytes of a stream that is gone (reset by us, or never opened) returns nothing
// for that stream (its credit went back to the connection when it closed), and after a
// connection error nothing more is written at all.
TEST(RecvFlow, ConsumingForAGoneStreamOrAFailedConnectionWritesNothing) {
  Server s({}, connection_window(65535));
  s.w.post(1).post(3);
  body(s.w, 1, 40000);
  body(s.w, 3, 20000);
  s.send();
  s.c.reset(1, H2Code::Cancel);
  EXPECT_EQ(window_update(s.out(), 0), 40000u);
  s.c.consume(1, 40000);
  s.c.consume(99, 100);
  EXPECT_EQ(s.out().count(FrameType::WindowUpdate), 0u);
  // Stream 3 is open with 20000 octets unconsumed; the peer overruns the connection window
  // (45535 octets left of it: a connection error), then the application consumes them.
  body(s.w, 3, 65535);
  s.send();
  ASSERT_NE(s.error, std::nullopt);
  EXPECT_NE(s.out().goaway_code(), std::nullopt);
  s.c.consume(3, 20000);
  EXPECT_EQ(s.out().frames.size(), 0u);
}

}  // namespace
}  // namespace crossmux::codecs::h2::testing
