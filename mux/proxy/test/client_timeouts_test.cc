// The request-head timeout (timeouts.request_headers) of an HTTP/1.1 client connection: a 408
// only for a head the client began and did not finish in time, never for input held behind a
// request or part of a body. Driven in memory (one_client_worker.h).
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mux/config/config.h"
#include "mux/net/memory_stream.h"
#include "mux/proxy/test/one_client_worker.h"

namespace crossmux::mux::proxy {
namespace {

using namespace memory_test;

// Lets `ms` of virtual time pass: the client must have been sent nothing and still be connected.
::testing::AssertionResult nothing_sent_after(OneClientWorker& w, uint64_t ms) {
  w.clock.advance(ms);
  if (!w.loop->run_once(0)) return ::testing::AssertionFailure() << "the loop failed";
  w.settle();
  std::string got;
  w.client.peer.receive(got);
  if (!got.empty())
    return ::testing::AssertionFailure() << "an answer before the backend's: " << got;
  if (w.client.peer.stream_gone()) return ::testing::AssertionFailure() << "the connection closed";
  return ::testing::AssertionSuccess();
}

// timeouts.request_headers measures a client that is slow to send a request head. Bytes
// pipelined behind a WebSocket upgrade request wait, unread, for the backend's answer to it (they
// are tunnel data if it accepts), and bytes after a `Connection: close` request are never read
// (RFC 9112 §9.6): neither is the client's delay. They drew a 408 "request headers timeout" that
// closed the connection while the request was still at the backend, whose answer the client
// then never got (mux_session).
TEST(ClientSessionTimeouts, BytesHeldBehindARequestAreNotAHeadTimeout) {
  for (const bool upgrade : {true, false}) {
    SCOPED_TRACE(upgrade ? "behind an upgrade request" : "behind a Connection: close request");
    config::Config c = one_backend_config();
    c.timeouts.request_headers = config::Millis(200);
    c.timeouts.backend_response = config::Millis(1000);
    OneClientWorker w(std::move(c));
    ASSERT_TRUE(w.open());
    w.client.peer.send(codecs::as_bytes(
        upgrade ? "GET /1 HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\nConnection: "
                  "upgrade\r\n\r\n"
                : "GET /1 HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"));
    w.settle();
    ASSERT_EQ(w.backends.peers.size(), 1u);
    w.client.peer.send(codecs::as_bytes("GET /2 HTTP/1.1\r\nHost: a.test\r\n\r\n"));
    w.settle();
    ASSERT_TRUE(nothing_sent_after(w, 500));  // past request_headers, before backend_response
    std::string to_client;
    // The backend answers (declining the upgrade): the client gets that answer; after an upgrade
    // declined the held bytes are the next request, forwarded in turn.
    respond(w.backends.peers[0], 2);
    w.settle();
    w.client.peer.receive(to_client);
    EXPECT_EQ(count(to_client, "HTTP/1.1 200 OK"), 1u) << to_client;
    EXPECT_EQ(count(to_client, "HTTP/1.1 "), 1u) << to_client;
    std::string to_backend;
    for (auto& backend : w.backends.peers) backend.receive(to_backend);
    EXPECT_EQ(count(to_backend, "GET /2 HTTP/1.1"), upgrade ? 1u : 0u) << to_backend;
    EXPECT_EQ(w.client.peer.stream_gone(), !upgrade);
    const std::string metrics = w.worker.metrics().sync({}).render();
    EXPECT_NE(metrics.find("crossmux_limit_hits_total{side=\"client\",limit=\"request_headers_"
                           "timeout\"} 0\n"),
              std::string::npos)
        << "counted as a client too slow to send a head";
  }
}

// timeouts.request_headers is for a request head. A chunked body whose framing is part-sent
// belongs to a request whose head was whole and forwarded: a chunk-size line drew a 408 "request
// headers timeout" that aborted that request and answered it in its place (mux_session's
// head-timeout oracle); a chunk's CRLF and a trailer section are held to the same rule. The
// exchange's deadlines cover a slow body.
TEST(ClientSessionTimeouts, PartOfAChunkedBodyIsNotAHeadTimeout) {
  for (const std::string_view part : {"5", "5\r\nhello\r", "0\r\nx-t: 1"}) {
    SCOPED_TRACE(part);
    config::Config c = one_backend_config();
    c.timeouts.request_headers = config::Millis(200);
    c.timeouts.backend_response = config::Millis(1000);
    OneClientWorker w(std::move(c));
    ASSERT_TRUE(w.open());
    w.client.peer.send(
        codecs::as_bytes("POST /1 HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n"));
    w.client.peer.send(codecs::as_bytes(part));
    w.settle();
    ASSERT_EQ(w.backends.peers.size(), 1u);
    ASSERT_TRUE(nothing_sent_after(w, 500));  // past request_headers, before backend_response
    std::string to_client;
    // The body completes and the backend answers: the client gets that answer.
    const std::string_view rest = part == "5"              ? "\r\nhello\r\n0\r\n\r\n"
                                  : part == "5\r\nhello\r" ? "\n0\r\n\r\n"
                                                           : "\r\n\r\n";
    w.client.peer.send(codecs::as_bytes(rest));
    w.settle();
    std::string to_backend;
    w.backends.peers[0].receive(to_backend);
    EXPECT_EQ(count(to_backend, "POST /1 HTTP/1.1"), 1u) << to_backend;
    EXPECT_TRUE(to_backend.ends_with(part[0] == '0' ? "x-t: 1\r\n\r\n" : "0\r\n\r\n"))
        << to_backend;  // the whole body, its last chunk (and trailer section) included
    respond(w.backends.peers[0], 2);
    w.settle();
    w.client.peer.receive(to_client);
    EXPECT_EQ(count(to_client, "HTTP/1.1 200 OK"), 1u) << to_client;
    EXPECT_EQ(count(to_client, "HTTP/1.1 "), 1u) << to_client;
  }
}

// The same after the backend answered early, the body still part-sent: the exchange is over and
// the idle timeout that finds those bytes waiting closes the connection; it drew a 408 "request
// headers timeout" in the place of a request the client never began.
TEST(ClientSessionTimeouts, AnIdleTimeoutInsideABodyIsNotAHeadTimeout) {
  config::Config c = one_backend_config();
  c.timeouts.request_headers = config::Millis(200);
  c.timeouts.client_idle = config::Millis(500);
  c.timeouts.stream_progress = config::Millis(300);
  OneClientWorker w(std::move(c));
  ASSERT_TRUE(w.open());
  w.client.peer.send(
      codecs::as_bytes("POST /1 HTTP/1.1\r\nHost: a.test\r\nTransfer-Encoding: chunked\r\n\r\n5"));
  w.settle();
  ASSERT_EQ(w.backends.peers.size(), 1u);
  respond(w.backends.peers[0], 2);
  w.settle();
  // The exchange waits for the rest of the body (stream_progress), then the connection idles.
  for (int i = 0; i < 4; ++i) {
    w.clock.advance(1000);
    ASSERT_TRUE(w.loop->run_once(0));
    w.settle();
  }
  std::string to_client;
  w.client.peer.receive(to_client);
  EXPECT_EQ(count(to_client, "HTTP/1.1 200 OK"), 1u) << to_client;
  EXPECT_EQ(count(to_client, "HTTP/1.1 "), 1u) << to_client;
  EXPECT_TRUE(w.client.peer.stream_gone()) << "not closed at the idle timeout";
}

}  // namespace
}  // namespace crossmux::mux::proxy
