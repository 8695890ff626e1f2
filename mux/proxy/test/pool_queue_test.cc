// BackendPool queueing at max_connections_per_backend, its reuse of idle connections, the
// flow-control stall of a client's responses, max_request_body on HTTP/2 requests, and an
// HTTP/1.1 client connection whose response is cut, driven in memory (one_client_worker.h): the
// real Worker, ClientSession and BackendConnection.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecs/h2/connection.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/memory_stream.h"
#include "mux/proxy/pool/backend_pool.h"
#include "mux/proxy/test/one_client_worker.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy {
namespace {

using namespace memory_test;

TEST(BackendPoolQueue, QueuedExchangeGetsTheSlotOfAClosedConnection) {
  OneClientWorker w(one_backend_config());
  ASSERT_TRUE(w.open());

  // Two pipelined requests: the second waits at the one-connection cap.
  w.client.peer.send(codecs::as_bytes(
      "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 1u);
  EXPECT_EQ(w.worker.pool().connections({0, 0}), 1u);

  // The only connection dies before answering: its slot must go to what waits.
  w.backends.peers[0].reset();
  w.settle();

  // From here every backend answers each request it got; both requests must be answered.
  std::string to_client;
  for (int round = 0; round < 50 && count(to_client, "HTTP/1.1 ") < 2; ++round) {
    for (size_t i = 1; i < w.backends.peers.size(); ++i) {
      std::string got;
      w.backends.peers[i].receive(got);
      for (size_t n = count(got, " HTTP/1.1\r\n"); n > 0; --n) {
        w.backends.peers[i].send(
            codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
      }
    }
    w.settle();
    w.client.peer.receive(to_client);
    w.clock.advance(1000);
    w.settle();
  }
  EXPECT_GE(w.backends.peers.size(), 2u) << "the queued request never got a connection";
  EXPECT_EQ(count(to_client, "HTTP/1.1 "), 2u) << to_client;
}

// Requests queued at max_connections_per_backend go first to clients holding the fewest backend
// connections and, among clients holding as many, in arrival order: a freed connection takes
// the oldest of them, not the newest.
TEST(BackendPoolQueue, AmongEqualClientsTheOldestQueuedRequestGoesFirst) {
  config::Config c = one_backend_config();
  c.clusters[0].max_connections_per_backend = 3;
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  net::MemoryPeer b = w.add_client("192.0.2.2");
  net::MemoryPeer third = w.add_client("192.0.2.3");
  auto get = [](const char* path) {
    return std::string("GET ") + path + " HTTP/1.1\r\nHost: a.test\r\n\r\n";
  };
  // Each client holds one of the three connections, in this order.
  w.client.peer.send(codecs::as_bytes(get("/a1")));
  w.settle();
  b.send(codecs::as_bytes(get("/b1")));
  w.settle();
  third.send(codecs::as_bytes(get("/c1")));
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 3u);
  // The first two pipeline a second request each, A's first: both queue, their clients holding
  // one connection each.
  w.client.peer.send(codecs::as_bytes(get("/a2")));
  w.settle();
  b.send(codecs::as_bytes(get("/b2")));
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 3u);
  std::string c1;
  w.backends.peers[2].receive(c1);
  ASSERT_NE(c1.find("GET /c1 "), std::string::npos) << c1;
  // The third client's exchange ends: its connection goes to A's queued request.
  w.backends.peers[2].send(codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
  w.settle();
  std::string next;
  w.backends.peers[2].receive(next);
  EXPECT_NE(next.find("GET /a2 "), std::string::npos) << next;
  EXPECT_EQ(next.find("GET /b2 "), std::string::npos) << next;
}

// RFC 9112 §9.3.1, RFC 9110 §9.2.2: an idempotent request whose reused connection was lost before
// any response (the keep-alive race) is replayed, on a new connection: the other idle connections
// to that backend may be as stale as the one that just failed.
TEST(BackendPoolReuse, ReplayAfterALostReusedConnectionOpensAFreshOne) {
  config::Config c = one_backend_config();
  c.clusters[0].max_connections_per_backend = 4;  // each pipelined request gets a connection
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  const auto ok = codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  // Two connections, both answered: both idle in the pool afterwards.
  w.client.peer.send(codecs::as_bytes(
      "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    std::string got;
    w.backends.peers[i].receive(got);
    ASSERT_EQ(count(got, " HTTP/1.1\r\n"), 1u) << got;
    w.backends.peers[i].send(ok);
  }
  w.settle();
  std::string to_client;
  w.client.peer.receive(to_client);
  ASSERT_EQ(count(to_client, "HTTP/1.1 200"), 2u) << to_client;

  // The third request reuses one of them, which dies before answering.
  w.client.peer.send(codecs::as_bytes("GET /3 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
  w.settle();
  size_t reused = 2;
  for (size_t i = 0; i < 2; ++i) {
    std::string got;
    w.backends.peers[i].receive(got);
    if (got.find("GET /3 ") != std::string::npos) reused = i;
  }
  ASSERT_LT(reused, 2u) << "the third request did not reuse an idle connection";
  ASSERT_EQ(w.backends.peers.size(), 2u);
  w.backends.peers[reused].reset();
  w.settle();

  ASSERT_EQ(w.backends.peers.size(), 3u) << "the replay did not open a new connection";
  std::string other, fresh;
  w.backends.peers[1 - reused].receive(other);
  EXPECT_EQ(other, "") << "the replay went to the other idle connection";
  w.backends.peers[2].receive(fresh);
  EXPECT_NE(fresh.find("GET /3 "), std::string::npos) << fresh;
  w.backends.peers[2].send(ok);
  w.settle();
  w.client.peer.receive(to_client);
  EXPECT_EQ(count(to_client, "HTTP/1.1 200"), 3u) << to_client;
}

// RFC 9112 §9.3: a connection is reused only after both messages ended cleanly framed. Bytes
// after a complete response (a body after a 204, RFC 9112 §6.3: here the start of a head the
// decoder waits to complete), or a response abandoned
// mid-body because its client went away, leave the connection's state unknown: the next request
// goes to a new connection and the old one is closed, never handed another request.
TEST(BackendPoolReuse, AConnectionInAnUnknownStateIsNeverReused) {
  for (const bool bytes_after_204 : {true, false}) {
    SCOPED_TRACE(bytes_after_204 ? "octets after a 204" : "a response abandoned mid-body");
    config::Config c = one_backend_config();
    c.clusters[0].max_connections_per_backend = 4;
    OneClientWorker w(std::move(c));
    ASSERT_TRUE(w.open());
    net::MemoryPeer first = w.client.peer;
    first.send(codecs::as_bytes("GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
    w.settle();
    ASSERT_EQ(w.backends.peers.size(), 1u);
    if (bytes_after_204) {
      w.backends.peers[0].send(
          codecs::as_bytes("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nConte"));
      w.settle();
      std::string got;
      first.receive(got);
      ASSERT_NE(got.find("204"), std::string::npos) << got;
    } else {
      w.backends.peers[0].send(
          codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf"));
      w.settle();
      first.reset();  // the client goes away with the response half read
      w.settle();
    }
    // A request from a new client: it must not ride the first connection.
    net::MemoryPeer second = w.add_client("192.0.2.2");
    second.send(codecs::as_bytes("GET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
    w.settle();
    std::string old;
    w.backends.peers[0].receive(old);
    EXPECT_EQ(old.find("GET /2 "), std::string::npos) << "reused: " << old;
    ASSERT_EQ(w.backends.peers.size(), 2u) << "the second request did not get a new connection";
    EXPECT_TRUE(w.backends.peers[0].stream_gone()) << "the unknown connection was kept open";
  }
}

// An HTTP/1.1 client asks for a `body`-octet response and reads up to `per_read` octets of it
// every 600 ms, the stall limit being 1000 ms. Returns the rounds it took, or -1 (with a test
// failure) if the client was cut or the response did not arrive whole.
int read_slowly(size_t body, size_t per_read) {
  config::Config c = one_backend_config();
  c.timeouts.flow_control_stall = config::Millis(1000);
  OneClientWorker w(std::move(c));
  EXPECT_TRUE(w.open());
  w.client.peer.send(codecs::as_bytes("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"));
  w.settle();
  EXPECT_EQ(w.backends.peers.size(), 1u);
  if (w.backends.peers.size() != 1) return -1;
  respond(w.backends.peers[0], body);
  w.settle();
  std::string to_client;
  auto body_got = [&]() -> size_t {
    const size_t head_end = to_client.find("\r\n\r\n");
    return head_end == std::string::npos ? 0 : to_client.size() - head_end - 4;
  };
  int rounds = 0;
  for (; rounds < 1000 && body_got() < body; ++rounds) {
    if (w.client.peer.stream_gone()) {
      ADD_FAILURE() << "cut after " << to_client.size() << " octets";
      return -1;
    }
    w.client.peer.receive(to_client, per_read);
    w.settle();
    w.clock.advance(600);
    EXPECT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  EXPECT_EQ(body_got(), body) << "the response was not delivered whole";
  return body_got() == body ? rounds : -1;
}

// timeouts.flow_control_stall bounds how long a response may wait for a client that reads
// nothing; a client that keeps taking what was written, in rounds well inside the limit, is not
// stalled: every pump that moves bytes starts the clock again (the slow-read class of
// CVE-2019-9517 is the client that stops reading). Here it reads all there is each round; the
// body (far more than the client pipe and the proxy's buffers hold) takes many times the limit.
TEST(ClientSessionStall, AReaderThatKeepsReadingIsNotCut) {
  EXPECT_GT(read_slowly(4 << 20, SIZE_MAX), 5);
}

// A client that reads, however slowly, is not a stalled one: here it takes 16 KiB every 600 ms
// (27 KiB/s), much less than the proxy's output buffers hold, so for seconds at a time the
// exchange hands the codec nothing while the socket keeps taking bytes. The stall limit (1 s)
// counts from the socket's last progress, as nginx's send_timeout and HAProxy's timeout client
// do; before, the client was cut at 1 s.
TEST(ClientSessionStall, AClientReadingSlowerThanTheBuffersDrainIsNotCut) {
  EXPECT_GT(read_slowly(1 << 20, 16 * 1024), 50);
}

// What an HTTP/2 test client sees: the resets per stream and the body bytes per stream.
struct H2ClientView : codecs::EventSink {
  std::map<codecs::StreamId, size_t> body;
  std::map<codecs::StreamId, uint32_t> resets;
  std::map<codecs::StreamId, uint16_t> status;
  void on_head(codecs::StreamId s, codecs::MessageHead& h) override { status[s] = h.status; }
  void on_data(codecs::StreamId s, codecs::Bytes d) override { body[s] += d.size(); }
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId s, uint32_t code) override { resets[s] = code; }
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

// An HTTP/2 client on our own codec, speaking over a harness's client pipe.
struct H2Client {
  explicit H2Client(net::MemoryPeer& p) : peer(p), h2(codecs::h2::Role::Client, seen) {}

  // Opens a stream: METHOD http://a.test PATH, with a content-length when `length` is given.
  codecs::Result<codecs::StreamId> open(std::string_view method, std::string_view path,
                                        bool end_stream, std::optional<uint64_t> length = {}) {
    codecs::MessageHead head;
    head.method = method;
    head.scheme = "http";
    head.authority = "a.test";
    head.path = path;
    if (length) {
      head.framing = codecs::Framing::KnownLength;
      head.content_length = *length;
    }
    return h2.submit_headers(0, head, end_stream);
  }
  // Sends what the codec framed.
  void send() {
    codecs::ByteBuffer out;
    h2.take_output(out);
    peer.send(out.bytes());
  }
  // Reads up to `max` octets the proxy wrote and feeds the whole frames among them to the codec
  // (a frame cut short waits for the next read). False on a connection error.
  bool read(size_t max = SIZE_MAX) {
    std::string chunk;
    peer.receive(chunk, max);
    pending += chunk;
    auto fed = h2.feed(codecs::as_bytes(pending));
    if (!fed) return false;
    pending.erase(0, *fed);
    return true;
  }

  net::MemoryPeer& peer;
  H2ClientView seen;
  codecs::h2::Connection h2;
  std::string pending;
};

// One GET on an HTTP/2 connection whose backend answers `size` octets; the stream's id.
codecs::StreamId one_response(OneClientWorker& w, H2Client& client, size_t size) {
  auto sid = client.open("GET", "/", true);
  EXPECT_TRUE(sid);
  client.send();
  w.settle();
  EXPECT_EQ(w.backends.peers.size(), 1u);
  if (w.backends.peers.size() != 1) return 0;
  respond(w.backends.peers[0], size);
  w.settle();
  return sid.value_or(0);
}

// A 1 s flow_control_stall, a backend connection per request, and two GETs on one HTTP/2
// connection whose backends each answer `size` octets; the two streams' ids.
std::pair<codecs::StreamId, codecs::StreamId> two_responses(OneClientWorker& w, H2Client& client,
                                                            size_t size) {
  auto a = client.open("GET", "/a", true);
  auto b = client.open("GET", "/b", true);
  EXPECT_TRUE(a && b);
  client.send();
  w.settle();
  EXPECT_EQ(w.backends.peers.size(), 2u);
  for (auto& backend : w.backends.peers) respond(backend, size);
  w.settle();
  return {a.value_or(0), b.value_or(0)};
}

config::Config two_stream_stall_config() {
  config::Config c = one_backend_config();
  c.timeouts.flow_control_stall = config::Millis(1000);
  c.clusters[0].max_connections_per_backend = 4;
  return c;
}

// RFC 9113 §5.2: a stream whose window the client holds at zero is a stalled one, however many
// bytes its siblings on the same connection take: the socket's progress restarts the stall only
// of streams whose windows are open (a slow reader), never of a zero-window stream.
TEST(ClientSessionStall, AZeroWindowStreamIsCutWhileItsSiblingFlows) {
  OneClientWorker w(two_stream_stall_config());
  ASSERT_TRUE(w.open());
  H2Client client(w.client.peer);
  // The client returns flow credit for what it reads of the second stream only: the first one
  // stays at zero once its initial 65,535 octets are out.
  const auto [stalled, flowing] = two_responses(w, client, 4 << 20);
  // The client reads 96 KiB every 300 ms and credits the second stream as it reads: that stream
  // moves all the time, its window reopened within each round.
  const H2ClientView& seen = client.seen;
  for (int round = 0; round < 10; ++round) {
    const size_t before = client.seen.body[flowing];
    ASSERT_TRUE(client.read(96 * 1024));
    client.h2.consume(flowing, client.seen.body[flowing] - before);
    client.send();
    w.settle();
    w.clock.advance(300);
    ASSERT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  EXPECT_GT(seen.body.at(flowing), 0u);
  EXPECT_EQ(seen.resets.count(flowing), 0u) << "the reading stream was cut";
  ASSERT_EQ(seen.resets.count(stalled), 1u)
      << "a zero-window stream outlived flow_control_stall three times over";
  EXPECT_EQ(seen.resets.at(stalled), static_cast<uint32_t>(codecs::H2Code::Cancel));
}

// A normal client, reading slowly and crediting every stream as it reads: a stream's window
// reaches zero while its bytes still wait in the proxy's output buffers (or the pipe) behind a
// sibling's, where the client cannot have read them, so it cannot have credited them either.
// When such a stall expires while the client's side keeps acknowledging more, it starts again;
// only a stream whose every framed octet the client's side took, window still shut, is stalled.
TEST(ClientSessionStall, AStreamWhoseBytesWaitBehindASiblingIsNotCut) {
  OneClientWorker w(two_stream_stall_config());
  ASSERT_TRUE(w.open());
  H2Client client(w.client.peer);
  const auto [first, second] = two_responses(w, client, 512 * 1024);
  H2ClientView& seen = client.seen;
  std::map<codecs::StreamId, size_t> credited;
  for (int round = 0;
       round < 400 && (seen.body[first] < 512 * 1024 || seen.body[second] < 512 * 1024); ++round) {
    ASSERT_TRUE(client.read(16 * 1024));
    for (const codecs::StreamId s : {first, second}) {
      client.h2.consume(s, seen.body[s] - credited[s]);
      credited[s] = seen.body[s];
    }
    client.send();
    w.settle();
    w.clock.advance(600);
    ASSERT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  EXPECT_EQ(seen.resets.count(first), 0u) << "cut while its bytes waited in the proxy";
  EXPECT_EQ(seen.resets.count(second), 0u) << "cut while its bytes waited in the proxy";
  EXPECT_EQ(seen.body[first], 512u * 1024);
  EXPECT_EQ(seen.body[second], 512u * 1024);
}

// The slow-read attack (CVE-2019-9517's class): a client that reads nothing at all, its stream at
// a zero window with DATA still in the proxy's buffers. Unread bytes do not make it a slow
// reader: only a client's side that acknowledges more while the stall runs is one. Cut at the
// stall limit, not one period later.
TEST(ClientSessionStall, AClientThatReadsNothingIsCutThoughItsBytesWaitInTheProxy) {
  config::Config c = one_backend_config();
  c.timeouts.flow_control_stall = config::Millis(1000);
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  H2Client client(w.client.peer);
  auto sid = client.open("GET", "/", true);
  ASSERT_TRUE(sid);
  client.send();
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 1u);
  // The first 16 KiB the client reads; then it stops, its window at zero.
  w.backends.peers[0].send(codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"));
  w.backends.peers[0].send(codecs::as_bytes(std::string(16384, 'x')));
  w.settle();
  ASSERT_TRUE(client.read());
  ASSERT_EQ(client.seen.body[*sid], 16384u);
  w.backends.peers[0].send(codecs::as_bytes(std::string((1 << 20) - 16384, 'x')));
  w.settle();
  for (int step = 0; step < 3; ++step) {  // 1,200 ms
    w.clock.advance(400);
    ASSERT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  // Now it reads what is there (never crediting): the proxy's RST_STREAM follows the DATA.
  for (int round = 0; round < 100 && w.client.peer.pending() > 0; ++round) {
    ASSERT_TRUE(client.read());
    w.settle();
  }
  ASSERT_EQ(client.seen.resets.count(*sid), 1u) << "a client reading nothing outlived the limit";
  EXPECT_EQ(client.seen.resets.at(*sid), static_cast<uint32_t>(codecs::H2Code::Cancel));
}

// Under pressure (another client's request waits for the backend connection a stalled stream
// holds) the stall ends at the grace after its start: a zero-window stream whose bytes the
// client is still reading its way to gets no second period then.
TEST(ClientSessionStall, UnderPressureAStreamAwaitingDeliveryIsCutAtTheGrace) {
  config::Config c = one_backend_config();
  c.timeouts.flow_control_stall = config::Millis(10000);
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  H2Client client(w.client.peer);
  const codecs::StreamId sid = one_response(w, client, 1 << 20);
  ASSERT_NE(sid, 0u);
  net::MemoryPeer other = w.add_client("192.0.2.2");
  other.send(codecs::as_bytes("GET /other HTTP/1.1\r\nHost: a.test\r\n\r\n"));
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 1u) << "the other request should wait at the cap";
  for (int step = 0; step < 3; ++step) {  // 1,200 ms, reading 16 KiB each 400 ms, no credit
    ASSERT_TRUE(client.read(16 * 1024));
    w.settle();
    w.clock.advance(400);
    ASSERT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  EXPECT_LT(client.seen.body[sid], 65535u) << "the stream's bytes were all read: no test";
  for (int round = 0; round < 100 && w.client.peer.pending() > 0; ++round) {
    ASSERT_TRUE(client.read());
    w.settle();
  }
  ASSERT_EQ(client.seen.resets.count(sid), 1u) << "held its connection past the grace";
}

// RFC 9113 §6.9: a client may return flow credit in small steps. Each WINDOW_UPDATE lets a few
// octets out and the stream is blocked again at once, but it moved: its stall starts again at
// every step, so a stream credited 8 KiB every 600 ms outlives a 1 s flow_control_stall.
TEST(ClientSessionStall, AStreamCreditedInSmallStepsIsNotCut) {
  config::Config c = one_backend_config();
  c.timeouts.flow_control_stall = config::Millis(1000);
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  H2Client client(w.client.peer);
  const codecs::StreamId sid = one_response(w, client, 1 << 20);
  ASSERT_NE(sid, 0u);
  H2ClientView& seen = client.seen;
  size_t credited = 0;
  for (int round = 0; round < 10; ++round) {
    ASSERT_TRUE(client.read());
    // 8 KiB of what arrived is handed to the application: the window, at zero, reopens by that.
    const size_t step = std::min<size_t>(8192, seen.body[sid] - credited);
    client.h2.consume(sid, step);
    credited += step;
    client.send();
    w.settle();
    w.clock.advance(600);
    ASSERT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  EXPECT_EQ(seen.resets.count(sid), 0u) << "a stream credited every 600 ms was cut";
  EXPECT_GE(seen.body[sid], 65535u + 8 * 8192u);
}

// limits.max_request_body holds for HTTP/2 requests as for HTTP/1.1 ones: a declared length
// past it gets 413 before anything is forwarded, a body that grows past it gets 413 and the
// backend's copy of the request is abandoned (its HTTP/1.1 connection closes before the last
// chunk): the backend never receives a whole request larger than the limit.
TEST(ClientSessionLimits, AnHttp2BodyPastMaxRequestBodyIsRefused) {
  for (const bool declared : {true, false}) {
    SCOPED_TRACE(declared ? "content-length past the limit" : "a body growing past the limit");
    config::Config c = one_backend_config();
    c.limits.max_request_body = 100;
    OneClientWorker w(std::move(c));
    ASSERT_TRUE(w.open());
    H2Client client(w.client.peer);
    auto exchange_bytes = [&] {
      client.send();
      w.settle();
      ASSERT_TRUE(client.read());
    };
    auto sid = client.open("POST", "/upload", false,
                           declared ? std::optional<uint64_t>(200) : std::nullopt);
    ASSERT_TRUE(sid);
    const std::string sixty(60, 'b');
    ASSERT_TRUE(client.h2.submit_data(*sid, codecs::as_bytes(sixty), false));
    exchange_bytes();
    if (declared) {
      EXPECT_EQ(w.backends.peers.size(), 0u) << "a refused request reached a backend";
    } else {
      ASSERT_EQ(w.backends.peers.size(), 1u) << "60 octets are within the limit";
      EXPECT_EQ(client.seen.status.count(*sid), 0u);
      ASSERT_TRUE(client.h2.submit_data(*sid, codecs::as_bytes(sixty), false));
      exchange_bytes();
      std::string got;
      w.backends.peers[0].receive(got);
      EXPECT_NE(got.find("POST /upload "), std::string::npos) << got;
      EXPECT_EQ(got.find("0\r\n\r\n"), std::string::npos) << "the cut request ended cleanly";
      EXPECT_TRUE(w.backends.peers[0].stream_gone()) << "the backend connection was kept";
    }
    EXPECT_EQ(client.seen.status[*sid], 413);
  }
}

// The limit is the largest body forwarded: exactly max_request_body octets go through whole.
TEST(ClientSessionLimits, AnHttp2BodyOfExactlyMaxRequestBodyIsForwarded) {
  config::Config c = one_backend_config();
  c.limits.max_request_body = 100;
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  H2Client client(w.client.peer);
  auto sid = client.open("POST", "/upload", false);
  ASSERT_TRUE(sid);
  const std::string sixty(60, 'b'), forty(40, 'b');
  ASSERT_TRUE(client.h2.submit_data(*sid, codecs::as_bytes(sixty), false));
  ASSERT_TRUE(client.h2.submit_data(*sid, codecs::as_bytes(forty), true));
  client.send();
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 1u);
  std::string got;
  w.backends.peers[0].receive(got);
  EXPECT_NE(got.find("0\r\n\r\n"), std::string::npos) << "the request was not forwarded whole";
  ASSERT_TRUE(client.read());
  EXPECT_EQ(client.seen.status.count(*sid), 0u) << "answered " << client.seen.status[*sid];
}

// RFC 9112 §9.6: an HTTP/1.1 response cut after its head (its backend connection lost, or the
// backend timeout, mid-body) can only be ended by closing the client connection. The response to
// a request pipelined behind it must not follow on the same connection: the client would read
// its status line as the rest of the cut chunked body (mux_session found a 504 and a 400 there).
TEST(ClientSessionCut, NothingFollowsAnHttp11ResponseCutAfterItsHead) {
  for (const bool timeout : {false, true}) {
    // The second response arrives whole before the cut (it must not be written), or not yet
    // (the connection must close at once, not wait for it).
    for (const bool second_first : {true, false}) {
      SCOPED_TRACE(std::string(timeout ? "backend timeout" : "backend connection lost") +
                   (second_first ? ", second response held" : ", second response pending"));
      config::Config c = one_backend_config();
      c.clusters[0].max_connections_per_backend = 4;  // each request gets its own connection
      OneClientWorker w(std::move(c));
      ASSERT_TRUE(w.open());
      w.client.peer.send(codecs::as_bytes(
          "GET /1 HTTP/1.1\r\nHost: a.test\r\n\r\nGET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
      w.settle();
      ASSERT_EQ(w.backends.peers.size(), 2u);
      // The first response stops inside its chunked body.
      w.backends.peers[0].send(
          codecs::as_bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"));
      const auto second = codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      if (second_first) w.backends.peers[1].send(second);
      w.settle();
      std::string to_client;
      w.client.peer.receive(to_client);
      ASSERT_EQ(count(to_client, "HTTP/1.1 "), 1u) << to_client;
      if (timeout) {
        w.clock.advance(static_cast<uint64_t>(w.cfg.timeouts.backend_response.count()) + 1);
        ASSERT_TRUE(w.loop->run_once(0));  // the timers due
      } else {
        w.backends.peers[0].reset();
      }
      w.settle();
      EXPECT_TRUE(w.client.peer.stream_gone()) << "the cut must close the client connection";
      if (!second_first && !w.backends.peers[1].stream_gone()) w.backends.peers[1].send(second);
      w.settle();
      w.client.peer.receive(to_client);
      EXPECT_EQ(count(to_client, "HTTP/1.1 "), 1u) << "a second status line after a cut response:\n"
                                                   << to_client;
    }
  }
}

}  // namespace
}  // namespace crossmux::mux::proxy
