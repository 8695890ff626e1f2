// TLS through the loop: ALPN both ways, SNI certificate choice, verification, echo, and curl.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/ioctl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "mux/net/event_loop.h"
#include "mux/net/net_errors.h"
#include "mux/net/socket.h"
#include "mux/net/test/peers.h"
#include "mux/net/test/test_certs.h"
#include "mux/net/tls_stream.h"

namespace crossmux::mux::net {
namespace {

using testing::AcceptHandler;
using testing::Gate;
using testing::make_self_signed;

using testing::loopback;

// Drives handshake() on one stream until it completes or fails.
class Handshaker final : public Handler {
 public:
  Handshaker(EventLoop& loop, TlsStream s, int& pending)
      : loop_(loop), stream_(std::move(s)), pending_(pending) {
    watch_ = IoWatch::create(loop, stream_, *this).value();
  }
  void on_ready() override {
    if (finished_ || !gate_.open(*watch_)) return;
    result = stream_.handshake();
    watch_->note(result);
    gate_.after(result);
    if (result.would_block()) return;
    finished_ = true;
    if (--pending_ == 0) loop_.stop();
  }
  TlsStream& stream() { return stream_; }
  IoResult result;

 private:
  EventLoop& loop_;
  TlsStream stream_;
  std::unique_ptr<IoWatch> watch_;
  Gate gate_;
  int& pending_;
  bool finished_ = false;
};

struct HandshakeOutcome {
  std::unique_ptr<Handshaker> server;
  std::unique_ptr<Handshaker> client;
};

// Connects a client to a fresh listener and runs both handshakes in one loop.
HandshakeOutcome handshake(EventLoop& loop, const TlsServerContext& server_ctx,
                           const TlsClientContext& client_ctx, std::string_view server_name) {
  HandshakeOutcome out;
  int pending = 2;
  auto listener = TcpListener::bind(loopback()).value();
  AcceptHandler<TcpListener> acceptor(loop, listener, [&](TcpStream s) {
    out.server = std::make_unique<Handshaker>(
        loop, TlsStream::accept(std::move(s), server_ctx).value(), pending);
  });
  auto tcp = TcpStream::connect(loopback(listener.port())).value();
  out.client = std::make_unique<Handshaker>(
      loop, TlsStream::connect(std::move(tcp), client_ctx, server_name).value(), pending);
  Timer deadline(loop.timers(), [&] { loop.stop(); });
  deadline.arm(10000);
  EXPECT_TRUE(loop.run());
  EXPECT_EQ(pending, 0) << "handshake stalled";
  return out;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    default_cert_ = new CertificatePem(make_self_signed({"default.test"}));
    api_cert_ = new CertificatePem(make_self_signed({"api.example.com", "API2.example.com"}));
    wild_cert_ = new CertificatePem(make_self_signed({"*.wild.test"}));
    stranger_cert_ = new CertificatePem(make_self_signed({"api.example.com"}));
  }
  static void TearDownTestSuite() {
    delete default_cert_;
    delete api_cert_;
    delete wild_cert_;
    delete stranger_cert_;
  }
  void SetUp() override { loop_ = EventLoop::create().value(); }

  TlsServerContext server(std::vector<std::string> alpn = {"h2", "http/1.1"},
                          bool prefer_server = true) {
    TlsServerConfig c;
    c.certificates = {*default_cert_, *api_cert_, *wild_cert_};
    c.alpn = std::move(alpn);
    c.prefer_server_alpn = prefer_server;
    auto ctx = TlsServerContext::create(c);
    EXPECT_TRUE(ctx.has_value());
    return std::move(ctx).value();
  }
  TlsClientContext client(std::vector<std::string> alpn, bool verify = true, std::string ca = "") {
    TlsClientConfig c;
    c.alpn = std::move(alpn);
    c.verify_peer = verify;
    c.ca_pem = ca.empty() ? default_cert_->chain + api_cert_->chain + wild_cert_->chain : ca;
    auto ctx = TlsClientContext::create(c);
    EXPECT_TRUE(ctx.has_value());
    return std::move(ctx).value();
  }

