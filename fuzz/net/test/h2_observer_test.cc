// H2Observer: each rule of RFC 9113 it checks in a server's output, with a server that keeps it
// and one that breaks it, and the fates it gives request streams.
#include "fuzz/net/h2_observer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/encoder.h"
#include "fuzz/net/net_case.h"

namespace crossmux::fuzz::net {
namespace {

namespace h2 = codecs::h2;
namespace hpack = codecs::hpack;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One side's frames, header blocks from its own HPACK encoder.
class Writer {
 public:
  Writer& settings(std::vector<h2::SettingsEntry> e = {}) {
    h2::write_settings(b_, e.data(), e.size());
    return *this;
  }
  Writer& ack() {
    h2::write_settings_ack(b_);
    return *this;
  }
  Writer& headers(uint32_t id, std::vector<hpack::Field> fields, bool end_stream) {
    codecs::ByteBuffer block;
    enc_.encode(fields, block);
    h2::HeadersFrame h;
    h.block = block.bytes();
    h.end_stream = end_stream;
    h.end_headers = true;
    h2::write_headers(b_, id, h);
    return *this;
  }
  Writer& get(uint32_t id, std::string_view method = "GET") {
    return headers(
        id, {{":method", method}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}}, true);
  }
  Writer& response(uint32_t id, std::string_view status, bool end_stream,
                   std::vector<hpack::Field> extra = {}) {
    std::vector<hpack::Field> f{{":status", status}};
    f.insert(f.end(), extra.begin(), extra.end());
    return headers(id, f, end_stream);
  }
  Writer& data(uint32_t id, std::string_view body, bool end_stream) {
    h2::write_data(b_, id, codecs::as_bytes(body), end_stream);
    return *this;
  }
  Writer& rst(uint32_t id, uint32_t code) {
    h2::write_rst_stream(b_, id, code);
    return *this;
  }
  Writer& goaway(uint32_t last, uint32_t code) {
    h2::write_goaway(b_, last, code, {});
    return *this;
  }
  Writer& ping(std::array<uint8_t, 8> opaque, bool ack) {
    h2::write_ping(b_, ack, opaque);
    return *this;
  }
  Writer& window_update(uint32_t id, uint32_t inc) {
    h2::write_window_update(b_, id, inc);
    return *this;
  }
  std::string take() {
    std::string s(b_.view());
    b_.clear();
    return s;
  }

 private:
  codecs::ByteBuffer b_;
  hpack::Encoder enc_;
};

constexpr std::array<uint8_t, 8> kMarker{'m', 'a', 'r', 'k', 'e', 'r', '!', '!'};

struct Conn {
  H2Observer obs;
  Writer client, server;
  Conn() { obs.sent(std::string(kH2ClientPreface) + client.settings().take()); }
  void send() { obs.sent(client.take()); }
  void answer() { obs.received(server.take()); }
  std::vector<std::string> rules() const {
    std::vector<std::string> r;
    for (const auto& v : obs.violations()) r.push_back(v.rule);
    return r;
  }
};

TEST(H2Observer, ACorrectExchangeSettlesWithoutViolations) {
  Conn c;
  c.client.get(1).ping(kMarker, false);
  c.send();
  c.server.settings({{3, 100}}).ack().response(1, "200", false, {{"content-length", "5"}});
  c.server.data(1, "hello", true).ping(kMarker, true);
  EXPECT_FALSE(c.obs.settled(kMarker));
  c.answer();
  EXPECT_THAT(c.rules(), IsEmpty());
  EXPECT_TRUE(c.obs.settled(kMarker));
  auto s = c.obs.streams();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].fate, Fate::Answered);
  EXPECT_EQ(s[0].status, 200);
  EXPECT_TRUE(s[0].response_complete);
  EXPECT_TRUE(s[0].owed);
  EXPECT_EQ(s[0].request[0], (std::pair<std::string, std::string>{":method", "GET"}));
  // A well-behaved client acknowledges the server's SETTINGS and returns DATA credit.
  auto service = split_units(Proto::H2, c.obs.take_service());
  ASSERT_EQ(service.size(), 2u);
  EXPECT_EQ(describe_unit(Proto::H2, service[0]), "SETTINGS stream=0 flags=ACK length=0");
  EXPECT_EQ(describe_unit(Proto::H2, service[1]), "WINDOW_UPDATE stream=0 length=4");
}

