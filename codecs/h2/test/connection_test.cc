// Connection basics: handshake, request/response both roles, split-feed invariance, back to back.
#include <gtest/gtest.h>

#include <array>
#include <numeric>

#include "codecs/h2/h2_errors.h"
#include "codecs/testing/split_feed.h"
#include "h2_test_util.h"

namespace crossmux::codecs::h2 {
namespace {

using testing::App;
using testing::Output;
using testing::read_output;
using testing::Wire;

TEST(Connection, ServerHandshake) {
  RecordingSink sink;
  Connection c(Role::Server, sink);
  Output first = read_output(testing::drain(c));
  ASSERT_GE(first.frames.size(), 1u);
  EXPECT_EQ(first.frames[0].header.type, static_cast<uint8_t>(FrameType::Settings));
  EXPECT_TRUE(c.deadline(DeadlineKind::SettingsAck).armed);
  Wire w;
  w.client_handshake();
  ASSERT_FALSE(testing::feed_all(c, w.str()));
  Output o = read_output(testing::drain(c));
  ASSERT_EQ(o.count(FrameType::Settings), 1u);
  EXPECT_TRUE(std::get<SettingsFrame>(o.frames[0].payload).ack);
  EXPECT_FALSE(c.deadline(DeadlineKind::SettingsAck).armed);
}

TEST(Connection, BadPrefaceIsProtocolError) {
  RecordingSink sink;
  Connection c(Role::Server, sink);
  Result<size_t> r = c.feed(as_bytes("PRI * HTTP/1.1\r\n"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail, kBadPreface);
  EXPECT_EQ(sink.count(EventKind::ConnectionError), 1u);
  EXPECT_EQ(read_output(testing::drain(c)).goaway_code(), 1u);
}

TEST(Connection, FirstFrameMustBeSettings) {
  RecordingSink sink;
  Connection c(Role::Server, sink);
  Wire w;
  w.magic().raw(6, 0, 0, std::string(8, '\0'));
  Result<size_t> r = c.feed(w.buf.bytes());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail, kFirstFrameNotSettings);
}

// RFC 9113 §3.4: the preface's SETTINGS is the peer's own settings, never an acknowledgement of
// ours; a SETTINGS ACK in its place is an invalid preface (PROTOCOL_ERROR), for either role.
TEST(Connection, SettingsAckIsNotAPreface) {
  for (Role role : {Role::Server, Role::Client}) {
    RecordingSink sink;
    Connection c(role, sink);
    Wire w;
    if (role == Role::Server) w.magic();
    w.settings_ack();
    Result<size_t> r = c.feed(w.buf.bytes());
    ASSERT_FALSE(r.has_value()) << to_string(role);
    EXPECT_EQ(r.error().detail, kFirstFrameNotSettings);
    EXPECT_EQ(read_output(testing::drain(c), role == Role::Client).goaway_code(), 1u);
  }
}

TEST(Connection, SettingsAckTimeout) {
  RecordingSink sink;
  Connection c(Role::Server, sink);
  Deadline d = c.deadline(DeadlineKind::SettingsAck);
  c.on_timeout(DeadlineKind::SettingsAck, d.serial + 1);  // stale: ignored
  EXPECT_FALSE(c.failed());
  c.on_timeout(DeadlineKind::SettingsAck, d.serial);
  EXPECT_TRUE(c.failed());
  EXPECT_EQ(read_output(testing::drain(c)).goaway_code(), 4u);  // SETTINGS_TIMEOUT
}

// A client byte stream exercising CONTINUATION, padding, trailers, PING, WINDOW_UPDATE, unknown
// frames and a second stream.
std::string rich_client_stream() {
  Wire w;
  w.client_handshake();
  std::string block = w.block({{":method", "POST"},
                               {":scheme", "https"},
                               {":authority", "example.com"},
                               {":path", "/upload?x=1"},
                               {"content-length", "11"},
                               {"cookie", "a=1"},
                               {"cookie", "b=2"},
                               {"user-agent", "test"}});
  w.headers(1, block.substr(0, 5), false, false);
  w.raw(9, 0, 1, block.substr(5, 7));
  w.raw(9, kFlagEndHeaders, 1, block.substr(12));
  w.raw(0x20, 0xff, 0, "unknown");
  write_data_padded(w.buf, 1, as_bytes("hello "), false, 10);
  w.raw(6, 0, 0, "12345678");
  w.raw(8, 0, 0, testing::u32(1000));
  w.get(3);
  w.data(1, "world", false);
  w.headers(1, w.block({{"x-checksum", "abc"}}), true);
  return w.str();
}

TEST(Connection, SplitFeedGivesIdenticalTraces) {
  std::string input = rich_client_stream();
  std::string expected_trace, expected_out;
  for (auto mode : {codecs::testing::Split::Whole, codecs::testing::Split::Bytewise,
                    codecs::testing::Split::Random}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      RecordingSink sink;
      Connection c(Role::Server, sink);
      std::string rest = codecs::testing::feed_split(input, mode, seed, [&](Bytes b) -> size_t {
        Result<size_t> r = c.feed(b);
        return r ? *r : SIZE_MAX;
      });
      EXPECT_TRUE(rest.empty());
      EXPECT_FALSE(c.failed());
      std::string out = testing::drain(c);
      if (expected_trace.empty()) {
        expected_trace = sink.trace();
        expected_out = out;
        continue;
      }
      EXPECT_EQ(sink.trace(), expected_trace) << to_string(mode) << " seed " << seed;
      EXPECT_EQ(out, expected_out) << to_string(mode);
    }
  }
  EXPECT_NE(expected_trace.find("field \"cookie\" \"a=1\""), std::string::npos) << expected_trace;
  EXPECT_NE(expected_trace.find("field \"cookie\" \"b=2\""), std::string::npos);
  EXPECT_NE(expected_trace.find("data 1 \"hello \""), std::string::npos) << expected_trace;
  EXPECT_NE(expected_trace.find("data 1 \"world\""), std::string::npos);
  EXPECT_NE(expected_trace.find("trailers 1"), std::string::npos);
  EXPECT_NE(expected_trace.find("end 3"), std::string::npos);
}

TEST(Connection, PingIsAcknowledgedWithSamePayload) {
  RecordingSink sink;
  Connection c(Role::Server, sink);
  testing::drain(c);
  Wire w;
  w.client_handshake().raw(6, 0, 0, std::string("h2spec\0\0", 8));
  ASSERT_FALSE(testing::feed_all(c, w.str()));
  Output o = read_output(testing::drain(c));
  bool seen = false;
  for (const Frame& f : o.frames) {
    if (auto* p = std::get_if<PingFrame>(&f.payload)) {
      EXPECT_TRUE(p->ack);
      EXPECT_EQ(std::string(p->opaque.begin(), p->opaque.end()), std::string("h2spec\0\0", 8));
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

struct Pair {
  App client_app, server_app;
  Connection client, server;
  explicit Pair(Settings cs = {}, Settings ss = {}, Limits cl = {}, Limits sl = {})
      : client(Role::Client, client_app, cs, cl), server(Role::Server, server_app, ss, sl) {
    client_app.conn = &client;
    server_app.conn = &server;
  }
  StreamId get(std::string path) {
    MessageHead h;
    h.method = "GET";
    h.scheme = "https";
    h.authority = "example.com";
    h.path = path;
    Result<StreamId> id = client.submit_headers(0, h, true);
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  }
  // A POST whose body streams (no Content-Length), opened by the client.
  StreamId open_upload() {
    MessageHead h;
    h.method = "POST";
    h.scheme = "https";
    h.authority = "example.com";
    h.path = "/up";
    h.framing = Framing::Streaming;
    Result<StreamId> id = client.submit_headers(0, h, false);
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  }
};

TEST(Connection, BackToBackManyStreamsLargeBodies) {
  Pair p;
  std::vector<StreamId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(p.get("/size/" + std::to_string(50000 + i * 997)));
  ASSERT_TRUE(testing::pump(p.client, p.server));
  for (size_t i = 0; i < ids.size(); ++i) {
    std::string body = p.client_app.bodies[ids[i]];
    ASSERT_EQ(body.size(), 50000 + i * 997) << ids[i];
    EXPECT_EQ(body[26], 'a');
  }
  EXPECT_EQ(p.client.stream_count(), 0u);
  EXPECT_EQ(p.server.stream_count(), 0u);
}

TEST(Connection, BackToBackTinyWindowsAndFrameSize) {
  Settings cs;
  cs.initial_window_size = 100;
  cs.header_table_size = 0;
  Limits cl;
  cl.connection_window = 65535;
  Pair p(cs, {}, cl, {});
  StreamId a = p.get("/size/70000");
  StreamId b = p.get("/size/3");
  ASSERT_TRUE(testing::pump(p.client, p.server));
  EXPECT_EQ(p.client_app.bodies[a].size(), 70000u);
  EXPECT_EQ(p.client_app.bodies[b], "abc");
}

TEST(Connection, BackToBackPostEchoWithTrailers) {
  Pair p;
  p.server_app.trailers = true;
  MessageHead h;
  h.method = "POST";
  h.scheme = "https";
  h.authority = "example.com";
  h.path = "/echo";
  h.framing = Framing::KnownLength;
  h.content_length = 200000;
  Result<StreamId> id = p.client.submit_headers(0, h, false);
  ASSERT_TRUE(id.has_value());
  std::string body(200000, 'q');
  ASSERT_TRUE(p.client.submit_data(*id, as_bytes(body), true).has_value());
  ASSERT_TRUE(testing::pump(p.client, p.server));
  EXPECT_EQ(p.server_app.bodies[*id].size(), 200000u);
  EXPECT_EQ(p.client_app.bodies[*id], body);
  EXPECT_NE(p.client_app.trace().find("field \"grpc-status\" \"0\""), std::string::npos);
  EXPECT_NE(p.server_app.trace().find("framing=known(200000)"), std::string::npos)
      << p.server_app.trace().substr(0, 300);
}

// submit_data(ByteBuffer&) takes the bytes' storage when nothing is queued for the stream (the
// proxy's body path: no copy between the exchange and the stream queue) and appends otherwise;
// either way the peer receives every byte, in order.
TEST(Connection, SubmitDataTakesStorageIntoAnEmptyQueue) {
  Pair p;
  const StreamId id = p.open_upload();
  ASSERT_NE(id, 0u);
  ByteBuffer first;
  first.append(std::string_view("first-"));
  const size_t capacity = first.capacity();
  ASSERT_TRUE(p.client.submit_data(id, first, false).has_value());
  EXPECT_TRUE(first.empty());
  EXPECT_NE(first.capacity(), capacity) << "the bytes were copied, not their storage taken";
  ByteBuffer second;
  second.append(std::string_view("second"));
  const size_t second_capacity = second.capacity();
  ASSERT_TRUE(p.client.submit_data(id, second, true).has_value());
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(second.capacity(), second_capacity) << "a non-empty queue is appended to";
  ASSERT_TRUE(testing::pump(p.client, p.server));
  EXPECT_EQ(p.server_app.bodies[id], "first-second");
}

// take_output(ByteChain&): a DATA frame that carries a stream's whole queue has the queue's buffer
// as its payload (no copy on the way to the socket); a short one is copied; frames are counted
// across the parts, and the peer decodes the same stream of frames.
TEST(Connection, WholeQueueGoesOutAsItsOwnBuffer) {
  Pair p;
  Counters counted;
  p.client.count_into(&counted);
  const StreamId id = p.open_upload();
  ASSERT_NE(id, 0u);
  ASSERT_TRUE(testing::pump(p.client, p.server));  // SETTINGS both ways, the HEADERS
  const uint64_t data_before = counted.frames_out[Counters::frame_slot(0x0)];
  const uint64_t all_before =
      std::accumulate(counted.frames_out.begin(), counted.frames_out.end(), uint64_t{0});
  ByteBuffer body;
  body.append(std::string(12000, 'z'));
  const uint8_t* storage = body.data();
  ASSERT_TRUE(p.client.submit_data(id, body, false).has_value());
  ByteChain out;
  ASSERT_GT(p.client.take_output(out), 12000u);
  std::array<Bytes, 8> parts;
  ASSERT_EQ(out.gather(parts), 2u);
  EXPECT_EQ(parts[0].size(), kFrameHeaderSize);
  EXPECT_EQ(parts[1].data(), storage) << "the payload was copied";
  ASSERT_TRUE(p.client.submit_data(id, as_bytes("tail"), true).has_value());
  ASSERT_GT(p.client.take_output(out), 0u);
  ASSERT_EQ(out.gather(parts), 3u);
  EXPECT_EQ(parts[2].size(), kFrameHeaderSize + 4) << "a short payload is copied behind its header";
  EXPECT_EQ(counted.frames_out[Counters::frame_slot(0x0)], data_before + 2);
  EXPECT_EQ(std::accumulate(counted.frames_out.begin(), counted.frames_out.end(), uint64_t{0}),
            all_before + 2);
  ByteBuffer flat;
  out.move_to(flat);
  ASSERT_FALSE(testing::feed_all(p.server, flat.view()));
  EXPECT_EQ(p.server_app.bodies[id], std::string(12000, 'z') + "tail");
}

// A queue longer than a frame: a sequential stream's frames are framed back to back with every
// payload read from the queue's own buffer (views, then the buffer with the last frame); the
// peer reads the same body. An incremental stream (RFC 9218 "i") may be interleaved with others,
// so its frames are copied, all but the last.
TEST(Connection, LongQueueFramesAreViewsOfItsBuffer) {
  for (const bool incremental : {false, true}) {
    RecordingSink sink;
    Connection server(Role::Server, sink);
    testing::drain(server);
    Wire w;
    std::vector<hpack::Field> fields = Wire::get_fields();
    if (incremental) fields.push_back({"priority", "u=3, i"});
    w.client_handshake().headers(1, w.block(fields), true);
    ASSERT_FALSE(testing::feed_all(server, w.str()));
    testing::drain(server);
    MessageHead response;
    response.kind = MessageKind::Response;
    response.status = 200;
    response.framing = Framing::Streaming;
    ASSERT_TRUE(server.submit_headers(1, response, false).has_value());
    std::string body(40000, 'v');
    for (size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
    ByteBuffer queue;
    queue.append(body);
    const uint8_t* storage = queue.data();
    ASSERT_TRUE(server.submit_data(1, queue, true).has_value());
    ByteChain out;
    ASSERT_GT(server.take_output(out), body.size());
    std::array<Bytes, 16> parts;
    const size_t k = out.gather(parts);
    size_t in_storage = 0;
    for (size_t i = 0; i < k; ++i) {
      if (parts[i].data() >= storage && parts[i].data() < storage + body.size()) {
        in_storage += parts[i].size();
      }
    }
    EXPECT_EQ(in_storage, incremental ? body.size() - 2 * 16384 : body.size())
        << "incremental=" << incremental;
    ByteBuffer flat;
    out.move_to(flat);
    std::string data;
    Bytes rest = flat.bytes();
    while (rest.size() >= kFrameHeaderSize) {
      const FrameHeader fh = parse_frame_header(rest.data());
      ASSERT_GE(rest.size(), kFrameHeaderSize + fh.length);
      if (fh.type == static_cast<uint8_t>(FrameType::Data)) {
        data += as_chars(rest.subspan(kFrameHeaderSize, fh.length));
      }
      rest = rest.subspan(kFrameHeaderSize + fh.length);
    }
    EXPECT_TRUE(rest.empty());
    EXPECT_EQ(data, body) << "incremental=" << incremental;
  }
}

TEST(Connection, ClientHonoursPeerMaxConcurrentStreams) {
  Settings ss;
  ss.max_concurrent_streams = 2;
  Pair p({}, ss);
  ASSERT_TRUE(testing::pump(p.client, p.server));
  MessageHead h;
  h.method = "GET";
  h.scheme = "http";
  h.path = "/";
  h.authority = "a";
  ASSERT_TRUE(p.client.submit_headers(0, h, false).has_value());
  ASSERT_TRUE(p.client.submit_headers(0, h, false).has_value());
  EXPECT_FALSE(p.client.can_open_stream());
  Result<StreamId> third = p.client.submit_headers(0, h, false);
  ASSERT_FALSE(third.has_value());
  EXPECT_EQ(third.error().detail, kPeerStreamLimit);
}

TEST(Connection, GracefulGoAwayIsTwoStep) {
  Pair p;
  ASSERT_TRUE(testing::pump(p.client, p.server));
  StreamId id = p.get("/size/10");
  std::string req = testing::drain(p.client);
  p.server.go_away(H2Code::NoError);
  Output first = read_output(testing::drain(p.server));
  ASSERT_EQ(first.count(FrameType::GoAway), 1u);
  EXPECT_EQ(std::get<GoAwayFrame>(first.frames[0].payload).last_stream_id, kMaxStreamId);
  // The request crossed the first GOAWAY: it is still served.
  ASSERT_TRUE(p.server.feed(as_bytes(req)).has_value());
  ASSERT_TRUE(
      p.client.feed(first.storage[0].size() ? as_bytes(first.storage[0]) : Bytes()).has_value());
  ASSERT_TRUE(testing::pump(p.client, p.server));
  EXPECT_EQ(p.client_app.bodies[id].size(), 10u);
  EXPECT_NE(p.client_app.trace().find("goaway 2147483647"), std::string::npos);
  EXPECT_NE(p.client_app.trace().find("goaway 1 NO_ERROR"), std::string::npos)
      << p.client_app.trace();
}

// RFC 9113 §6.8: the graceful shutdown's second GOAWAY waits for the ACK of the PING sent with
// the first; the ACK of another PING (one the application sent) proves nothing about the
// requests in flight, so it must not fix last-stream-id early.
TEST(Connection, GracefulGoAwayWaitsForItsOwnPingAck) {
  testing::Server s;
  s.w.get(1);
  s.send();
  const std::array<uint8_t, 8> app_ping = {'a', 'p', 'p', 'p', 'i', 'n', 'g', '!'};
  s.c.ping(app_ping);
  s.c.go_away(H2Code::NoError);
  std::string shutdown_ping;
  for (const Frame& f : s.out().frames) {
    const auto* p = std::get_if<PingFrame>(&f.payload);
    if (p && p->opaque != app_ping) shutdown_ping.assign(p->opaque.begin(), p->opaque.end());
  }
  ASSERT_EQ(shutdown_ping.size(), 8u);
  s.w.raw(6, kFlagAck, 0, std::string(app_ping.begin(), app_ping.end()));
  s.send();
  EXPECT_EQ(s.out().count(FrameType::GoAway), 0u);
  s.w.raw(6, kFlagAck, 0, shutdown_ping);
  s.send();
  Output o = s.out();
  ASSERT_EQ(o.count(FrameType::GoAway), 1u);
  EXPECT_EQ(o.goaway_code(), 0u);
  for (const Frame& f : o.frames) {
    if (const auto* g = std::get_if<GoAwayFrame>(&f.payload)) {
      EXPECT_EQ(g->last_stream_id, 1u);
    }
  }
}

// RFC 9113 §4.2: what we send is bounded by the peer's SETTINGS_MAX_FRAME_SIZE, not ours; a
// header block larger than the peer's goes out as HEADERS and CONTINUATIONs within it (§6.10).
TEST(Connection, HeaderBlocksAreFramedByThePeersMaxFrameSize) {
  Settings ours;
  ours.max_frame_size = 1u << 20;
  testing::Server s(ours);
  s.w.get(1);
  s.send();
  MessageHead r;
  r.kind = MessageKind::Response;
  r.status = 200;
  const std::string big(40000, 'v');
  r.headers.add_view("x-big", big);
  ASSERT_TRUE(s.c.submit_headers(1, r, true).has_value());
  Output o = s.out();
  EXPECT_GE(o.count(FrameType::Continuation), 1u);
  for (const Frame& f : o.frames) {
    EXPECT_LE(f.header.length, kDefaultMaxFrameSize) << to_string(FrameType(f.header.type));
  }
}

TEST(Connection, ClientStreamIdExhaustion) {
  Limits cl;
  cl.first_stream_id = kMaxStreamId - 2;
  Pair p({}, {}, cl, {});
  ASSERT_TRUE(testing::pump(p.client, p.server));
  EXPECT_EQ(p.get("/a"), kMaxStreamId - 2);
  EXPECT_EQ(p.get("/b"), kMaxStreamId);
  EXPECT_FALSE(p.client.can_open_stream());
  MessageHead h;
  h.method = "GET";
  Result<StreamId> r = p.client.submit_headers(0, h, true);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail, kStreamIdsExhausted);
  ASSERT_TRUE(testing::pump(p.client, p.server));
  EXPECT_EQ(p.client_app.count(EventKind::EndOfMessage), 2u);
}

}  // namespace
}  // namespace crossmux::codecs::h2

namespace crossmux::codecs::h2 {
namespace {

using testing::Server;

TEST(ConnectionSend, UrgencyOrdersDataAndControlFramesGoFirst) {
  Server s;
  s.w.headers(1,
              s.w.block({{":method", "GET"},
                         {":scheme", "http"},
                         {":authority", "a"},
                         {":path", "/"},
                         {"priority", "u=7"}}),
              true);
  s.w.headers(3,
              s.w.block({{":method", "GET"},
                         {":scheme", "http"},
                         {":authority", "a"},
                         {":path", "/"},
                         {"priority", "u=0"}}),
              true);
  s.w.get(5);
  s.send();
  s.respond(1, "low");
  s.respond(3, "high");
  s.respond(5, "default");
  // PRIORITY_UPDATE moves stream 5 above everything (RFC 9218 §7.1).
  s.w.raw(0x10, 0, 0, testing::u32(5) + "u=0");
  s.w.raw(6, 0, 0, std::string(8, 'p'));
  s.send();
  testing::Output o = s.out();
  std::vector<uint32_t> data_order;
  size_t first_data = 0, ping_at = 0;
  for (size_t i = 0; i < o.frames.size(); ++i) {
    if (o.frames[i].header.type == static_cast<uint8_t>(FrameType::Data)) {
      if (data_order.empty()) first_data = i;
      data_order.push_back(o.frames[i].header.stream_id);
    }
    if (o.frames[i].header.type == static_cast<uint8_t>(FrameType::Ping)) ping_at = i;
  }
  EXPECT_EQ(data_order, (std::vector<uint32_t>{3, 5, 1}));
  EXPECT_LT(ping_at, first_data);
}

TEST(ConnectionRecv, SlowConsumerHoldsItsStreamNotTheConnection) {
  Settings local;
  local.initial_window_size = 1000;
  RecordingSink sink;  // never consumes
  Connection c(Role::Server, sink, local);
  testing::Wire w;
  w.client_handshake().post(1).post(3);
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  w.buf.clear();
  testing::drain(c);
  for (int i = 0; i < 10; ++i) w.data(1, std::string(100, 'a'), false);
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  w.buf.clear();
  // Stream 1 used its window and got nothing back...
  testing::Output o = testing::read_output(testing::drain(c));
  EXPECT_EQ(o.count(FrameType::WindowUpdate), 0u);
  w.data(1, "x", false);
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  EXPECT_EQ(testing::read_output(testing::drain(c)).rst_code(1), 3u);  // FLOW_CONTROL_ERROR
  w.buf.clear();
  // ...while stream 3 still flows, and consuming returns credit.
  w.data(3, std::string(900, 'b'), false);
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  c.consume(3, 900);
  o = testing::read_output(testing::drain(c));
  bool stream3_credit = false;
  for (const Frame& f : o.frames) {
    if (auto* u = std::get_if<WindowUpdateFrame>(&f.payload); u && f.header.stream_id == 3) {
      stream3_credit = u->increment == 900;
    }
  }
  EXPECT_TRUE(stream3_credit);
}

TEST(ConnectionRecv, MalformedRequestAnswered400WhenConfigured) {
  Limits l;
  l.answer_malformed = true;
  Server s({}, l);
  s.w.headers(1, s.w.block({{":method", "GET"}, {":path", "/"}}), true);
  s.send();
  testing::Output o = s.out();
  ASSERT_EQ(o.count(FrameType::Headers), 1u);
  EXPECT_EQ(o.rst_code(1), std::nullopt);  // both sides ended: no RST needed
  EXPECT_EQ(s.c.last_stream_error().detail, kMissingPseudo);
  EXPECT_EQ(s.sink.count(EventKind::Head), 0u);
}

TEST(ConnectionRecv, PeerGoAwayRefusesStreamsAboveLastId) {
  RecordingSink sink;
  Connection c(Role::Client, sink);
  MessageHead h = testing::request_to_a();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
  testing::Wire w;
  w.settings().raw(7, 0, 0, testing::u32(1) + testing::u32(0));
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  EXPECT_NE(sink.trace().find("reset 3 REFUSED_STREAM"), std::string::npos) << sink.trace();
  EXPECT_NE(sink.trace().find("reset 5 REFUSED_STREAM"), std::string::npos);
  EXPECT_EQ(c.stream_count(), 1u);
  EXPECT_FALSE(c.can_open_stream());
  EXPECT_EQ(c.submit_headers(0, h, true).error().detail, kGoingAway);
}

// RFC 9113 §6.8: a later GOAWAY may repeat or lower last-stream-id, never raise it (the peer may
// already have retried the streams above it elsewhere).
TEST(ConnectionRecv, PeerGoAwayMayRepeatOrLowerButNotRaiseLastId) {
  RecordingSink sink;
  Connection c(Role::Client, sink);
  testing::Wire w;
  w.settings()
      .raw(7, 0, 0, testing::u32(5) + testing::u32(0))
      .raw(7, 0, 0, testing::u32(5) + testing::u32(0))
      .raw(7, 0, 0, testing::u32(3) + testing::u32(0));
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value()) << sink.trace();
  testing::Wire raised;
  raised.raw(7, 0, 0, testing::u32(5) + testing::u32(0));
  auto r = c.feed(raised.buf.bytes());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().detail, kGoAwayIdIncreased);
  EXPECT_EQ(r.error().h2_code(), H2Code::ProtocolError);
}

// RFC 9113 §5.1, as a client: a response racing our RST_STREAM is ignored (the backend side of a
// proxy resets streams its clients abandoned, and must not lose the connection over it), HEADERS
// on a stream that closed normally is a connection error STREAM_CLOSED, and HEADERS on an even
// id no PUSH_PROMISE reserved is PROTOCOL_ERROR (§5.1.1, §8.4).
TEST(ConnectionRecv, ResponseHeadersOnAResetClosedOrUnreservedStream) {
  MessageHead h = testing::request_to_a();
  {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
    c.reset(1, H2Code::Cancel);
    testing::Wire w;
    w.settings().raw(1, 0x5, 1, "\x88");  // :status 200, END_STREAM
    ASSERT_TRUE(c.feed(w.buf.bytes()).has_value()) << sink.trace();
    EXPECT_EQ(sink.trace().find("head 1"), std::string::npos) << sink.trace();
    EXPECT_EQ(read_output(testing::drain(c), true).goaway_code(), std::nullopt);
    EXPECT_TRUE(c.submit_headers(0, h, true).has_value());
  }
  {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
    testing::Wire w;
    w.settings().raw(1, 0x5, 1, "\x88");
    ASSERT_TRUE(c.feed(w.buf.bytes()).has_value()) << sink.trace();
    EXPECT_NE(sink.trace().find("end 1"), std::string::npos) << sink.trace();
    testing::Wire again;
    again.raw(1, 0x5, 1, "\x88");
    Result<size_t> r = c.feed(again.buf.bytes());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().h2_code(), H2Code::StreamClosed);
    EXPECT_EQ(r.error().detail, kHeadersOnClosedStream);
  }
  {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
    testing::Wire w;
    w.settings().raw(1, 0x5, 2, "\x88");
    Result<size_t> r = c.feed(w.buf.bytes());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().h2_code(), H2Code::ProtocolError);
    EXPECT_EQ(r.error().detail, kUnsolicitedHeaders);
  }
}

