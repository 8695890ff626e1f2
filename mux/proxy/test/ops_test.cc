// The supervisor's operator-facing pieces: log lines, sd_notify datagrams, the reload reply
// channel and the bind probe that refuses a second instance.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <set>
#include <string>

#include "mux/net/socket.h"
#include "mux/proxy/ops/log.h"
#include "mux/proxy/ops/preflight.h"
#include "mux/proxy/ops/reload_reply.h"
#include "mux/proxy/ops/request_facts.h"
#include "mux/proxy/ops/systemd_notify.h"

namespace crossmux::mux::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(Log, TerminalLinesCarryTimeAndLevel) {
  // 2026-11-27T05:00:00.123456Z
  const long long us = 1795755600LL * 1'000'000 + 123456;
  EXPECT_EQ(format_log_line(LogLevel::Warning, "second stop signal", false, us),
            "2026-11-27T05:00:00.123456Z warning: second stop signal\n");
  EXPECT_EQ(format_log_line(LogLevel::Info, "a", false, us),
            "2026-11-27T05:00:00.123456Z info: a\n");
}

TEST(Log, JournalLinesCarryThePriorityOnly) {
  // journald reads "<N>" as the syslog priority and stamps the time itself.
  EXPECT_EQ(format_log_line(LogLevel::Error, "bind failed", true, 0), "<3>bind failed\n");
  EXPECT_EQ(format_log_line(LogLevel::Notice, "reloading", true, 0), "<5>reloading\n");
}

TEST(Log, OneEventIsOneLine) {
  // A newline inside a message (a multi-line OpenSSL text, a TOML value) cannot forge a line.
  EXPECT_EQ(format_log_line(LogLevel::Info, "a\nb\r", true, 0), "<6>a\\nb\n");
}

// A datagram socket bound to an abstract name, as systemd's notify socket or a reload waiter.
class Datagrams {
 public:
  explicit Datagrams(const std::string& name) : fd_(::socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path + 1, name.data(), name.size());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a),
                    static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0;
  }
  ~Datagrams() { ::close(fd_); }
  bool bound() const { return bound_; }
  std::string next() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }

 private:
  int fd_;
  bool bound_ = false;
};

TEST(SystemdNotify, SendsTheProtocolsAssignments) {
  const std::string name = "crossmux-test-notify." + std::to_string(::getpid());
  Datagrams manager(name);
  ASSERT_TRUE(manager.bound());
  SystemdNotifier n("@" + name);
  ASSERT_TRUE(n.active());
  ASSERT_TRUE(n.ready("serving 1 listener(s)"));
  EXPECT_EQ(manager.next(),
            "READY=1\nSTATUS=serving 1 listener(s)\nMAINPID=" + std::to_string(::getpid()));
  ASSERT_TRUE(n.reloading());
  const std::string reloading = manager.next();
  EXPECT_THAT(reloading, StartsWith("RELOADING=1\n"));
  EXPECT_THAT(reloading, HasSubstr("\nMONOTONIC_USEC="));
  ASSERT_TRUE(n.stopping());
  EXPECT_THAT(manager.next(), StartsWith("STOPPING=1\n"));
}

TEST(SystemdNotify, NoSocketNoMessage) {
  SystemdNotifier none{std::string()};
  EXPECT_FALSE(none.active());
  EXPECT_FALSE(none.ready("x"));
  SystemdNotifier relative{"relative/path"};
  EXPECT_FALSE(relative.notify("READY=1"));
}

TEST(ReloadReply, TheWaiterGetsTheOutcomeFromTheProxyItSignalled) {
  auto waiter = ReloadWaiter::open();
  ASSERT_TRUE(waiter) << codecs::to_string(waiter.error());
  // Here this process is both the proxy and the waiter.
  ASSERT_TRUE(send_reload_outcome(::getpid(), {false, "f.toml:3: listeners[1].address: x\n"}));
  auto got = waiter->wait(::getpid(), 2000);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->accepted);
  EXPECT_EQ(got->messages, "f.toml:3: listeners[1].address: x\n");
  ASSERT_TRUE(send_reload_outcome(::getpid(), {true, ""}));
  got = waiter->wait(::getpid(), 2000);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->accepted);
}

TEST(ReloadReply, AnAnswerFromAnotherProcessIsIgnored) {
  auto waiter = ReloadWaiter::open();
  ASSERT_TRUE(waiter);
  ASSERT_TRUE(send_reload_outcome(::getpid(), {true, ""}));
  // Sent by this process, but the waiter expects pid 1: nothing counts, the wait times out.
  EXPECT_FALSE(waiter->wait(1, 200));
  EXPECT_FALSE(send_reload_outcome(0, {true, ""}));
}