TEST(H2Observer, AnOwedStreamWithoutAnswerIsUnanswered) {
  Conn c;
  c.client.get(1).get(3).headers(5, {{":method", "POST"}}, false).ping(kMarker, false);
  c.send();
  c.server.settings().response(3, "404", true).ping(kMarker, true);
  c.answer();
  EXPECT_THAT(c.obs.unanswered(), ElementsAre(1u));  // 5 never ended: not owed
  EXPECT_FALSE(c.obs.settled(kMarker));
  c.server.rst(1, 2);
  c.answer();
  EXPECT_THAT(c.obs.unanswered(), IsEmpty());
  EXPECT_TRUE(c.obs.settled(kMarker));
  auto s = c.obs.streams();
  EXPECT_EQ(s[0].fate, Fate::Reset);
  EXPECT_EQ(s[1].fate, Fate::Answered);
  EXPECT_EQ(s[2].fate, Fate::Pending);
}

TEST(H2Observer, GoawayRefusesStreamsAboveItsLastIdAndAnErrorEndsTheExchange) {
  Conn c;
  c.client.get(1).get(3);
  c.send();
  c.server.settings().goaway(1, 0);
  c.answer();
  EXPECT_THAT(c.obs.unanswered(), ElementsAre(1u));
  EXPECT_EQ(c.obs.streams()[1].fate, Fate::Refused);
  c.server.goaway(1, 1);
  c.answer();
  EXPECT_TRUE(c.obs.settled(kMarker));
  EXPECT_EQ(c.obs.streams()[0].fate, Fate::ConnectionError);
  EXPECT_THAT(c.rules(), IsEmpty());
}

TEST(H2Observer, StreamsWeOpenedBadlyAreNotOwed) {
  Conn c;
  c.client.get(3).get(1).get(4);  // 1 after 3, and an even id: connection errors
  c.send();
  c.server.settings().ping(kMarker, true);
  c.answer();
  EXPECT_THAT(c.obs.unanswered(), ElementsAre(3u));
}

TEST(H2Observer, ARequestIsCompleteOnlyWithItsWholeHeaderBlock) {
  Conn c;
  codecs::ByteBuffer b;
  h2::HeadersFrame h;
  const std::string block = "\x82\x86\x84";
  h.block = codecs::as_bytes(block);
  h.end_stream = true;  // END_STREAM, but the block waits for a CONTINUATION
  h2::write_headers(b, 1, h);
  c.obs.sent(b.view());
  c.server.settings().ping(kMarker, true);
  c.answer();
  EXPECT_THAT(c.obs.unanswered(), IsEmpty());
  b.clear();
  h2::write_continuation(b, 1, {}, true);
  c.obs.sent(b.view());
  EXPECT_THAT(c.obs.unanswered(), ElementsAre(1u));
}

TEST(H2Observer, AMarkerInsideAnUnfinishedFrameIsNotOwed) {
  Conn c;
  // A DATA header announcing 100 octets, then only the marker PING: the server reads the PING
  // as DATA payload and waits for the rest.
  c.obs.sent(std::string("\x00\x00\x64\x00\x00\x00\x00\x00\x01", 9));
  c.client.ping(kMarker, false);
  c.send();
  EXPECT_FALSE(c.obs.sent_whole_frames());
  EXPECT_TRUE(c.obs.settled(kMarker));
  Conn d;
  d.client.ping(kMarker, false);
  d.send();
  EXPECT_TRUE(d.obs.sent_whole_frames());
  EXPECT_FALSE(d.obs.settled(kMarker));
}

TEST(H2Observer, FirstFrameMustBeSettings) {
  Conn c;
  c.client.get(1);
  c.send();
  c.server.response(1, "200", true).settings();
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("preface-not-settings"));
}