// RFC 9113 §8.3.2: a malformed response head (here a request pseudo-header in it) resets the
// stream, and nothing of it reaches the sink.
TEST(ConnectionRecv, AMalformedResponseHeadResetsTheStream) {
  RecordingSink sink;
  Connection c(Role::Client, sink);
  ASSERT_TRUE(c.submit_headers(0, testing::request_to_a(), true).has_value());
  testing::Wire w;
  w.settings().raw(1, 0x5, 1, "\x88\x82");  // :status 200, :method GET
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value()) << sink.trace();
  EXPECT_NE(sink.trace().find("reset 1 PROTOCOL_ERROR"), std::string::npos) << sink.trace();
  EXPECT_EQ(sink.trace().find("head 1"), std::string::npos) << sink.trace();
  EXPECT_EQ(c.last_stream_error().detail, kUnknownPseudo);
}

// RFC 8441 §3-4: :protocol is accepted only once we sent SETTINGS_ENABLE_CONNECT_PROTOCOL 1.
TEST(ConnectionRecv, ExtendedConnectNeedsOurSetting) {
  for (uint32_t enabled : {0u, 1u}) {
    Settings ours;
    ours.enable_connect_protocol = enabled;
    testing::Server s(ours);
    s.w.headers(1,
                s.w.block({{":method", "CONNECT"},
                           {":protocol", "websocket"},
                           {":scheme", "https"},
                           {":authority", "a"},
                           {":path", "/chat"}}),
                false);
    s.send();
    EXPECT_EQ(s.error, std::nullopt);
    const bool delivered = s.sink.trace().find("head 1 request") != std::string::npos;
    EXPECT_EQ(delivered, enabled == 1) << s.sink.trace();
    if (enabled == 0) {
      EXPECT_EQ(s.c.last_stream_error().detail, kUnknownPseudo);
    }
  }
}

