// Every verdict primitive fails against a deliberately wrong tiny server (and passes against a
// right one), so a runner that always says ✔ cannot pass.
#include "conformance/h2/verdicts.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <thread>

#include "conformance/h2/frame_check.h"
#include "conformance/h2/suite.h"

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

// A one-connection server: completes the handshake (its SETTINGS carrying `settings`), then
// runs `script` with the socket.
class TinyServer {
 public:
  explicit TinyServer(std::function<void(int fd)> script, std::string settings = "") {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, script, settings] {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      char buf[4096];
      ::recv(fd, buf, sizeof buf, 0);  // preface + SETTINGS (one small write)
      std::string hs = frame(4, 0, 0, settings) + frame(4, 1, 0, "");
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

// FIN after what was sent, then read what the client still sends: a close with unread bytes
// would be a reset, which counts as "connection closed" wherever it comes.
void close_cleanly(int fd) {
  ::shutdown(fd, SHUT_WR);
  drain_briefly(fd);
}

// Reads until the client closes, however long its verdict takes: a case that must fail by a
// timeout then never sees the server's close first on a loaded machine.
void until_client_closes(int fd) {
  char buf[4096];
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

// `timeout_ms` is the probe's read timeout (and its handshake's); a test that tells outcomes
// apart by their text gives it room, so a loaded machine cannot fail the handshake instead.
Outcome against(std::function<void(int)> script, std::function<Outcome(Probe&)> verdict,
                int timeout_ms = 300) {
  TinyServer server(std::move(script));
  Target t = server.target();
  t.timeout_ms = timeout_ms;
  return with_connection(t, verdict);
}

// Bytes the client sends within 400 ms (after the handshake's first write).
size_t count_received(int fd) {
  char buf[65536];
  timeval tv{0, 400000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t total = 0;
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) total += static_cast<size_t>(n);
  return total;
}

// The case `id` ("http2/4.2/2") in `s` or its subsections.
const Case* find_case(const Section& s, const std::string& id) {
  for (size_t i = 0; i < s.cases.size(); ++i) {
    if (s.id + "/" + std::to_string(i + 1) == id) return &s.cases[i];
  }
  for (const auto& child : s.children) {
    if (const Case* c = find_case(child, id)) return c;
  }
  return nullptr;
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
  // A RST_STREAM, even with the right code, where a connection error is required (RFC 9113
  // §5.4.1: a connection error is a GOAWAY and a close).
  auto stream_error_only = [](int fd) {
    send_all(fd, frame(3, 0, 1, u32(kProtocolError)));
    drain_briefly(fd);
  };
  EXPECT_EQ(
      against(stream_error_only, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); })
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
  auto ping_not_ack = [](int fd) {
    send_all(fd, frame(6, 0, 0, kPing));
    drain_briefly(fd);
  };
  EXPECT_EQ(
      against(ping_not_ack, [](Probe& p) { return expect_ping_ack(p, kPing, false); }).verdict,
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
  // RFC 9113 §5.4.1: an endpoint may treat a stream error as a connection error; h2spec's
  // stream-error verdict accepts a GOAWAY with the code.
  auto goaway_instead = [](int fd) {
    send_all(fd, frame(7, 0, 0, goaway_payload(kProtocolError)));
    drain_briefly(fd);
  };
  EXPECT_EQ(
      against(goaway_instead, [](Probe& p) { return expect_stream_error(p, {kProtocolError}); })
          .verdict,
      Verdict::Pass);
}

// h2spec's rule (Probe::next_event): only an EOF between frames or a reset is "connection
// closed". An HTTP/1.1 answer to the preface ends inside a "frame" and must fail CONN-ERR.
TEST(Verdicts, EofInsideAFrameIsNotAClose) {
  auto http1 = [](int fd) {
    send_all(fd, "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    close_cleanly(fd);
  };
  auto o = against(http1, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_THAT(o.actual, testing::HasSubstr("unexpected EOF")) << o.actual;
  EXPECT_EQ(against(http1, [](Probe& p) { return expect_close(p); }).verdict, Verdict::Fail);
  // The abuse probes opt out: a server that drops a flooding connection mid-write refused it.
  {
    TinyServer server(http1);
    Target t = server.target();
    t.eof_inside_frame_is_close = true;
    EXPECT_EQ(with_connection(t, [](Probe& p) { return expect_close(p); }).verdict, Verdict::Pass);
  }
  // Half a frame header, then EOF.
  auto half_header = [](int fd) {
    send_all(fd, frame(7, 0, 0, goaway_payload(1)).substr(0, 5));
    close_cleanly(fd);
  };
  EXPECT_EQ(against(half_header, [](Probe& p) { return expect_stream_error(p, {kProtocolError}); })
                .verdict,
            Verdict::Fail);
}

TEST(Verdicts, EofRightAfterAFrameHeaderOrAResetIsAClose) {
  // h2spec reads the payload with io.ReadFull, which reports a plain EOF when not one payload
  // byte came: a close.
  auto header_only = [](int fd) {
    send_all(fd, frame(6, 0, 0, kPing).substr(0, 9));
    close_cleanly(fd);
  };
  EXPECT_EQ(
      against(header_only, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); }).verdict,
      Verdict::Pass);
  // A reset is a close wherever it comes, even inside a frame.
  auto reset_mid_frame = [](int fd) {
    send_all(fd, frame(6, 0, 0, kPing).substr(0, 12));
    ::usleep(50000);
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  };
  EXPECT_EQ(
      against(reset_mid_frame, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); })
          .verdict,
      Verdict::Pass);
}

// A frame h2spec's reader refuses ends its wait as an error: a GOAWAY on stream 3 does not
// satisfy CONN-ERR even with the right code, nor does a PING of 6 octets count as the answer.
TEST(Verdicts, FramesH2specCannotReadFail) {
  auto goaway_on_stream = [](int fd) {
    send_all(fd, frame(7, 0, 3, goaway_payload(kProtocolError)));
    drain_briefly(fd);
  };
  auto o =
      against(goaway_on_stream, [](Probe& p) { return expect_conn_error(p, {kProtocolError}); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_THAT(o.actual, testing::HasSubstr("GOAWAY frame on stream 3")) << o.actual;
  auto short_ping_ack = [](int fd) {
    send_all(fd, frame(6, 1, 0, kPing.substr(0, 6)));
    send_all(fd, frame(6, 1, 0, kPing));
    drain_briefly(fd);
  };
  EXPECT_EQ(
      against(short_ping_ack, [](Probe& p) { return expect_ping_ack(p, kPing, false); }).verdict,
      Verdict::Fail);
}

// What h2spec's reader refuses of a server's frames, rule by rule (RFC 9113 §6), at the edges:
// padding may take all of a DATA payload but no more (§6.1), DATA needs a stream (§6.1), a
// WINDOW_UPDATE increment ignores the reserved bit (§6.9), INITIAL_WINDOW_SIZE goes up to 2^31-1
// (§6.5.2).
TEST(Verdicts, FramerErrorFollowsTheFrameRulesAtTheirEdges) {
  struct Row {
    const char* name;
    Frame frame;
    const char* error;  // substring of the reason; nullptr: read without complaint
  };
  const Row rows[] = {
      {"data_all_padding", {kData, kPadded, 1, std::string(1, 4) + "abcd"}, nullptr},
      {"data_pad_too_long", {kData, kPadded, 1, std::string(1, 5) + "abcd"}, "pad size"},
      {"data_stream_0", {kData, 0, 0, "abc"}, "stream ID 0"},
      {"window_update_reserved_bit_only",
       {kWindowUpdate, 0, 1, u32(0x80000000u)},
       "increment of 0"},
      {"window_update_reserved_bit_and_1", {kWindowUpdate, 0, 1, u32(0x80000001u)}, nullptr},
      {"initial_window_2_31_minus_1",
       {kSettings, 0, 0, std::string{0, 4} + u32(0x7fffffffu)},
       nullptr},
      {"initial_window_2_31", {kSettings, 0, 0, std::string{0, 4} + u32(0x80000000u)}, "2^31-1"},
  };
  for (const Row& r : rows) {
    const std::string why = framer_error(r.frame);
    if (r.error == nullptr) {
      EXPECT_EQ(why, "") << r.name;
    } else {
      EXPECT_THAT(why, testing::HasSubstr(r.error)) << r.name;
    }
  }
}

// A frame longer than the 24-bit length field is never written (the low bits would describe
// another frame, followed by garbage): the case is skipped with the reason.
TEST(Verdicts, UnexpressibleFramesAreSkippedNotSent) {
  size_t received = 0;
  Outcome o;
  {
    TinyServer server([&received](int fd) { received = count_received(fd); });
    o = with_connection(server.target(), [](Probe& p) {
      p.send_data(1, std::string(Probe::kMaxFrameLength + 1, 'x'), true);
      return expect_stream_error(p, {kFrameSizeError});
    });
  }
  EXPECT_EQ(o.verdict, Verdict::Skip);
  EXPECT_THAT(o.error, testing::HasSubstr("2^24-1")) << o.error;
  EXPECT_LT(received, 100u) << "the oversized DATA frame went out";
}

// http2/4.2/2 and 4.2/3 against a server advertising SETTINGS_MAX_FRAME_SIZE 2^24-1 (nginx):
// no frame can exceed it, so both skip, and nothing but the SETTINGS ACK goes out.
TEST(Verdicts, FrameSizeCasesSkipWhenNoFrameCanExceedTheLimit) {
  const std::string max_frame_size = std::string{0, 5} + u32(0xffffff);
  for (const char* id : {"http2/4.2/2", "http2/4.2/3"}) {
    size_t received = 0;
    Outcome o;
    {
      TinyServer server([&received](int fd) { received = count_received(fd); }, max_frame_size);
      const Section http2 = build_http2(server.target());
      const Case* c = find_case(http2, id);
      if (c == nullptr) {
        ADD_FAILURE() << id << " not in the suite";
        with_connection(server.target(), [](Probe&) { return Outcome::pass(); });
        continue;
      }
      o = c->run();
    }
    EXPECT_EQ(o.verdict, Verdict::Skip) << id << ": " << o.actual << o.error;
    EXPECT_THAT(o.error, testing::HasSubstr("16777215")) << id;
    EXPECT_LT(received, 100u) << id << ": bytes went out";
  }
}

// Our additions' malformed-request verdict: a response that ends the stream decides the case at
// once (no stream error can follow on a closed stream) instead of waiting out the read timeout.
TEST(Verdicts, AnsweredMalformedRequestFailsWithoutWaiting) {
  auto answered = [](int fd) {
    send_all(fd, frame(1, 5, 1, std::string(1, '\x88')));  // :status 200, END_STREAM
    drain_briefly(fd);
  };
  auto o = against(answered, [](Probe& p) { return expect_malformed(p, 1); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_THAT(o.actual, testing::HasSubstr("HEADERS Frame"));
  EXPECT_THAT(o.actual, testing::HasSubstr("(the request was answered)")) << o.actual;
  auto other_code = [](int fd) {
    send_all(fd, frame(3, 0, 1, u32(kInternalError)));
    drain_briefly(fd);
  };
  o = against(other_code, [](Probe& p) { return expect_malformed(p, 1); });
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_THAT(o.actual, testing::Not(testing::HasSubstr("Timeout"))) << o.actual;
  // That reset decides the case: a close after it does not turn it into a pass.
  auto other_code_then_close = [](int fd) {
    send_all(fd, frame(3, 0, 1, u32(kInternalError)));
    close_cleanly(fd);
  };
  EXPECT_EQ(against(other_code_then_close, [](Probe& p) { return expect_malformed(p, 1); }).verdict,
            Verdict::Fail);
  auto reset = [](int fd) {
    send_all(fd, frame(3, 0, 1, u32(kProtocolError)));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(reset, [](Probe& p) { return expect_malformed(p, 1); }).verdict, Verdict::Pass);
  // An answer, then the reset for what the server read after answering: a pass.
  auto answered_then_reset = [](int fd) {
    send_all(fd, frame(1, 5, 1, std::string(1, '\x88')));
    send_all(fd, frame(3, 0, 1, u32(kNoError)));  // "stop sending" (RFC 9113 §8.1)
    send_all(fd, frame(7, 0, 0, goaway_payload(kProtocolError)));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(answered_then_reset, [](Probe& p) { return expect_malformed(p, 1); }).verdict,
            Verdict::Pass);
  // A response on another stream does not decide stream 1.
  auto other_stream = [](int fd) {
    send_all(fd, frame(1, 5, 3, std::string(1, '\x88')));
    send_all(fd, frame(3, 0, 1, u32(kProtocolError)));
    drain_briefly(fd);
  };
  EXPECT_EQ(against(other_stream, [](Probe& p) { return expect_malformed(p, 1); }).verdict,
            Verdict::Pass);
}

// The HPACK limit cases' verdict: a response that ends the stream shows the server decoded the
// block it should have refused, so the case fails at once instead of waiting out the read
// timeout (against HAProxy, three cases waited 2 s each); an error or a close still passes.
TEST(Verdicts, DecodedBlockFailsWithoutWaiting) {
  auto answered = [](int fd) {
    send_all(fd, frame(1, 5, 1, std::string(1, '\x88')));  // :status 200, END_STREAM
    until_client_closes(fd);
  };
  auto o = against(
      answered, [](Probe& p) { return expect_decoding_error(p, 1); }, 1000);
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_THAT(o.actual, testing::HasSubstr("(the request was answered)")) << o.actual;
  auto other_stream = [](int fd) {
    send_all(fd, frame(1, 5, 3, std::string(1, '\x88')));
    until_client_closes(fd);
  };
  o = against(
      other_stream, [](Probe& p) { return expect_decoding_error(p, 1); }, 1000);
  EXPECT_EQ(o.verdict, Verdict::Fail);
  EXPECT_THAT(o.actual, testing::HasSubstr("(then Timeout)")) << o.actual;
  auto answered_then_goaway = [](int fd) {
    send_all(fd, frame(1, 5, 1, std::string(1, '\x88')));
    send_all(fd, frame(7, 0, 0, goaway_payload(kCompressionError)));
    until_client_closes(fd);
  };
  EXPECT_EQ(
      against(answered_then_goaway, [](Probe& p) { return expect_decoding_error(p, 1); }).verdict,
      Verdict::Pass);
  auto wrong_code = [](int fd) {
    send_all(fd, frame(7, 0, 0, goaway_payload(kProtocolError)));
    until_client_closes(fd);
  };
  EXPECT_EQ(against(wrong_code, [](Probe& p) { return expect_decoding_error(p, 1); }).verdict,
            Verdict::Fail);
  auto close = [](int fd) { close_cleanly(fd); };
  EXPECT_EQ(against(close, [](Probe& p) { return expect_decoding_error(p, 1); }).verdict,
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

// Reads what the client sends until it pauses for 100 ms (well inside its 300 ms read timeout).
void read_until_pause(int fd) {
  char buf[65536];
  timeval tv{0, 100000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (::recv(fd, buf, sizeof buf, 0) > 0) {
  }
}

// Runs rfc9113 case `id` against a server advertising `settings` and then running `script`.
Outcome run_case(const std::string& id, std::function<void(int)> script, std::string settings) {
  TinyServer server(std::move(script), std::move(settings));
  const Section rfc9113 = build_rfc9113(server.target());
  const Case* c = find_case(rfc9113, id);
  if (c == nullptr) {
    with_connection(server.target(), [](Probe&) { return Outcome::pass(); });
    return Outcome::error_out(id + " not in the suite");
  }
  return c->run();
}

// Receive-side flow control: a server that takes DATA past its windows in silence fails, one that
// answers FLOW_CONTROL_ERROR passes, and one whose credit covered the data is not judged.
TEST(Verdicts, FlowControlOverrunTakenInSilenceFails) {
  const std::string stream_window_100 = std::string{0, 4} + u32(100);
  const auto silent = [](int fd) { drain_briefly(fd); };
  const auto reset = [](int fd) {
    read_until_pause(fd);
    send_all(fd, frame(3, 0, 1, u32(3)));  // RST_STREAM FLOW_CONTROL_ERROR
    drain_briefly(fd);
  };
  const auto goaway = [](int fd) {
    read_until_pause(fd);
    send_all(fd, frame(7, 0, 0, goaway_payload(3)));
    close_cleanly(fd);
  };
  const auto credit = [](int fd) {
    read_until_pause(fd);
    send_all(fd, frame(8, 0, 1, u32(200000)) + frame(8, 0, 0, u32(200000)));
    drain_briefly(fd);
  };
  const auto wrong_code = [](int fd) {
    read_until_pause(fd);
    send_all(fd, frame(3, 0, 1, u32(1)));  // RST_STREAM PROTOCOL_ERROR
    drain_briefly(fd);
  };
  struct Row {
    const char* id;
    std::function<void(int)> script;
    std::string settings;
    Verdict verdict;
  } rows[] = {
      {"rfc9113/6.9.1/1", silent, stream_window_100, Verdict::Fail},
      {"rfc9113/6.9.1/1", reset, stream_window_100, Verdict::Pass},
      {"rfc9113/6.9.1/1", goaway, stream_window_100, Verdict::Pass},
      {"rfc9113/6.9.1/1", credit, stream_window_100, Verdict::Skip},
      {"rfc9113/6.9.1/1", wrong_code, stream_window_100, Verdict::Fail},
      {"rfc9113/6.9.1/2", silent, "", Verdict::Fail},
      {"rfc9113/6.9.1/2", goaway, "", Verdict::Pass},
      {"rfc9113/6.9.1/2", credit, "", Verdict::Skip},
  };
  for (const Row& r : rows) {
    const Outcome o = run_case(r.id, r.script, r.settings);
    EXPECT_EQ(o.verdict, r.verdict) << r.id << ": " << o.actual << o.error;
  }
}

}  // namespace
}  // namespace crossmux::conformance::h2