TEST(H2Observer, FramesOnStreamsTheClientNeverOpened) {
  Conn c;
  c.client.get(1);
  c.send();
  c.server.settings().response(3, "200", true);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("frame-on-idle-stream"));
  EXPECT_THAT(c.obs.violations()[0].detail, HasSubstr("HEADERS on stream 3"));
  Conn d;
  d.server.settings().rst(7, 8);
  d.answer();
  EXPECT_THAT(d.rules(), ElementsAre("rst-on-idle-stream"));
  // A HEADERS frame still arriving names its stream: nghttpd resets it (and nginx answers it)
  // from the part of the header block it read, before the frame is complete.
  Conn e;
  e.obs.sent(std::string("\x00\x00\x1f\x01\x00\x00\x00\x00\x03\x82", 10));
  e.server.settings().rst(3, 9);
  e.answer();
  EXPECT_THAT(e.rules(), IsEmpty());
  Conn f;
  f.obs.sent(std::string("\xff\xff\xfe\x01\x00\x00\x00\x00\x01\x42", 10));
  f.server.settings().response(1, "400", true);
  f.answer();
  EXPECT_THAT(f.rules(), IsEmpty());
}

TEST(H2Observer, NothingAfterTheServerEndedOrResetAStream) {
  Conn c;
  c.client.get(1).get(3);
  c.send();
  c.server.settings().response(1, "204", true).data(1, "x", false);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("frame-after-stream-end"));
  Conn d;
  d.client.get(1);
  d.send();
  d.server.settings().rst(1, 8).response(1, "200", true);
  d.answer();
  EXPECT_THAT(d.rules(), ElementsAre("frame-after-stream-end"));
}

TEST(H2Observer, FramesInFlightAfterOurResetAreNotHeldAgainstTheServer) {
  Conn c;
  c.client.get(1).rst(1, 8);
  c.send();
  c.server.settings().response(1, "200", false).data(1, "late", true);
  c.answer();
  EXPECT_THAT(c.rules(), IsEmpty());
}

TEST(H2Observer, DataBeyondTheWindowsTheClientGranted) {
  Conn c;
  c.client.get(1);
  c.send();
  const std::string chunk(16384, 'x');
  c.server.settings().response(1, "200", false);
  for (int i = 0; i < 3; ++i) c.server.data(1, chunk, false);
  c.server.data(1, chunk.substr(1), false);
  c.answer();
  EXPECT_THAT(c.rules(), IsEmpty());  // exactly 65535 octets
  c.server.data(1, "yy", true);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("connection-window-exceeded", "stream-window-exceeded"));

  Conn d;  // the same amount, with credit granted, is fine
  d.client.get(1);
  d.send();
  d.server.settings().response(1, "200", false);
  for (int i = 0; i < 3; ++i) d.server.data(1, chunk, false);
  d.server.data(1, chunk.substr(1), false);
  d.answer();
  d.obs.sent(d.obs.take_service());
  d.server.data(1, "yy", true);
  d.answer();
  EXPECT_THAT(d.rules(), IsEmpty());
}

TEST(H2Observer, AStreamWindowTheClientShrankIsHonoured) {
  Conn c;
  c.client.settings({{4, 10}}).get(1);
  c.send();
  c.server.settings().ack().ack().response(1, "200", false);
  c.answer();
  // The client tops a small window up to 65535 when the response head arrives.
  auto service = split_units(Proto::H2, c.obs.take_service());
  ASSERT_EQ(service.size(), 2u);
  EXPECT_EQ(describe_unit(Proto::H2, service[1]), "WINDOW_UPDATE stream=1 length=4");
  c.server.data(1, std::string(11, 'x'), true);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("stream-window-exceeded"));
}