// RFC 9113 §8.1.1, RFC 9110 §6.4.1: DATA on a response without content (to HEAD, a 204, a 304)
// resets the stream and nothing of it reaches the sink: an HTTP/1.1 client reads such a head as a
// whole response, so forwarded bytes would be parsed as the next one.
TEST(ConnectionRecv, DataOnABodilessResponseResetsTheStream) {
  struct Case {
    const char* method;
    char status;  // HPACK static index (RFC 7541 Appendix A)
  };
  for (Case k : {Case{"GET", '\x89'}, Case{"GET", '\x8b'}, Case{"HEAD", '\x88'}}) {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    MessageHead h = testing::request_to_a(k.method);
    ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
    testing::Wire w;
    w.settings()
        .raw(1, 0x4, 1, std::string(1, k.status))
        .raw(0, 0x1, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
    EXPECT_NE(sink.trace().find("reset 1 PROTOCOL_ERROR"), std::string::npos) << sink.trace();
    EXPECT_EQ(sink.trace().find("HTTP/1.1"), std::string::npos) << sink.trace();
    EXPECT_EQ(c.last_stream_error().detail, kDataOnBodilessResponse);
  }
}

// RFC 9113 §8.1: a response is HEADERS first; DATA before the final head (none yet, or only a
// 1xx) is malformed and resets the stream, with nothing of it reaching the sink.
TEST(ConnectionRecv, DataBeforeTheFinalResponseHeadResetsTheStream) {
  // No head yet, then after ":status 103" (literal, indexed name 8).
  for (std::string_view interim : {std::string_view(), std::string_view("\x08\x03\x31\x30\x33")}) {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    MessageHead h = testing::request_to_a();
    ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
    testing::Wire w;
    w.settings();
    if (!interim.empty()) w.raw(1, 0x4, 1, interim);
    w.raw(0, 0x1, 1, "early");
    ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
    EXPECT_NE(sink.trace().find("reset 1 PROTOCOL_ERROR"), std::string::npos) << sink.trace();
    EXPECT_EQ(sink.trace().find("early"), std::string::npos) << sink.trace();
    EXPECT_EQ(c.last_stream_error().detail, kDataBeforeHeaders);
  }
}

// RFC 9113 §8.1.1: trailers end the stream, so DATA short of content-length is malformed then,
// and the trailers must not reach the sink: an HTTP/1.1 client reading them as the end of a
// chunked body would take the truncated body for a whole one.
TEST(ConnectionRecv, TrailersAfterShortContentLengthResetInsteadOfEnding) {
  RecordingSink sink;
  Connection c(Role::Client, sink);
  MessageHead h = testing::request_to_a();
  ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
  testing::Wire w;
  w.settings()
      .raw(1, 0x4, 1,
           "\x88\x0f\x0d\x02\x31\x30")  // :status 200, content-length: 10
      .raw(0, 0x0, 1, "abcd")
      .raw(1, 0x5, 1, "\x00\x01x\x01y");  // trailers x: y, END_STREAM
  ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  EXPECT_NE(sink.trace().find("reset 1 PROTOCOL_ERROR"), std::string::npos) << sink.trace();
  EXPECT_EQ(sink.trace().find("trailers"), std::string::npos) << sink.trace();
  EXPECT_EQ(sink.trace().find("end 1"), std::string::npos) << sink.trace();
  EXPECT_EQ(c.last_stream_error().detail, kContentLengthMismatch);
}

// RFC 9218 §7.1: PRIORITY_UPDATE is a client's frame; a client receiving one answers with a
// connection PROTOCOL_ERROR (a server receiving one applies it).
TEST(ConnectionRecv, PriorityUpdateFromAServerIsAConnectionError) {
  RecordingSink sink;
  Connection c(Role::Client, sink);
  MessageHead h = testing::request_to_a();
  ASSERT_TRUE(c.submit_headers(0, h, true).has_value());
  testing::Wire w;
  w.settings().raw(0x10, 0, 0, testing::u32(1) + "u=1");
  Result<size_t> r = c.feed(w.buf.bytes());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().h2_code(), H2Code::ProtocolError);
  EXPECT_EQ(read_output(testing::drain(c), true).goaway_code(), 1u);
}

