// The proxy's four codec adapters and pump(): one request and its response cross every pairing
// (H1/H2 client side x H1/H2 backend side) in memory, checked by reference codecs on both ends.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "codecs/h1/decoder.h"
#include "codecs/h2/connection.h"
#include "codecs/message/recording_sink.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/codec.h"
#include "mux/proxy/legs/pump.h"

namespace crossmux::mux::proxy {
namespace {

using codecs::ByteBuffer;
using codecs::Bytes;
using codecs::HeaderList;
using codecs::MessageHead;
using codecs::StreamId;

enum class P { H1, H2 };

// What the proxy collects from one side into an exchange half.
struct Collector : codecs::EventSink {
  Half half;
  StreamId stream = 0;
  void on_head(StreamId s, MessageHead& head) override {
    if (head.is_informational()) return;
    stream = s;
    half.take_head(head);
    half.head_ready = true;
  }
  void on_data(StreamId, Bytes data) override { half.append(data); }
  void on_trailers(StreamId, HeaderList& t) override {
    half.trailers = t.clone();
    half.has_trailers = true;
  }
  void on_end_of_message(StreamId) override { half.end_received = true; }
  void on_reset(StreamId, uint32_t) override {}
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

MessageHead request_head() {
  MessageHead h;
  h.method = "POST";
  h.scheme = "http";
  h.authority = "a.test";
  h.path = "/up";
  h.framing = codecs::Framing::Streaming;
  return h;
}

class Pairing : public ::testing::TestWithParam<std::tuple<P, P>> {
 protected:
  CodecLimits limits_;
  codecs::RecordingSink client_seen_;   // the reference client's view of the response
  codecs::RecordingSink backend_seen_;  // the reference backend's view of the request
  codecs::h2::Connection ref_client_{codecs::h2::Role::Client, client_seen_};
  codecs::h2::Connection ref_backend_{codecs::h2::Role::Server, backend_seen_};
  codecs::h1::Decoder h1_backend_{codecs::MessageKind::Request};
  codecs::h1::Decoder h1_client_{codecs::MessageKind::Response};
};

TEST_P(Pairing, RequestAndResponseWithTrailersCross) {
  const auto [front, back] = GetParam();
  Collector request, response;
  auto server =
      front == P::H1 ? make_h1_server(request, limits_) : make_h2_server(request, limits_);
  auto client =
      back == P::H1 ? make_h1_client(response, limits_) : make_h2_client(response, limits_);

  // A chunked request with trailers from a reference client.
  std::string wire;
  if (front == P::H1) {
    wire =
        "POST /up HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"
        "b\r\nhello world\r\n0\r\nx-sum: 42\r\n\r\n";
  } else {
    MessageHead h = request_head();
    auto id = ref_client_.submit_headers(0, h, false);
    ASSERT_TRUE(id);
    ASSERT_TRUE(
        ref_client_.submit_data(*id, codecs::as_bytes(std::string_view("hello world")), false));
    HeaderList t;
    t.add_view("x-sum", "42");
    ASSERT_TRUE(ref_client_.submit_trailers(*id, t));
    ByteBuffer out;
    ref_client_.take_output(out);
    wire = std::string(out.view());
  }
  auto fed = server->feed(codecs::as_bytes(wire));
  ASSERT_TRUE(fed) << codecs::to_string(fed.error());
  ASSERT_TRUE(request.half.end_received);

  StreamId backend_stream = 0;
  auto moved = pump(request.half, *client, backend_stream);
  ASSERT_TRUE(moved) << codecs::to_string(moved.error());
  EXPECT_EQ(*moved, 11u);
  EXPECT_TRUE(request.half.end_sent);
  ByteBuffer to_backend;
  client->take_output(to_backend);
  if (back == P::H1) {
    ASSERT_TRUE(h1_backend_.feed(to_backend.bytes(), backend_seen_));
  } else {
    ASSERT_TRUE(ref_backend_.feed(to_backend.bytes()));
  }
  EXPECT_EQ(backend_seen_.body(backend_stream), "hello world");
  const std::string req_trace = backend_seen_.trace();
  EXPECT_NE(req_trace.find("POST"), std::string::npos) << req_trace;
  EXPECT_NE(req_trace.find("a.test"), std::string::npos) << req_trace;
  EXPECT_NE(req_trace.find("\"x-sum\" \"42\""), std::string::npos) << req_trace;

  // The reference backend answers with a streamed body and trailers.
  std::string reply;
  if (back == P::H1) {
    reply =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nthere\r\n0\r\n"
        "grpc-status: 0\r\n\r\n";
  } else {
    MessageHead h;
    h.kind = codecs::MessageKind::Response;
    h.status = 200;
    h.framing = codecs::Framing::Streaming;
    ASSERT_TRUE(ref_backend_.submit_headers(backend_stream, h, false));
    ASSERT_TRUE(ref_backend_.submit_data(backend_stream,
                                         codecs::as_bytes(std::string_view("there")), false));
    HeaderList t;
    t.add_view("grpc-status", "0");
    ASSERT_TRUE(ref_backend_.submit_trailers(backend_stream, t));
    ByteBuffer out;
    ref_backend_.take_output(out);
    reply = std::string(out.view());
  }
  ASSERT_TRUE(client->feed(codecs::as_bytes(reply)));
  ASSERT_TRUE(response.half.end_received);
  StreamId client_stream = request.stream;
  auto back_moved = pump(response.half, *server, client_stream);
  ASSERT_TRUE(back_moved) << codecs::to_string(back_moved.error());
  ByteBuffer to_client;
  server->take_output(to_client);
  if (front == P::H1) {
    MessageHead sent = request_head();
    h1_client_.expect_response(sent);
    ASSERT_TRUE(h1_client_.feed(to_client.bytes(), client_seen_));
  } else {
    ASSERT_TRUE(ref_client_.feed(to_client.bytes()));
  }
  EXPECT_EQ(client_seen_.body(client_stream), "there");
  const std::string resp_trace = client_seen_.trace();
  EXPECT_NE(resp_trace.find("\"grpc-status\" \"0\""), std::string::npos) << resp_trace;
  EXPECT_EQ(client_seen_.count(codecs::EventKind::EndOfMessage), 1u) << resp_trace;
}

INSTANTIATE_TEST_SUITE_P(AllFour, Pairing,
                         ::testing::Combine(::testing::Values(P::H1, P::H2),
                                            ::testing::Values(P::H1, P::H2)),
                         [](const auto& info) {
                           auto name = [](P p) { return p == P::H1 ? "H1" : "H2"; };
                           return std::string(name(std::get<0>(info.param))) + "to" +
                                  name(std::get<1>(info.param));
                         });

// pump() hands a codec no more than its capacity, so a slow peer bounds what the proxy holds in
// codecs; the rest stays queued (and, past kQueueCap, pauses the reader).
TEST(Pump, StopsAtWriterCapacity) {
  CodecLimits limits;
  for (bool h2 : {false, true}) {
    Collector sink;
    auto writer = h2 ? make_h2_client(sink, limits) : make_h1_client(sink, limits);
    Half half;
    half.head = request_head();
    half.head_ready = true;
    std::string big(1 << 20, 'x');
    half.append(codecs::as_bytes(big));
    EXPECT_TRUE(half.full(/*in_order=*/false));
    StreamId id = 0;
    auto moved = pump(half, *writer, id);
    ASSERT_TRUE(moved);
    EXPECT_GT(*moved, 0u);
    EXPECT_LE(*moved, 128u * 1024) << (h2 ? "h2" : "h1");
    EXPECT_EQ(half.queued(), big.size() - *moved);
    EXPECT_EQ(writer->capacity(id), 0u);
    // Nothing more moves until the writer drains.
    auto again = pump(half, *writer, id);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0u);
  }
}

// A HEAD response keeps its length as metadata and carries no body on either protocol.
TEST(Pump, HeadResponseKeepsLength) {
  MessageHead h;
  h.kind = codecs::MessageKind::Response;
  h.status = 200;
  h.headers.add_view("Content-Length", "77");
  keep_head_length(h);
  EXPECT_EQ(h.framing, codecs::Framing::KnownLength);
  EXPECT_EQ(h.content_length, 77u);
  MessageHead bad;
  bad.kind = codecs::MessageKind::Response;
  bad.headers.add_view("Content-Length", "7x");
  keep_head_length(bad);
  EXPECT_EQ(bad.framing, codecs::Framing::None);
}

// A writer that records how body bytes reach it: by storage (where they lived) or by copy.
struct BodyRecorder : Codec {
  const uint8_t* taken = nullptr;  // where the bytes given by storage lived
  std::string body;
  size_t copied = 0;
  codecs::Result<size_t> feed(Bytes in) override { return in.size(); }
  codecs::Status finish() override { return codecs::ok(); }
  codecs::Result<StreamId> send_head(StreamId, MessageHead&, bool) override { return 1; }
  codecs::Status send_data(StreamId, Bytes data, bool) override {
    copied += data.size();
    body += codecs::as_chars(data);
    return codecs::ok();
  }
  codecs::Status send_data_storage(StreamId, ByteBuffer& data, bool) override {
    taken = data.data();
    body += data.view();
    ByteBuffer spare;  // what an HTTP/2 stream queue gives back: empty storage
    std::swap(data, spare);
    return codecs::ok();
  }
  codecs::Status send_trailers(StreamId, HeaderList&) override { return codecs::ok(); }
  void reset(StreamId, codecs::H2Code) override {}
  void go_away() override {}
  void consume(StreamId, size_t) override {}
  CodecDeadline deadline(size_t) const override { return {}; }
  void expire(size_t, uint64_t) override {}
  void take_output(codecs::ByteChain&) override {}
  bool wants_output() const override { return false; }
  size_t capacity(StreamId) const override { return 1 << 20; }
  bool can_open_stream() const override { return true; }
  bool reusable() const override { return true; }
  size_t stream_limit() const override { return 1; }
  bool can_cut_stream() const override { return true; }
  bool ordered() const override { return false; }
  bool answers_errors() const override { return false; }
  bool answers_after_peer_eof() const override { return false; }
  std::string_view protocol() const override { return "test"; }
};

// pump() hands a writer that takes storage (the HTTP/2 codec: a swap into the stream's empty
// queue) the Half's own body storage, not a copy; a replay keeps its bytes, so it copies.
TEST(Pump, BodyStorageGoesToAWriterThatTakesIt) {
  Collector from;
  MessageHead head = request_head();
  from.on_head(1, head);
  const std::string body(40000, 'b');
  from.half.append(codecs::as_bytes(std::string_view(body)));
  from.half.end_received = true;
  const uint8_t* storage = from.half.pending(1).data();
  BodyRecorder writer;
  StreamId stream = 0;
  auto moved = pump(from.half, writer, stream);
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, body.size());
  EXPECT_EQ(writer.taken, storage);
  EXPECT_EQ(writer.copied, 0u);
  EXPECT_EQ(writer.body, body);
  EXPECT_EQ(from.half.queued(), 0u);
  EXPECT_TRUE(from.half.done());

  Collector replayed;
  MessageHead again = request_head();
  replayed.on_head(1, again);
  replayed.half.replay = true;
  replayed.half.append(codecs::as_bytes(std::string_view(body)));
  replayed.half.end_received = true;
  BodyRecorder copier;
  stream = 0;
  ASSERT_TRUE(pump(replayed.half, copier, stream));
  EXPECT_EQ(copier.taken, nullptr);
  EXPECT_EQ(copier.copied, body.size());
  EXPECT_EQ(replayed.half.held(), body.size()) << "a replay keeps what it wrote";
}

}  // namespace
}  // namespace crossmux::mux::proxy
