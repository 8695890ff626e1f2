// Every verdict primitive fails against a deliberately wrong tiny server (and passes against a
// right one), so a runner that always says ✔ cannot pass.
#include "conformance/h2/verdicts.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

namespace crossmux::conformance::h2 {
namespace {

std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string payload) {
  std::string f{static_cast<char>(payload.size() >> 16),
                static_cast<char>(payload.size() >> 8),
                static_cast<char>(payload.size()),
                static_cast<char>(type),
                static_cast<char>(flags),
                static_cast<char>(stream >> 24),
                static_cast<char>(stream >> 16),
                static_cast<char>(stream >> 8),
                static_cast<char>(stream)};
  return f + payload;
}
std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
// GOAWAY payload: last-stream-id 0 and the error code.
std::string goaway_payload(uint32_t c) {
  return u32(0) + u32(c);
}

// A one-connection server: completes the handshake, then runs `script` with the socket.
class TinyServer {
 public:
  explicit TinyServer(std::function<void(int fd)> script) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, script] {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      char buf[4096];
      ::recv(fd, buf, sizeof buf, 0);  // preface + SETTINGS (one small write)
      std::string hs = frame(4, 0, 0, "") + frame(4, 1, 0, "");
      ::send(fd, hs.data(), hs.size(), MSG_NOSIGNAL);
      script(fd);
      ::close(fd);
    });
  }
  ~TinyServer() {
    thread_.join();
    ::close(listen_fd_);
  }
  Target target() const {
    Target t;
    t.port = port_;
    t.timeout_ms = 300;
    return t;
  }

 private:
  int listen_fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

void send_all(int fd, const std::string& s) {
  ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
}
void drain_briefly(int fd) {
  char buf[4096];
  timeval tv{0, 400000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

Outcome against(std::function<void(int)> script, std::function<Outcome(Probe&)> verdict) {
  TinyServer server(std::move(script));
  return with_connection(server.target(), verdict);
}

const std::string kPing("h2spec\0\0", 8);

TEST(Verdicts, SilenceFailsEveryWaitingVerdict) {
  auto silent = [](int fd) { drain_briefly(fd); };
  EXPECT_EQ(
      against(silent, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); }).verdict,
      Verdict::Fail);
  EXPECT_EQ(
      against(silent, [](Probe& p) { return expect_stream_error(p, {kProtocolError}); }).verdict,
      Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_response(p, 1); }).verdict, Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_ping_ack(p, kPing, true); }).verdict,
            Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_settings_ack(p); }).verdict,
            Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_frame(p, kData); }).verdict,
            Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_data1(p); }).verdict, Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_close(p); }).verdict, Verdict::Fail);
  EXPECT_EQ(against(silent, [](Probe& p) { return expect_goaway(p); }).verdict, Verdict::Fail);
  auto o = against(silent, [](Probe& p) { return expect_goaway_code(p, kFlowControlError); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_EQ(o.actual, "Timeout");
}

TEST(Verdicts, WrongAnswersFail) {
  // A GOAWAY with the wrong code, and no close: CONN-ERR(PROTOCOL_ERROR) must not pass.
  auto wrong_goaway = [](int fd) {
    send_all(fd, frame(7, 0, 0, goaway_payload(kInternalError)));
    drain_briefly(fd);
  };
  auto o = against(wrong_goaway, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_NE(o.actual.find("GOAWAY Frame"), std::string::npos) << o.actual;
  EXPECT_EQ(against(wrong_goaway, [](Probe& p) { return expect_goaway_code(p, kFlowControlError); })
                .verdict,
            Verdict::Fail);
  // A response on the wrong stream.
  auto wrong_stream = [](int fd) {
    send_all(fd, frame(1, 5, 3, std::string(1, '\x88')));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(wrong_stream, [](Probe& p) { return expect_response(p, 1); }).verdict,
            Verdict::Fail);
  // A PING ACK with other data, and a PING without ACK.
  auto wrong_ping = [](int fd) {
    send_all(fd, frame(6, 1, 0, std::string(8, 'z')));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(wrong_ping, [](Probe& p) { return expect_ping_ack(p, kPing, false); }).verdict,
            Verdict::Fail);
  // SETTINGS without ACK where an ACK is required.
  auto settings = [](int fd) {
    send_all(fd, frame(4, 0, 0, ""));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(settings, [](Probe& p) { return expect_settings_ack(p); }).verdict,
            Verdict::Fail);
  // Two bytes of DATA where one is the most the window allows.
  auto two = [](int fd) {
    send_all(fd, frame(0, 0, 1, "ab"));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(two, [](Probe& p) { return expect_data1(p); }).verdict, Verdict::Fail);
  // A GOAWAY without a close where a TCP close is required.
  auto goaway_only = [](int fd) {
    send_all(fd, frame(7, 0, 0, goaway_payload(kProtocolError)));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(goaway_only, [](Probe& p) { return expect_close(p); }).verdict, Verdict::Fail);
  // A bare close where a FLOW_CONTROL_ERROR GOAWAY is required.
  auto bare_close = [](int) {};
  EXPECT_EQ(against(bare_close, [](Probe& p) { return expect_goaway_code(p, kFlowControlError); })
                .verdict,
            Verdict::Fail);
}

TEST(Verdicts, RightAnswersPass) {
  auto goaway = [](int fd) { send_all(fd, frame(7, 0, 0, goaway_payload(kProtocolError))); };
  EXPECT_EQ(
      against(goaway, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); }).verdict,
      Verdict::Pass);
  auto rst = [](int fd) {
    send_all(fd, frame(3, 0, 1, u32(kStreamClosed)));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(rst, [](Probe& p) { return expect_stream_error(p, {kStreamClosed}); }).verdict,
            Verdict::Pass);
  auto ping = [](int fd) {
    send_all(fd, frame(6, 1, 0, kPing));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(ping, [](Probe& p) { return expect_ping_ack(p, kPing, false); }).verdict,
            Verdict::Pass);
  auto close = [](int) {};
  EXPECT_EQ(against(close, [](Probe& p) { return expect_close(p); }).verdict, Verdict::Pass);
  EXPECT_EQ(
      against(close, [](Probe& p) { return expect_stream_error(p, {kProtocolError}); }).verdict,
      Verdict::Pass);
}

TEST(Verdicts, UnreachableTargetAbortsTheRun) {
  Target t;
  t.port = 1;  // nothing listens on port 1 of loopback
  auto o = with_connection(t, [](Probe&) { return Outcome::pass(); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_TRUE(o.abort_run);
  EXPECT_EQ(o.error, "connection refused");
}

}  // namespace
}  // namespace crossmux::conformance::h2