TEST(H2Observer, ResponseHeadsAndBodiesFollowHttpSemantics) {
  Conn c;
  c.client.get(1).get(3).get(5).get(7, "HEAD").get(9);
  c.send();
  c.server.settings();
  c.server.headers(1, {{":status", "200"}, {"X-Upper", "a"}}, true);
  c.server.response(3, "200", false, {{"content-length", "3"}}).data(3, "ab", true);
  c.server.data(5, "early", false);
  c.server.response(7, "200", false, {{"content-length", "3"}}).data(7, "abc", true);
  c.server.response(9, "103", true);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("response-malformed", "content-length-mismatch",
                                     "data-before-response", "body-in-bodiless-response"));
  // A request with two :method fields is malformed, its method unknown: a 400 page is no body
  // on a HEAD.
  Conn d;
  d.client.headers(
      1, {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":method", "HEAD"}}, true);
  d.send();
  d.server.settings().response(1, "400", false, {{"content-length", "3"}}).data(1, "bad", true);
  d.answer();
  EXPECT_THAT(d.rules(), IsEmpty());
}

TEST(H2Observer, TrailersMustEndTheStreamAndCarryNoPseudoHeaders) {
  Conn c;
  c.client.get(1);
  c.send();
  c.server.settings().response(1, "200", false).headers(1, {{":status", "200"}}, true);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("trailers-malformed"));
}

TEST(H2Observer, SettingsFromTheServer) {
  Conn c;
  c.server.settings({{2, 1}, {4, 0x80000000u}}).ack().ack();
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("settings-enable-push-from-server", "settings-invalid",
                                     "settings-ack-unsolicited"));
}

TEST(H2Observer, GoawayLastStreamIdMustNotIncrease) {
  Conn c;
  c.client.get(1).get(3);
  c.send();
  c.server.settings().goaway(1, 0).goaway(3, 0);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("goaway-id-increased"));
}

TEST(H2Observer, AHeaderTableShrinkMustBeSignalledOnceAcknowledged) {
  // The server's encoder may keep its table until it acknowledges HEADER_TABLE_SIZE 0, and must
  // start its next block with a size update after that (RFC 7541 §4.2).
  Conn c;
  c.client.settings({{1, 0}}).get(1).get(3);
  c.send();
  c.server.settings().response(1, "200", true, {{"x-long-field-name", "value"}});
  c.server.ack().ack().response(3, "200", true, {{"x-long-field-name", "value"}});
  c.answer();
  ASSERT_THAT(c.rules(), ElementsAre("hpack-invalid"));
  EXPECT_THAT(c.obs.violations()[0].detail, HasSubstr("stream 3"));
}

TEST(H2Observer, HeaderBlocksMayNotBeInterleaved) {
  Conn c;
  c.client.get(1);
  c.send();
  codecs::ByteBuffer b;
  h2::write_settings(b, nullptr, 0);
  h2::HeadersFrame h;
  const std::string block = "\x88";  // :status 200
  h.block = codecs::as_bytes(block);
  h.end_stream = true;
  h2::write_headers(b, 1, h);  // no END_HEADERS
  h2::write_ping(b, false, kMarker);
  c.obs.received(b.view());
  EXPECT_THAT(c.rules(), ElementsAre("header-block-interleaved"));
}

TEST(H2Observer, OversizedFramesAreInvalid) {
  Conn c;
  c.client.get(1);
  c.send();
  c.server.settings().response(1, "200", false).data(1, std::string(16385, 'x'), true);
  c.answer();
  EXPECT_THAT(c.rules(), ElementsAre("frame-invalid"));
  Conn d;  // allowed once the client announced a larger SETTINGS_MAX_FRAME_SIZE
  d.client.settings({{5, 32768}}).get(1);
  d.send();
  d.server.settings().ack().ack().response(1, "200", false);
  d.server.data(1, std::string(16385, 'x'), true);
  d.answer();
  EXPECT_THAT(d.rules(), IsEmpty());
}

TEST(H2Observer, AServerAnsweringWithoutTheClientPrefaceIsNotJudged) {
  H2Observer obs;
  obs.sent("GET / HTTP/1.1\r\n\r\n");
  obs.received("HTTP/1.1 400 Bad Request\r\n\r\n");
  EXPECT_THAT(obs.violations(), IsEmpty());
}

}  // namespace
}  // namespace crossmux::fuzz::net