  static CertificatePem* default_cert_;
  static CertificatePem* api_cert_;
  static CertificatePem* wild_cert_;
  static CertificatePem* stranger_cert_;
  std::unique_ptr<EventLoop> loop_;
};

CertificatePem* TlsTest::default_cert_ = nullptr;
CertificatePem* TlsTest::api_cert_ = nullptr;
CertificatePem* TlsTest::wild_cert_ = nullptr;
CertificatePem* TlsTest::stranger_cert_ = nullptr;

TEST_F(TlsTest, AlpnServerPreferencePicksH2) {
  auto s = server();
  auto c = client({"http/1.1", "h2"});
  auto out = handshake(*loop_, s, c, "default.test");
  ASSERT_TRUE(out.client->result.ok()) << out.client->result.detail;
  ASSERT_TRUE(out.server->result.ok()) << out.server->result.detail;
  EXPECT_EQ(out.client->stream().alpn(), "h2");
  EXPECT_EQ(out.server->stream().alpn(), "h2");
  EXPECT_TRUE(out.client->stream().handshake_done());
}

TEST_F(TlsTest, AlpnClientPreferencePicksHttp11) {
  auto s = server({"h2", "http/1.1"}, /*prefer_server=*/false);
  auto c = client({"http/1.1", "h2"});
  auto out = handshake(*loop_, s, c, "default.test");
  ASSERT_TRUE(out.client->result.ok()) << out.client->result.detail;
  EXPECT_EQ(out.client->stream().alpn(), "http/1.1");
  EXPECT_EQ(out.server->stream().alpn(), "http/1.1");
}

TEST_F(TlsTest, AlpnHttp11OnlyClientAndNoOverlap) {
  auto s = server();
  auto c = client({"http/1.1"});
  auto out = handshake(*loop_, s, c, "default.test");
  ASSERT_TRUE(out.client->result.ok());
  EXPECT_EQ(out.server->stream().alpn(), "http/1.1");

  auto other = client({"spdy/3"});
  auto none = handshake(*loop_, s, other, "default.test");
  ASSERT_TRUE(none.client->result.ok()) << none.client->result.detail;
  EXPECT_EQ(none.server->stream().alpn(), "");
  EXPECT_EQ(none.client->stream().alpn(), "");
}

TEST_F(TlsTest, SniSelectsExactWildcardAndDefaultCertificates) {
  auto s = server();
  EXPECT_EQ(s.select("api.example.com"), 1u);
  EXPECT_EQ(s.select("API2.Example.COM"), 1u);
  EXPECT_EQ(s.select("x.wild.test"), 2u);
  EXPECT_EQ(s.select("a.b.wild.test"), 0u);
  EXPECT_EQ(s.select("wild.test"), 0u);
  EXPECT_EQ(s.select("unknown.test"), 0u);
  EXPECT_EQ(s.names(1), (std::vector<std::string>{"api.example.com", "api2.example.com"}));

  // With hostname verification on, a handshake only succeeds if the server presented the
  // certificate for that name, so success proves the selection.
  auto c = client({"h2"});
  for (const char* name : {"api.example.com", "x.wild.test", "default.test"}) {
    auto out = handshake(*loop_, s, c, name);
    ASSERT_TRUE(out.client->result.ok()) << name << ": " << out.client->result.detail;
    EXPECT_EQ(out.server->stream().server_name(), name);
    EXPECT_EQ(out.client->stream().verify_result(), X509_V_OK);
  }
  // An unknown name gets the default certificate, which does not carry it.
  auto out = handshake(*loop_, s, c, "unknown.test");
  ASSERT_FALSE(out.client->result.ok());
  EXPECT_EQ(out.client->result.detail, errors::kTlsVerify);
  EXPECT_EQ(out.client->stream().verify_result(), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(TlsTest, VerifyingClientRejectsUntrustedCertificate) {
  auto s = server();
  auto c = client({"h2"}, /*verify=*/true, stranger_cert_->chain);  // trusts another key
  auto out = handshake(*loop_, s, c, "api.example.com");
  ASSERT_EQ(out.client->result.status, IoStatus::Error);
  EXPECT_EQ(out.client->result.detail, errors::kTlsVerify);
  EXPECT_NE(out.client->stream().verify_result(), X509_V_OK);
  EXPECT_NE(out.server->result.status, IoStatus::Ok);  // the client's alert ends it

  auto lax = client({"h2"}, /*verify=*/false, stranger_cert_->chain);
  auto ok = handshake(*loop_, s, lax, "api.example.com");
  EXPECT_TRUE(ok.client->result.ok()) << ok.client->result.detail;
}

// Reads once something arrived. The loop runs meanwhile: under io_uring, bytes move only there.
IoResult read_when_ready(EventLoop& loop, TlsStream& s) {
  uint8_t buf[64];
  IoResult r;
  for (int i = 0; i < 2000 && (r = s.read(buf)).would_block(); ++i) (void)loop.run_once(1);
  return r;
}

TEST_F(TlsTest, CloseNotifyAndBareFinAreTold) {
  auto s = server();
  auto c = client({"h2"});
  auto out = handshake(*loop_, s, c, "default.test");
  ASSERT_TRUE(out.client->result.ok());
  EXPECT_EQ(out.client->stream().version(), "TLSv1.3");
  ASSERT_TRUE(out.client->stream().write(codecs::as_bytes("ping")).ok());
  ASSERT_TRUE(out.client->stream().shutdown_write().ok());
  IoResult data = read_when_ready(*loop_, out.server->stream());
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(data.bytes, 4u);
  IoResult end = read_when_ready(*loop_, out.server->stream());
  EXPECT_EQ(end.status, IoStatus::Closed);
  EXPECT_EQ(end.detail, errors::kTlsClosed);
  // Half-closed: the server can still answer and the client still reads.
  ASSERT_TRUE(out.server->stream().write(codecs::as_bytes("pong")).ok());
  IoResult answer = read_when_ready(*loop_, out.client->stream());
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer.bytes, 4u);

  auto cut = handshake(*loop_, s, c, "default.test");
  ASSERT_TRUE(cut.client->result.ok());
  ASSERT_TRUE(cut.client->stream().tcp().shutdown_write().ok());  // FIN, no close_notify
  IoResult truncated = read_when_ready(*loop_, cut.server->stream());
  EXPECT_EQ(truncated.status, IoStatus::Closed);
  EXPECT_EQ(truncated.detail, errors::kTlsEof);
}

// Read ahead: one transport read takes every record the socket holds, not a record header and
// then its body (two recv calls per record). On epoll, where each read is a recv, three records
// written at once leave nothing in the socket after the first read returns the first of them.
TEST_F(TlsTest, OneTransportReadTakesEveryRecordTheSocketHolds) {
  auto loop = EventLoop::create(nullptr, LoopBackend::Epoll).value();
  auto s = server();
  auto c = client({"h2"});
  auto out = handshake(*loop, s, c, "default.test");
  ASSERT_TRUE(out.client->result.ok()) << out.client->result.detail;
  for (std::string_view piece : {"one", "two", "three"}) {
    ASSERT_TRUE(out.client->stream().write(codecs::as_bytes(piece)).ok());
  }
  const int fd = out.server->stream().fd();
  auto queued = [fd] {
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 ? n : -1;
  };
  // TLS 1.3 with AES-GCM: 5 header + text + 1 content type + 16 tag bytes per record.
  const int all = 3 * 22 + 3 + 3 + 5;
  for (int i = 0; i < 2000 && queued() < all; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(queued(), all);
  uint8_t buf[64];
  std::string got;
  IoResult r = out.server->stream().read(buf);
  ASSERT_TRUE(r.ok()) << r.detail;
  got.append(reinterpret_cast<const char*>(buf), r.bytes);
  EXPECT_EQ(got, "one");  // one record per read
  EXPECT_EQ(queued(), 0) << "the first read left records in the socket";
  for (int i = 0; i < 2 && (r = out.server->stream().read(buf)).ok(); ++i) {
    got.append(reinterpret_cast<const char*>(buf), r.bytes);
  }
  EXPECT_EQ(got, "onetwothree");
}

TEST_F(TlsTest, Tls12PeerGetsAlpnSniAndData) {
  auto s = server();
  auto c = client({"http/1.1", "h2"});
  ASSERT_EQ(SSL_CTX_set_max_proto_version(c.native(), TLS1_2_VERSION), 1);
  auto out = handshake(*loop_, s, c, "x.wild.test");
  ASSERT_TRUE(out.client->result.ok()) << out.client->result.detail;
  EXPECT_EQ(out.client->stream().version(), "TLSv1.2");
  EXPECT_EQ(out.server->stream().alpn(), "h2");
  const std::string big(100000, 'z');
  size_t sent = 0;
  size_t got = 0;
  uint8_t buf[16384];
  for (int i = 0; i < 5000 && got < big.size(); ++i) {
    if (sent < big.size()) {
      IoResult w = out.client->stream().write(codecs::as_bytes(std::string_view(big).substr(sent)));
      if (w.ok()) sent += w.bytes;
    }
    IoResult r = out.server->stream().read(buf);
    if (r.ok()) got += r.bytes;
    if (r.would_block()) (void)loop_->run_once(1);  // io_uring moves the bytes in the loop
  }
  EXPECT_EQ(got, big.size());
}

TEST_F(TlsTest, IpLiteralIsNeverSentAsSniAndIsVerifiedAsAnAddress) {
  auto s = server();
  auto lax = client({"h2"}, /*verify=*/false);
  auto out = handshake(*loop_, s, lax, "127.0.0.1");
  ASSERT_TRUE(out.client->result.ok()) << out.client->result.detail;
  EXPECT_EQ(out.server->stream().server_name(), "");  // RFC 6066 §3: no literal addresses

  auto strict = client({"h2"});
  auto checked = handshake(*loop_, s, strict, "127.0.0.1");
  ASSERT_FALSE(checked.client->result.ok());
  EXPECT_EQ(checked.client->stream().verify_result(), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(TlsTest, ContextErrorsAreValues) {
  TlsServerConfig empty;
  auto e = TlsServerContext::create(empty);
  ASSERT_FALSE(e.has_value());
  EXPECT_EQ(e.error().detail, errors::kTlsNoCertificate);

  TlsServerConfig mismatch;
  mismatch.certificates = {CertificatePem{default_cert_->chain, api_cert_->key}};
  auto m = TlsServerContext::create(mismatch);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().detail, errors::kTlsKeyMismatch);

  TlsServerConfig bad_alpn;
  bad_alpn.certificates = {*default_cert_};
  bad_alpn.alpn = {""};
  EXPECT_EQ(TlsServerContext::create(bad_alpn).error().detail, errors::kTlsAlpn);

  TlsClientConfig bad_ca;
  bad_ca.ca_pem = "not a certificate";
  EXPECT_EQ(TlsClientContext::create(bad_ca).error().detail, errors::kTlsCaFile);
}

TEST_F(TlsTest, EchoesThroughTlsWithChecksumsBothWays) {
  auto s = server();
  auto c = client({"h2"});
  auto listener = TcpListener::bind(loopback()).value();
  std::vector<std::unique_ptr<testing::EchoConnection>> echo;
  AcceptHandler<TcpListener> acceptor(*loop_, listener, [&](TcpStream t) {
    auto tls = std::make_unique<TlsStream>(TlsStream::accept(std::move(t), s).value());
    echo.push_back(std::make_unique<testing::EchoConnection>(*loop_, std::move(tls)));
  });
  std::vector<uint8_t> data(3 << 20);
  std::mt19937 rng(11);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  auto tcp = TcpStream::connect(loopback(listener.port())).value();
  auto tls =
      std::make_unique<TlsStream>(TlsStream::connect(std::move(tcp), c, "default.test").value());
  TlsStream* raw = tls.get();
  testing::PumpClient pump(*loop_, std::move(tls), data,
                           [raw] { return raw->tcp().finish_connect().has_value(); });
  Timer deadline(loop_->timers(), [&] { loop_->stop(); });
  deadline.arm(20000);
  ASSERT_TRUE(loop_->run());
  ASSERT_TRUE(pump.done()) << "stalled or failed";
  const uint64_t expected = testing::fnv1a(testing::kFnvSeed, data);
  ASSERT_EQ(echo.size(), 1u);
  EXPECT_EQ(echo[0]->received(), data.size());
  EXPECT_EQ(echo[0]->hash(), expected);
  EXPECT_EQ(pump.received(), data.size());
  EXPECT_EQ(pump.hash(), expected);
}

// A one-request HTTP/1.1 server: reads the head, answers, half-closes.
class TinyHttpsConnection final : public Handler {
 public:
  TinyHttpsConnection(EventLoop& loop, TlsStream s) : stream_(std::move(s)) {
    watch_ = IoWatch::create(loop, stream_, *this).value();
  }
  void on_ready() override {
    while (!answered_) {
      if (!gate_.open(*watch_)) return;
      uint8_t buf[4096];
      IoResult r = stream_.read(buf);
      watch_->note(r);
      gate_.after(r);
      if (!r.ok()) return;
      request_.append(reinterpret_cast<char*>(buf), r.bytes);
      if (request_.find("\r\n\r\n") != std::string::npos) answered_ = true;
    }
    while (sent_ < kResponse.size()) {
      if (!gate_.open(*watch_)) return;
      IoResult r = stream_.write(codecs::as_bytes(kResponse.substr(sent_)));
      watch_->note(r);
      gate_.after(r);
      if (!r.ok()) return;
      sent_ += r.bytes;
    }
    if (!shut_) {
      IoResult r = stream_.shutdown_write();
      watch_->note(r);
      gate_.after(r);
      shut_ = !r.would_block();
    }
  }
  std::string request_;
  std::string alpn() const { return std::string(stream_.alpn()); }

 private:
  static constexpr std::string_view kResponse =
      "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: close\r\n\r\nhello crossmux";
  TlsStream stream_;
  std::unique_ptr<IoWatch> watch_;
  Gate gate_;
  size_t sent_ = 0;
  bool answered_ = false;
  bool shut_ = false;
};

TEST_F(TlsTest, CurlFetchesOverHttp11FromATinyServer) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
  auto s = server();
  testing::TempFile ca(default_cert_->chain);
  auto listener = TcpListener::bind(loopback()).value();
  std::vector<std::unique_ptr<TinyHttpsConnection>> conns;
  AcceptHandler<TcpListener> acceptor(*loop_, listener, [&](TcpStream t) {
    conns.push_back(
        std::make_unique<TinyHttpsConnection>(*loop_, TlsStream::accept(std::move(t), s).value()));
  });
  const std::string port = std::to_string(listener.port());
  const std::string cmd =
      "curl -sS --max-time 10 --http1.1 --cacert " + ca.path() + " --resolve default.test:" + port +
      ":127.0.0.1 https://default.test:" + port + "/hello -w ' %{http_version}' 2>&1";
  std::string output;
  int status = -1;
  std::thread runner([&] {
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p != nullptr) {
      char buf[512];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
      status = ::pclose(p);
    }
    loop_->stop();  // cross-thread: wakes the loop through its eventfd
  });
  const bool ran = loop_->run().has_value();
  runner.join();
  ASSERT_TRUE(ran);
  EXPECT_EQ(status, 0) << output;
  // Content-Length 12 cuts "hello crossmux" to "hello crossm": curl honours our framing.
  EXPECT_EQ(output, "hello crossm 1.1");
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0]->alpn(), "http/1.1");
  EXPECT_TRUE(conns[0]->request_.starts_with("GET /hello HTTP/1.1\r\n")) << conns[0]->request_;
}

}  // namespace
}  // namespace crossmux::mux::net
