// The conform cases crossmux fuzz writes, compiled and run: exported/*.inc hold conform_case()'s
// exact text for two findings (checked here against the generator), included into catalogue
// sections the way they are pasted into conformance/, and run against scripted servers that do
// and do not have the flaw. A case that fails to compile, passes on the flaw, or fails on a
// server that merely serves different content breaks this test.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/encoder.h"
#include "conformance/h1/suite.h"
#include "conformance/h2/verdicts.h"
#include "fuzz/net/export.h"

// The pasted cases, in the scopes the paste instructions name.
namespace crossmux::conformance::h2 {
Section exported_h2(const Target& t) {
  Section s{"fuzz", "", "exported", {}, {}};
#include "exported/h2_frame_after_stream_end.inc"
  return s;
}
}  // namespace crossmux::conformance::h2
namespace crossmux::conformance::h1 {
Section exported_h1(const Target& t) {
  Section s9{"fuzz", "", "exported", {}, {}};
#include "exported/h1_request_unanswered.inc"
  return s9;
}
}  // namespace crossmux::conformance::h1

namespace crossmux::fuzz::net {
namespace {

namespace h2 = codecs::h2;

std::string exported(std::string_view name) {
  std::string path = FUZZ_NET_TEST_DIR;
  path += "/exported/";
  path += name;
  return path;
}

std::string golden(const std::string& name) {
  std::ifstream f(exported(name));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Finding finding(Kind k, std::string rule, std::string summary) {
  Finding f;
  f.kind = k;
  f.rule = std::move(rule);
  f.target = "127.0.0.1:8080";
  f.summary = std::move(summary);
  return f;
}

std::string h2_case_text() {
  codecs::ByteBuffer settings, headers, block;
  h2::write_settings(settings, nullptr, 0);
  codecs::hpack::Encoder enc;
  const std::vector<codecs::hpack::Field> fields = {
      {":method", "GET"}, {":scheme", "http"}, {":authority", "a"}, {":path", "/"}};
  enc.encode(fields, block);
  h2::HeadersFrame h;
  h.block = block.bytes();
  h.end_stream = h.end_headers = true;
  h2::write_headers(headers, 1, h);
  NetCase c{
      Proto::H2,
      {std::string(kH2ClientPreface), std::string(settings.view()), std::string(headers.view())}};
  Observation o;
  StreamOutcome s;
  s.id = 1;
  s.owed = true;
  o.x.streams = {s};
  return conform_case("h2-protocol-1",
                      finding(Kind::Protocol, "frame-after-stream-end",
                              "DATA on stream 1 after the server ended it"),
                      c, o, "127.0.0.1:8080");
}

std::string h1_case_text() {
  NetCase c{Proto::H1, split_units(Proto::H1,
                                   "GET /swallow HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                                   "\r\n")};
  Observation o;
  o.x.requests = 1;
  o.x.methods = {"GET"};
  return conform_case("h1-hang-1",
                      finding(Kind::Hang, "request-unanswered", "1 request not answered"), c, o,
                      "127.0.0.1:8080");
}

// After a deliberate change to the generator: FUZZ_NET_WRITE_EXPORTED=1 rewrites the files (then
// rebuild and run again, so the new text is what gets compiled and run below).
TEST(ExportedCase, TheCompiledCasesAreWhatTheGeneratorWrites) {
  if (std::getenv("FUZZ_NET_WRITE_EXPORTED")) {
    std::ofstream(exported("h2_frame_after_stream_end.inc")) << h2_case_text();
    std::ofstream(exported("h1_request_unanswered.inc")) << h1_case_text();
  }
  EXPECT_EQ(h2_case_text(), golden("h2_frame_after_stream_end.inc"));
  EXPECT_EQ(h1_case_text(), golden("h1_request_unanswered.inc"));
}

// A loopback server handing each connection, one after the other, to `serve` (fd, bytes read so
// far); it returns false to close the connection.
class Server {
 public:
  using Serve = std::function<bool(int, std::string&)>;
  explicit Server(Serve serve) : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~Server() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  static void send_all(int fd, std::string_view bytes) {
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }

 private:
  void loop() {
    pollfd lp{fd_, POLLIN, 0};
    while (!stop_) {
      if (::poll(&lp, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      std::string in;
      char buf[4096];
      pollfd p{c, POLLIN, 0};
      bool open = serve_(c, in);
      while (open && !stop_) {
        if (::poll(&p, 1, 20) <= 0) continue;
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        open = serve_(c, in);
      }
      ::close(c);
    }
  }
  Serve serve_;
  int fd_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_ = false;
  std::thread thread_;
};

// An HTTP/2 server answering every request with a 200 and every PING. Its flaws: one more DATA
// frame on a stream it ended, right behind the PING ACK that follows that answer, or right behind
// a GOAWAY it sends with the answer; or only the GOAWAY (no flaw: it then stays open, quiet).
enum class H2Flaw : uint8_t { None, LateDataBehindPingAck, LateDataBehindGoaway, GoawayOnly };

Server::Serve h2_server(H2Flaw flaw) {
  auto state = std::make_shared<std::pair<bool, uint32_t>>(false, 0);  // preface seen, owed late
  return [flaw, state](int fd, std::string& in) {
    auto& [preface, late] = *state;
    if (in.empty()) {  // a new connection (every later call has read bytes): SETTINGS first
      codecs::ByteBuffer s;
      h2::write_settings(s, nullptr, 0);
      Server::send_all(fd, s.view());
      preface = false;
      late = 0;
      return true;
    }
    if (!preface) {
      if (in.size() < kH2ClientPreface.size()) return true;
      in.erase(0, kH2ClientPreface.size());
      preface = true;
    }
    while (in.size() >= h2::kFrameHeaderSize) {
      const auto h = h2::parse_frame_header(reinterpret_cast<const uint8_t*>(in.data()));
      if (in.size() < h2::kFrameHeaderSize + h.length) break;
      const std::string payload = in.substr(h2::kFrameHeaderSize, h.length);
      in.erase(0, h2::kFrameHeaderSize + h.length);
      codecs::ByteBuffer out;
      if (h.type == 0x4 && !(h.flags & 0x1)) h2::write_settings_ack(out);
      if (h.type == 0x1 && (h.flags & 0x4)) {
        h2::HeadersFrame r;
        const uint8_t status_200 = 0x88;
        r.block = {&status_200, 1};
        r.end_stream = r.end_headers = true;
        h2::write_headers(out, h.stream_id, r);
        late = flaw == H2Flaw::LateDataBehindPingAck ? h.stream_id : 0;
        if (flaw == H2Flaw::LateDataBehindGoaway || flaw == H2Flaw::GoawayOnly) {
          h2::write_goaway(out, h.stream_id, 0x1, {});
        }
        if (flaw == H2Flaw::LateDataBehindGoaway) {
          h2::write_data(out, h.stream_id, codecs::as_bytes(std::string_view("x")), false);
        }
      }
      if (h.type == 0x6 && !(h.flags & 0x1) && payload.size() == 8) {
        std::array<uint8_t, 8> opaque;
        std::copy(payload.begin(), payload.end(), opaque.begin());
        h2::write_ping(out, true, opaque);
        if (late) h2::write_data(out, late, codecs::as_bytes(std::string_view("x")), false);
        late = 0;
      }
      Server::send_all(fd, out.view());
    }
    return true;
  };
}

// HTTP/1.1: every request head gets a 404 (other content than the fuzzer's target had), except
// that with `swallow` a request for /swallow is never answered.
Server::Serve h1_server(bool swallow) {
  return [swallow](int fd, std::string& in) {
    for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
      const bool swallowed = swallow && in.starts_with("GET /swallow ");
      in.erase(0, end + 4);
      if (!swallowed) Server::send_all(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
    return true;
  };
}

conformance::Verdict run_h2(H2Flaw flaw) {
  Server server(h2_server(flaw));
  conformance::h2::Target t;
  t.port = server.port();
  t.timeout_ms = 500;
  auto section = conformance::h2::exported_h2(t);
  return section.cases.at(0).run().verdict;
}

conformance::Verdict run_h1(bool swallow) {
  Server server(h1_server(swallow));
  conformance::h1::Target t;
  t.port = server.port();
  t.timeout_ms = 300;
  auto section = conformance::h1::exported_h1(t);
  return section.cases.at(0).run().verdict;
}

TEST(ExportedCase, Http2CaseFailsOnDataAfterTheStreamEndedEvenBehindThePingAckOrAGoaway) {
  EXPECT_EQ(run_h2(H2Flaw::None), conformance::Verdict::Pass);
  EXPECT_EQ(run_h2(H2Flaw::GoawayOnly), conformance::Verdict::Pass);
  EXPECT_EQ(run_h2(H2Flaw::LateDataBehindPingAck), conformance::Verdict::Fail);
  EXPECT_EQ(run_h2(H2Flaw::LateDataBehindGoaway), conformance::Verdict::Fail);
}

TEST(ExportedCase, Http11CaseFailsOnAnUnansweredRequestAndTakesAnyStatusAsAnAnswer) {
  EXPECT_EQ(run_h1(false), conformance::Verdict::Pass);
  EXPECT_EQ(run_h1(true), conformance::Verdict::Fail);
}

}  // namespace
}  // namespace crossmux::fuzz::net