TEST(BindProbe, RefusesAnAddressAnotherSocketListensOn) {
  auto held =
      net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1", 0), {.reuse_port = true});
  ASSERT_TRUE(held);
  const net::SocketAddress at = held->local_address();
  // Without SO_REUSEPORT (the default): refused, although the holder set SO_REUSEPORT, which is
  // exactly how a second proxy would otherwise join the first one's sockets.
  auto probe = probe_bind(at, false);
  ASSERT_FALSE(probe);
  EXPECT_EQ(probe.error().sys_errno(), EADDRINUSE);
  EXPECT_THAT(bind_problem(probe.error(), false), HasSubstr("in use by another process"));
  EXPECT_THAT(bind_problem(probe.error(), false), HasSubstr("global.shared_ports"));
  // Asked to share: the same user's SO_REUSEPORT socket is joined.
  EXPECT_TRUE(probe_bind(at, true));
  // Nothing listening: the probe leaves nothing behind either.
  auto free_port = net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1", 0));
  ASSERT_TRUE(free_port);
  const net::SocketAddress gone = free_port->local_address();
  *free_port = net::TcpListener();
  EXPECT_TRUE(probe_bind(gone, false));
  EXPECT_TRUE(probe_bind(gone, false));
  EXPECT_TRUE(probe_bind(*net::SocketAddress::parse("127.0.0.1", 0), false));
}

TEST(BindProbe, AddressesHeldOnlyByTheGivenProcessAreItsOwn) {
  auto mine =
      net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1", 0), {.reuse_port = true});
  auto shared =
      net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1", 0), {.reuse_port = true});
  ASSERT_TRUE(mine && shared);
  auto free_port = net::TcpListener::bind(*net::SocketAddress::parse("127.0.0.1", 0));
  ASSERT_TRUE(free_port);
  const uint16_t unused = free_port->local_address().port();
  *free_port = net::TcpListener();
  config::Config c;
  for (uint16_t port : {mine->local_address().port(), shared->local_address().port(), unused}) {
    c.listeners.push_back(config::Listener{});
    c.listeners.back().address = config::Address{"127.0.0.1", port};
  }
  // A child process listening on the second port too (SO_REUSEPORT): that port is not ours alone.
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    auto also = net::TcpListener::bind(shared->local_address(), {.reuse_port = true});
    (void)!::write(ready[1], also ? "y" : "n", 1);
    ::pause();
    ::_exit(0);
  }
  char answer = 0;
  ASSERT_EQ(::read(ready[0], &answer, 1), 1);
  EXPECT_EQ(answer, 'y');
  const auto held = addresses_held_by(::getpid(), c);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(held, std::set<std::string>{c.listeners[0].address.to_string()});
  EXPECT_TRUE(addresses_held_by(0, c).empty());
}

TEST(BindProbe, WordsForThePermissionAndAddressErrors) {
  EXPECT_THAT(bind_problem(codecs::Error::sys("net: bind() failed", EACCES), false),
              HasSubstr("CAP_NET_BIND_SERVICE"));
  EXPECT_THAT(bind_problem(codecs::Error::sys("net: bind() failed", EADDRNOTAVAIL), false),
              HasSubstr("no interface of this machine"));
}

TEST(Resolve, SaysWhyANameDoesNotResolve) {
  std::string why;
  EXPECT_FALSE(resolve({"name.invalid", 80}, &why));
  EXPECT_FALSE(why.empty());
  auto numeric = resolve({"::1", 8443});
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->to_string(), "[::1]:8443");
}

TEST(RequestFacts, AValidIdIsKeptAndForwardedAsIs) {
  codecs::HeaderList h;
  h.add_copy("User-Agent", "curl/8.0");
  h.add_copy("Referer", "https://a.test/");
  h.add_copy("X-Request-Id", "abc-123");
  std::string_view id, ua, ref;
  record_request_facts(h, "x-request-id", id, ua, ref);
  EXPECT_EQ(id, "abc-123");
  EXPECT_EQ(ua, "curl/8.0");
  EXPECT_EQ(ref, "https://a.test/");
  EXPECT_EQ(h.count("x-request-id"), 1u);
}

TEST(RequestFacts, AMissingOrUnfitIdIsGeneratedAndForwarded) {
  for (const std::vector<std::string>& given :
       {std::vector<std::string>{}, {"has space"}, {std::string(201, 'a')}, {"a", "b"}, {""}}) {
    codecs::HeaderList h;
    for (const auto& g : given) h.add_copy("x-request-id", g);
    std::string_view id, ua, ref;
    record_request_facts(h, "x-request-id", id, ua, ref);
    EXPECT_EQ(id.size(), 32u);
    ASSERT_EQ(h.count("x-request-id"), 1u);
    EXPECT_EQ(h.find("x-request-id")->value, id) << "the backend gets the id the log has";
    EXPECT_TRUE(h.find("x-request-id")->unique) << "HTTP/2 sends it without indexing";
    EXPECT_TRUE(ua.empty() && ref.empty());
  }
}

TEST(RequestFacts, GeneratedIdsDifferAndNoHeaderMeansLogOnly) {
  EXPECT_NE(generate_request_id(), generate_request_id());
  // 16 hex digits of the thread's prefix, then 16 of a counter: consecutive ids count up.
  const std::string a(view(generate_request_id()));
  const std::string b(view(generate_request_id()));
  ASSERT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
  EXPECT_EQ(a.substr(0, 16), b.substr(0, 16));
  EXPECT_EQ(std::stoull(b.substr(16), nullptr, 16), std::stoull(a.substr(16), nullptr, 16) + 1)
      << a << " then " << b;
  codecs::HeaderList h;
  std::string_view id, ua, ref;
  record_request_facts(h, "", id, ua, ref);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(id.data(), h.own("x").data() - 32) << "the id is kept in the head's arena";
  EXPECT_TRUE(valid_request_id("x"));
  EXPECT_FALSE(valid_request_id("x\x7f"));
}

}  // namespace
}  // namespace crossmux::mux::proxy
