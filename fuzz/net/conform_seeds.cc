// Recording the conform cases' bytes as seeds (issue #20: seeded from our conform cases).
#include "fuzz/net/conform_seeds.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "conformance/h1/suite.h"
#include "conformance/h2/suite.h"
#include "conformance/origin/origin_server.h"
#include "conformance/transport.h"
#include "mux/net/event_loop.h"

namespace crossmux::fuzz::net {

namespace {

// A crossmux origin on its own thread for as long as this lives.
class LocalOrigin {
 public:
  bool start(std::string& error) {
    auto loop = mux::net::EventLoop::create();
    if (!loop) {
      error = "no event loop: " + codecs::to_string(loop.error());
      return false;
    }
    loop_ = std::move(loop).value();
    auto server = conformance::OriginServer::start(*loop_, conformance::OriginOptions{});
    if (!server) {
      error = "the origin did not start: " + codecs::to_string(server.error());
      return false;
    }
    server_ = std::move(server).value();
    thread_ = std::thread([this] { (void)loop_->run(); });
    return true;
  }
  ~LocalOrigin() {
    if (!thread_.joinable()) return;
    // Connections belong to the loop until they retire (after the client closed): let them.
    for (int i = 0; i < 200 && server_->open_connections() > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    loop_->stop();
    thread_.join();
    server_.reset();
  }
  uint16_t port() const { return server_->port(); }

 private:
  std::unique_ptr<mux::net::EventLoop> loop_;
  std::unique_ptr<conformance::OriginServer> server_;
  std::thread thread_;
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

struct Recorder {
  Proto proto;
  std::string origin_authority, authority;
  std::map<uint64_t, std::string> open;  // bytes per transport serial, for the running case
  std::set<std::string> seen;
  std::vector<CorpusEntry> out;
  size_t cases = 0;

  // After each case: every connection it opened is one seed.
  void flush(const std::string& case_id) {
    for (auto& [serial, bytes] : open) {
      if (proto == Proto::H1) replace_all(bytes, origin_authority, authority);
      if (bytes.empty() || !seen.insert(bytes).second) continue;
      CorpusEntry e;
      e.c.proto = proto;
      e.c.units = split_units(proto, bytes);
      e.origin = "conform:" + case_id;
      if (!e.c.units.empty()) out.push_back(std::move(e));
    }
    open.clear();
  }

  void run(const conformance::Section& s) {
    for (size_t i = 0; i < s.cases.size(); ++i) {
      (void)s.cases[i].run();
      ++cases;
      flush(s.id + "/" + std::to_string(i + 1));
    }
    for (const auto& child : s.children) run(child);
  }
};

}  // namespace

std::vector<CorpusEntry> conform_seeds(Proto proto, const std::string& authority,
                                       std::vector<std::string>& notes) {
  const auto began = std::chrono::steady_clock::now();
  const std::string what = proto == Proto::H2 ? "conform h2" : "conform h1";
  LocalOrigin origin;
  std::string error;
  if (!origin.start(error)) {
    notes.push_back(what + ": " + error);
    return {};
  }
  Recorder r;
  r.proto = proto;
  r.authority = authority;
  r.origin_authority = "127.0.0.1:" + std::to_string(origin.port());
  conformance::Transport::set_write_tap(
      [&r](uint64_t serial, std::string_view data) { r.open[serial].append(data); });
  // The origin answers at once on loopback: short reads keep the cases that wait for a timeout
  // (a verdict of "nothing came") cheap.
  if (proto == Proto::H2) {
    conformance::h2::Target t;
    t.port = origin.port();
    t.timeout_ms = 100;
    for (const auto& section : conformance::h2::build_suite(t)) {
      if (section.id != "abuse") r.run(section);
    }
  } else {
    conformance::h1::Target t;
    t.port = origin.port();
    t.timeout_ms = 100;
    for (const auto& section : conformance::h1::build_suite(t)) r.run(section);
  }
  conformance::Transport::set_write_tap({});
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  char took[32];
  std::snprintf(took, sizeof took, "%.1f", secs);
  notes.push_back(what + ": " + std::to_string(r.out.size()) + " seeds from " +
                  std::to_string(r.cases) + " cases (recorded against an in-process origin in " +
                  took + " s)");
  return std::move(r.out);
}

}  // namespace crossmux::fuzz::net