// RFC 9113 §6.5.2: "A client MUST treat receipt of a SETTINGS frame with SETTINGS_ENABLE_PUSH set
// to 1 as a connection error of type PROTOCOL_ERROR"; a server's 0 is fine, and a client's 1
// (the RFC initial value) is what a server reads without complaint.
TEST(ConnectionRecv, EnablePushFromAServerIsAConnectionError) {
  {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    testing::Wire w;
    w.settings({{static_cast<uint16_t>(SettingId::EnablePush), 0}});
    ASSERT_TRUE(c.feed(w.buf.bytes()).has_value());
  }
  {
    RecordingSink sink;
    Connection c(Role::Client, sink);
    testing::Wire w;
    w.settings({{static_cast<uint16_t>(SettingId::EnablePush), 1}});
    Result<size_t> r = c.feed(w.buf.bytes());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().h2_code(), H2Code::ProtocolError);
    EXPECT_EQ(r.error().detail, kServerEnabledPush);
    EXPECT_EQ(read_output(testing::drain(c), true).goaway_code(), 1u);
  }
  testing::Server s;
  s.w.settings({{static_cast<uint16_t>(SettingId::EnablePush), 1}});
  s.send();
  EXPECT_EQ(s.error, std::nullopt);
}

// The bounded memory of closed stream ids: what a young table remembers, and the oldest ids
// falling out once kRecentClosed more have been closed.
TEST(H2StreamTable, RemembersTheLastClosedIds) {
  StreamTable t;
  EXPECT_EQ(t.closure(1), Closure::Unknown);
  t.remember(1, false);
  t.remember(3, true);
  EXPECT_EQ(t.closure(1), Closure::Closed);
  EXPECT_EQ(t.closure(3), Closure::ResetByUs);
  EXPECT_EQ(t.closure(5), Closure::Unknown);
  const uint32_t last = 5 + 2 * (StreamTable::kRecentClosed - 1);
  for (uint32_t id = 5; id <= last; id += 2) t.remember(id, id == last);
  EXPECT_EQ(t.closure(1), Closure::Unknown);
  EXPECT_EQ(t.closure(3), Closure::Unknown);
  EXPECT_EQ(t.closure(5), Closure::Closed);
  EXPECT_EQ(t.closure(last), Closure::ResetByUs);
  EXPECT_EQ(t.closure(last + 2), Closure::Unknown);
}

