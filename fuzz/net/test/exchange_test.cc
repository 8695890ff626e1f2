// run_exchange over HTTP/1.1 against scripted servers: what counts as answered, hung, an extra
// response and an unparseable one, with the request stream read the way our strict decoder
// reads it.
#include "fuzz/net/exchange.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace crossmux::fuzz::net {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One connection: reads until the request went quiet for 50 ms, writes `reply`, then closes
// when the client does (or at once with `close_after`).
class Scripted {
 public:
  Scripted(std::string reply, bool close_after) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply, close_after] {
      int c = ::accept(fd_, nullptr, nullptr);
      char buf[4096];
      pollfd p{c, POLLIN, 0};
      while (::poll(&p, 1, 50) > 0 && ::recv(c, buf, sizeof buf, 0) > 0) {
      }
      if (!reply.empty()) (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      if (!close_after) {
        while (::poll(&p, 1, 3000) > 0 && ::recv(c, buf, sizeof buf, 0) > 0) {
        }
      }
      ::close(c);
    });
  }
  ~Scripted() {
    thread_.join();
    ::close(fd_);
  }
  Target target() const {
    Target t;
    t.port = port_;
    t.name = "scripted";
    return t;
  }

 private:
  int fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// `timeout_ms`: long where the answers are expected (a loaded machine, ASan, must not turn them
// into a hang), 300 where the test waits it out.
Exchange run(std::string request, std::string reply, bool close_after = false,
             int timeout_ms = 2000) {
  Scripted s(std::move(reply), close_after);
  ExchangeOptions o;
  o.timeout_ms = timeout_ms;
  NetCase c{Proto::H1, split_units(Proto::H1, request)};
  return run_exchange(s.target(), c, o, 1);
}

std::vector<std::string> rules(const Exchange& x) {
  std::vector<std::string> r;
  for (const auto& v : x.violations) r.push_back(v.rule);
  return r;
}

const std::string kGet = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

TEST(H1Exchange, AnsweredRequestsSettle) {
  auto x = run(kGet + kGet, kOk + kOk);
  EXPECT_TRUE(x.connected);
  EXPECT_EQ(x.requests, 2u);
  EXPECT_THAT(x.statuses, ElementsAre(200, 200));
  EXPECT_FALSE(x.timed_out);
  EXPECT_TRUE(x.closed);  // the client ended its side; the server closed
  EXPECT_THAT(rules(x), IsEmpty());
}

TEST(H1Exchange, ACompleteRequestWithoutAnswerIsAHang) {
  auto x = run(kGet + kGet, kOk, false, 300);
  EXPECT_TRUE(x.timed_out);
  EXPECT_EQ(x.hang_detail, "1 complete request(s) not answered within 300 ms");
}

TEST(H1Exchange, AnIncompleteRequestOwesNothing) {
  auto x = run("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", "");
  EXPECT_EQ(x.requests, 0u);
  EXPECT_TRUE(x.request_tail);
  EXPECT_FALSE(x.timed_out);
}

TEST(H1Exchange, AResponseThatStopsHalfwayIsAHang) {
  auto x = run(kGet, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", false, 300);
  EXPECT_TRUE(x.timed_out);
  EXPECT_EQ(x.hang_detail, "a response started but did not finish within 300 ms");
}

TEST(H1Exchange, AResponseToBytesWeCouldNotReadOwesNoBody) {
  // The server read a HEAD past a request line our strict decoder rejects (a space before CRLF,
  // which nginx takes): its 200 with Content-Length and no body is no hang (found against nginx).
  auto x = run(kGet + "HEAD / HTTP/1.1 \r\nHost: a\r\n\r\n",
               kOk + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, 300);
  EXPECT_TRUE(x.request_tail);
  EXPECT_THAT(x.statuses, ElementsAre(200, 200));
  EXPECT_FALSE(x.timed_out) << x.hang_detail;
  // The same past a request that closes the connection, which nginx reads on when a later
  // Connection field says keep-alive: the extra response is the finding, not a hang.
  auto y = run("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nHEAD / HTTP/1.1\r\n\r\n",
               kOk + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false, 300);
  EXPECT_FALSE(y.timed_out) << y.hang_detail;
  EXPECT_THAT(rules(y), ElementsAre("extra-response"));
}

TEST(H1Exchange, RequestLinesInBytesWeRejectAreCountedLeniently) {
  auto x =
      run(kGet + "HEAD / HTTP/1.2\nHost:\n\nS / HTTP/1.1\r\nHost: a\r\n\r\nbody x HTTP\r\n", kOk);
  EXPECT_EQ(x.requests, 1u);
  EXPECT_TRUE(x.request_error);
  EXPECT_EQ(x.tail_request_lines, 2u);
}

TEST(H1Exchange, MoreResponsesThanRequestsIsAViolation) {
  auto x = run(kGet, kOk + kOk, true);
  EXPECT_THAT(rules(x), ElementsAre("extra-response"));
}

TEST(H1Exchange, GarbageAfterKnownRequestsIsJudgedOnlyWhereWeKnowTheRequests) {
  auto x = run(kGet, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE\r\n\r\n", true);
  EXPECT_THAT(rules(x), ElementsAre("response-unparseable"));
  // After bytes our strict reading rejects, the server may have read a request we did not:
  // not judged.
  auto y = run(kGet + "GET\x01 / HTTP/1.1\r\n\r\n",
               "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE\r\n\r\n", true);
  EXPECT_TRUE(y.request_error);
  EXPECT_THAT(rules(y), IsEmpty());
}

TEST(H1Exchange, HeadResponsesAndRefusedUpgradesAreFramedByTheRequests) {
  auto x = run("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + kGet,
               "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + kOk);
  EXPECT_THAT(x.statuses, ElementsAre(200, 200));
  EXPECT_THAT(rules(x), IsEmpty());
  auto y =
      run("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n" + kGet,
          kOk + kOk);
  EXPECT_EQ(y.requests, 2u);
  EXPECT_THAT(rules(y), IsEmpty());
}

TEST(H1Exchange, BytesAfterARefusedConnectMayBeReadAsRequests) {
  // nghttpx answered the CONNECT with the origin's 404 and the NULs behind it with a 400 (RFC
  // 9110 §9.3.6: after a refusal the connection stays HTTP/1.1): no extra response.
  const std::string connect = "CONNECT example.com:443 HTTP/1.1\r\nHost: e\r\n\r\n";
  const std::string not_found = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
  auto x = run(connect + std::string(5, '\0'),
               not_found + "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", true);
  EXPECT_EQ(x.requests, 1u);
  EXPECT_TRUE(x.request_tail);
  EXPECT_THAT(rules(x), IsEmpty());
  // After Connection: close the stream ends for good: a server reading on is still caught.
  auto y = run("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + kGet, kOk + kOk, true);
  EXPECT_THAT(rules(y), ElementsAre("extra-response"));
}

TEST(H1Exchange, NothingListeningIsAConnectError) {
  Target t;
  t.port = 1;  // privileged and unused
  auto x = run_exchange(t, NetCase{Proto::H1, {kGet}}, ExchangeOptions{}, 1);
  EXPECT_FALSE(x.connected);
  EXPECT_EQ(x.connect_error, "connection refused");
}

}  // namespace
}  // namespace crossmux::fuzz::net
