// The translation runner judges what the client got back, not only the status: pointed straight at
// `crossmux origin` (a perfect pass-through "proxy"), every scenario passes; with the origin
// rewriting its answers like a wrong proxy would (fields joined or dropped, a body byte changed,
// trailers or the 103 lost, another status or Location, an extra field), each response verdict
// fails in both client protocols. A runner that always says ✔ cannot pass this.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "conformance/origin/origin_server.h"
#include "conformance/runner.h"
#include "conformance/translate/replay.h"
#include "conformance/translate/scenario.h"

namespace crossmux::conformance::translate {
namespace {

// Scenarios written for the origin's endpoints, one response verdict each.
const std::map<std::string, std::string> kScenarios = {
    {"cookies",
     "title: three set-cookie fields\nmethod: GET\npath: /cookies\nheader: cookie: a=1\n"
     "expect: forwarded\nexpect response:\nstatus: 200\n"
     "header: set-cookie: session=abc123; Path=/; HttpOnly\n"
     "header: set-cookie: theme=dark; Path=/; Max-Age=3600\n"
     "header: set-cookie: seen=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT\n"
     "body: cookie: a=1\\n\n"},
    {"echo",
     "title: echo body\nmethod: POST\npath: /echo\nheader: content-type: text/plain\n"
     "body: hello world\nexpect: forwarded\nexpect response:\nstatus: 200\n"
     "header: content-type: text/plain\nheader: content-length: 11\nheaders: only-listed\n"
     "body: hello world\n"},
    {"bytes",
     "title: generated body\nmethod: GET\npath: /bytes/100000\nexpect: forwarded\n"
     "expect response:\nbody-size: 100000\n"},
    {"trailers",
     "title: trailers\nmethod: POST\npath: /trailers\nheader: te: trailers\nbody: x\n"
     "expect: forwarded\nexpect response:\ntrailer: grpc-status: 0\n"},
    {"hints",
     "title: early hints\nmethod: GET\npath: /early-hints\nexpect: forwarded\n"
     "expect response:\ninterim: 103\n"
     "interim-header: link: </style.css>; rel=preload; as=style\n"
     "interim-header: link: </app.js>; rel=preload; as=script\nstatus: 200\n"},
    {"redirect",
     "title: redirect\nmethod: GET\npath: /status/301\nexpect: forwarded\n"
     "expect response:\nstatus: 301\nheader: location: https://www.example.com/landing?from=301\n"},
    {"head",
     "title: head\nmethod: HEAD\npath: /bytes/1000\nexpect: forwarded\n"
     "expect response:\nheader: content-length: 1000\nbody-length: 0\n"},
};

// How the wrong server breaks each endpoint's answer (one response verdict per scenario).
void wrong(ResponsePlan& p, const std::string& path) {
  auto headers = [&](auto pred) { std::erase_if(p.headers, pred); };
  if (path.starts_with("/cookies")) {
    std::string joined;  // the classic mistake: Set-Cookie joined like a list
    for (const auto& [k, v] : p.headers) {
      if (k == "set-cookie") joined += (joined.empty() ? "" : ", ") + v;
    }
    headers([](const auto& f) { return f.first == "set-cookie"; });
    p.headers.emplace_back("set-cookie", joined);
  } else if (path.starts_with("/echo")) {
    if (!p.body.empty()) p.body[0] = 'H';
    p.headers.emplace_back("x-powered-by", "wrong");  // not listed: only-listed catches it
  } else if (path.starts_with("/bytes/100000")) {
    p.body_bytes -= 1;
  } else if (path.starts_with("/trailers")) {
    p.trailers.clear();
  } else if (path.starts_with("/early-hints")) {
    p.interim.clear();
  } else if (path.starts_with("/status/301")) {
    headers([](const auto& f) { return f.first == "location"; });
    p.headers.emplace_back("location", "https://evil.example/");
  } else if (path.starts_with("/bytes/1000")) {
    p.body_bytes = 999;  // HEAD: the length is metadata only
  }
}

class Origin {
 public:
  explicit Origin(bool is_wrong) {
    record_ =
        (std::filesystem::temp_directory_path() / ("translate_suite_" + std::to_string(::getpid()) +
                                                   (is_wrong ? "_wrong" : "_right") + ".jsonl"))
            .string();
    std::remove(record_.c_str());
    auto loop = mux::net::EventLoop::create();
    if (!loop) throw std::runtime_error("no event loop");
    loop_ = std::move(loop).value();
    OriginOptions o;
    o.record_path = record_;
    // Without a proxy the backend protocol is the client's, so x-origin-protocol (which says which
    // one reached the origin) is left out by both servers.
    o.rewrite_response = [is_wrong](const std::string& path, ResponsePlan& p) {
      std::erase_if(p.headers, [](const auto& f) { return f.first == "x-origin-protocol"; });
      if (is_wrong) wrong(p, path);
    };
    auto server = OriginServer::start(*loop_, o);
    if (!server) throw std::runtime_error("the origin did not start");
    server_ = std::move(server).value();
    thread_ = std::thread([this] { (void)loop_->run(); });
  }
  ~Origin() {
    // Connections belong to the loop until they retire themselves (after the client closed):
    // let them, so nothing is left behind when the loop goes.
    for (int i = 0; i < 500 && server_->open_connections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    loop_->stop();
    thread_.join();
    server_.reset();
    std::remove(record_.c_str());
  }
  uint16_t port() const { return server_->port(); }
  const std::string& record() const { return record_; }

 private:
  std::string record_;
  std::unique_ptr<mux::net::EventLoop> loop_;
  std::unique_ptr<OriginServer> server_;
  std::thread thread_;
};

// Runs every scenario in every pairing against the origin; the ids that failed, as
// "<pairing>:<scenario id>".
std::set<std::string> failures(const Origin& origin, std::string* report = nullptr) {
  std::vector<Scenario> scenarios;
  for (const auto& [id, text] : kScenarios) {
    Scenario s;
    std::string error;
    EXPECT_TRUE(parse_scenario(id, text, s, error)) << id << ": " << error;
    scenarios.push_back(std::move(s));
  }
  ProxyTarget t;
  t.port = origin.port();
  t.record_path = origin.record();
  t.timeout_ms = 2000;
  RunOptions o;
  o.progress = false;
  std::ostringstream out;
  auto summary = run(build_suite(t, scenarios), o, out);
  if (report) *report = out.str();
  std::set<std::string> failed;
  for (const auto& r : summary.results) {
    if (r.outcome.verdict != Verdict::Fail) continue;
    const auto open = r.title.rfind('[');
    failed.insert(r.section.substr(r.section.find('/') + 1) + ":" +
                  r.title.substr(open + 1, r.title.size() - open - 2));
  }
  return failed;
}

TEST(TranslateSuite, APassThroughPassesEveryResponseCheck) {
  Origin right(false);
  std::string report;
  auto failed = failures(right, &report);
  EXPECT_TRUE(failed.empty()) << report;
  EXPECT_NE(report.find(std::to_string(kScenarios.size() * 4) + " tests, " +
                        std::to_string(kScenarios.size() * 4) + " passed"),
            std::string::npos)
      << report;
}

TEST(TranslateSuite, AWrongServerFailsEveryResponseCheckInEveryPairing) {
  Origin wrong_origin(true);
  std::string report;
  auto failed = failures(wrong_origin, &report);
  for (const char* pairing : {"h1-h1", "h1-h2", "h2-h1", "h2-h2"}) {
    for (const auto& [id, text] : kScenarios) {
      EXPECT_TRUE(failed.count(std::string(pairing) + ":" + id))
          << pairing << " " << id << " passed\n"
          << report;
    }
  }
  // The recap names what differed, expected against got.
  EXPECT_NE(report.find("field set-cookie: expected \"session=abc123; Path=/; HttpOnly\""),
            std::string::npos);
  EXPECT_NE(report.find("trailer grpc-status: expected \"0\", got absent"), std::string::npos);
  EXPECT_NE(report.find("interim responses: expected 103, got none"), std::string::npos);
  EXPECT_NE(report.find("field x-powered-by: not expected"), std::string::npos);
  EXPECT_NE(report.find("body: expected 100000 bytes with SHA-256"), std::string::npos);
}

TEST(TranslateSuite, ScenarioFormatErrorsNameTheLine) {
  Scenario s;
  std::string error;
  EXPECT_FALSE(parse_scenario("x", "title: t\nexpect response:\nbogus: 1\n", s, error));
  EXPECT_EQ(error, "line 3: unknown directive \"bogus\" in the response section");
  EXPECT_FALSE(
      parse_scenario("x", "title: t\nexpect: rejected\nexpect response:\nstatus: 200\n", s, error));
  EXPECT_FALSE(parse_scenario("x", "title: t\nexpect response:\ninterim-header: a: b\n", s, error));
  ASSERT_TRUE(parse_scenario("x",
                             "title: t\nheader: : empty\npseudo: :path: /p\nexpect response:\n"
                             "  body-size: 3\n  header: :weird: v\n",
                             s, error))
      << error;
  EXPECT_EQ(s.headers[0], (Field{"", "empty"}));
  EXPECT_EQ(s.pseudo[0], (Field{":path", "/p"}));
  EXPECT_EQ(s.response.body_length, 3u);
  EXPECT_EQ(s.response.body_sha256, sha256_hex(generated_body(3)));
}

}  // namespace
}  // namespace crossmux::conformance::translate