// open() reuses the node of a closed stream: the stream it returns starts over, as new, and the
// closed one is gone (only its id is remembered).
TEST(H2StreamTable, AReopenedNodeHoldsNothingOfTheStreamBefore) {
  StreamTable t;
  for (uint32_t round = 0; round < 3; ++round) {
    const StreamId id = 1 + 2 * round;
    Stream& s = t.open(id, true, 1000, 2000);
    EXPECT_EQ(s.id, id);
    EXPECT_EQ(s.state, StreamState::Idle);
    EXPECT_TRUE(s.local);
    EXPECT_EQ(s.recv.available(), 1000);
    EXPECT_EQ(s.send.available(), 2000);
    EXPECT_EQ(s.received, 0u);
    EXPECT_TRUE(s.queue.empty());
    EXPECT_TRUE(s.trailers.empty());
    EXPECT_FALSE(s.end_queued || s.final_head_sent || s.scheduled);
    EXPECT_EQ(t.open_count(true), 1u);
    s.state = StreamState::Open;
    s.received = 77;
    s.queue.append(std::string_view("queued"));
    s.trailers.add_copy("x", "y");
    s.end_queued = s.final_head_sent = s.scheduled = true;
    t.close(id, false);
    EXPECT_EQ(t.find(id), nullptr);
    EXPECT_EQ(t.closure(id), Closure::Closed);
    EXPECT_EQ(t.open_count(true), 0u);
  }
  // A peer stream on a reused node counts as the peer's.
  t.open(2, false, 10, 20);
  EXPECT_EQ(t.open_count(false), 1u);
  EXPECT_EQ(t.open_count(true), 0u);
}

}  // namespace
}  // namespace crossmux::codecs::h2
