// The HTTP/1.1 suite fails deliberately wrong servers for every verdict type, so a runner that
// always says ✔ cannot pass: one that accepts everything (never rejects, never closes) and one that
// rejects everything.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <sstream>
#include <thread>

#include "conformance/h1/suite.h"
#include "conformance/runner.h"

namespace crossmux::conformance::h1 {
namespace {

// Accepts connections until stopped; `serve` handles each one on the accept thread.
class WrongServer {
 public:
  explicit WrongServer(std::function<void(int)> serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      while (!stop_) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) break;
        serve_(c);
        ::close(c);
      }
    });
  }
  ~WrongServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  std::function<void(int)> serve_;
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::set<std::string> failed_ids(uint16_t port, std::vector<std::string> specs = {},
                                 int timeout_ms = 150) {
  Target t;
  t.port = port;
  t.timeout_ms = timeout_ms;
  RunOptions o;
  o.specs = std::move(specs);
  o.progress = false;
  std::ostringstream out;
  auto s = run(build_suite(t), o, out);
  std::set<std::string> ids;
  for (const auto& r : s.results) {
    if (r.outcome.verdict == Verdict::Fail) ids.insert(r.id);
  }
  return ids;
}

TEST(H1Suite, AcceptEverythingServerFailsRejectAndDesyncVerdicts) {
  // Answers 200 to every line it reads and never closes: it accepts malformed requests and
  // answers hidden ones.
  WrongServer server([](int fd) {
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    std::string in(buf, static_cast<size_t>(n));
    size_t requests = 0;
    for (size_t at = 0; (at = in.find("HTTP/1.1", at)) != std::string::npos; ++at) ++requests;
    std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (size_t i = 0; i < std::max<size_t>(requests, 1); ++i)
      ::send(fd, ok.data(), ok.size(), MSG_NOSIGNAL);
    ::recv(fd, buf, sizeof buf, 0);  // hold the connection open past the client's timeout
  });
  auto failed = failed_ids(server.port());
  EXPECT_TRUE(failed.count("http1/3/1")) << "RejectClose: two spaces accepted";
  EXPECT_TRUE(failed.count("http1/6/1")) << "RejectClose: CL.TE accepted";
  EXPECT_TRUE(failed.count("http1/6/17")) << "NoDesync: the hidden request was answered";
  EXPECT_TRUE(failed.count("http1/9.3/2")) << "OkThenReject: the invalid request was answered";
  EXPECT_TRUE(failed.count("http1/9.3/3")) << "OkClose: Connection: close not honoured";
  EXPECT_FALSE(failed.count("http1/2.2/1")) << "a valid request is answered normally";
}

TEST(H1Suite, RejectEverythingServerFailsOkVerdicts) {
  WrongServer server([](int fd) {
    char buf[4096];
    ::recv(fd, buf, sizeof buf, 0);
    std::string bad = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    ::send(fd, bad.data(), bad.size(), MSG_NOSIGNAL);
  });
  auto failed = failed_ids(server.port());
  EXPECT_TRUE(failed.count("http1/2.2/1")) << "Ok: a valid request was rejected";
  EXPECT_TRUE(failed.count("http1/9.3/1")) << "Ok(2): pipelined requests rejected";
  EXPECT_TRUE(failed.count("http1/9.3/2")) << "OkThenReject: the first request was rejected";
  EXPECT_FALSE(failed.count("http1/3/1")) << "a malformed request is rightly rejected";
  EXPECT_FALSE(failed.count("http1/2.2/2")) << "RejectOrOk passes on a rejection";
}

// Ends a line at CRLF, LF or a bare CR, frames bodies by Content-Length and answers 200 to every
// request it reads, then holds the connection open: the line splitting RFC 9112 §2.2 forbids.
size_t requests_read_splitting_at_cr(const std::string& in) {
  size_t at = 0, requests = 0;
  while (at < in.size()) {
    size_t length = 0;
    bool head_ended = false;
    while (at < in.size() && !head_ended) {
      size_t end = in.find_first_of("\r\n", at);
      if (end == std::string::npos) return requests;
      std::string line = in.substr(at, end - at);
      at = end + ((in[end] == '\r' && end + 1 < in.size() && in[end + 1] == '\n') ? 2 : 1);
      if (line.empty()) head_ended = true;
      if (line.rfind("Content-Length:", 0) == 0)
        length = std::strtoul(line.c_str() + 15, nullptr, 10);
    }
    if (!head_ended || in.size() - at < length) return requests;
    at += length;
    ++requests;
  }
  return requests;
}

TEST(H1Suite, ServerEndingLinesAtABareCrFailsTheBareCrCase) {
  // Reads until the client has been quiet for 100 ms (a request may come in several segments on
  // a loaded machine), answers, then holds the connection open past the client's timeout. The
  // client waits up to 1 s for an answer: 150 ms was missed under load (flaky).
  WrongServer server([](int fd) {
    timeval tv{0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    std::string in;
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      in.append(buf, static_cast<size_t>(n));
    if (in.empty()) return;
    std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (size_t i = requests_read_splitting_at_cr(in); i > 0; --i)
      ::send(fd, ok.data(), ok.size(), MSG_NOSIGNAL);
    timeval hold{1, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &hold, sizeof hold);
    ::recv(fd, buf, sizeof buf, 0);
  });
  auto failed = failed_ids(server.port(), {"http1/2.2"}, 1000);
  EXPECT_TRUE(failed.count("http1/2.2/3")) << "the bare CR ended a line: a hidden request";
  EXPECT_FALSE(failed.count("http1/2.2/1")) << "a valid request is answered normally";
}

}  // namespace
}  // namespace crossmux::conformance::h1
