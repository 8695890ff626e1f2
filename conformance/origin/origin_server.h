// OriginServer: the demo/test origin behind the proxy — HTTP/1.1 and h2c on one port, serving the
// endpoints of origin_app.h, optionally recording every request it receives.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "codecs/base/result.h"
#include "conformance/origin/origin_app.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"

namespace crossmux::conformance {

struct OriginOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;        // 0: an ephemeral port, readable back with port()
  std::string record_path;  // append one JSON line per request here (origin_app.h record_line)
  bool reuse_port = false;
  // Tests only: rewrites every response plan (given the request's path) before it is sent, so the
  // origin can play a wrong server or proxy (conformance/test/translate_suite_test.cc). Not
  // reachable from the CLI.
  std::function<void(const std::string& path, ResponsePlan&)> rewrite_response;
};

// Runs on the caller's EventLoop (single-threaded). The protocol of each connection is told from
// its first bytes: the HTTP/2 client preface means h2c (RFC 9113 §3.4), anything else HTTP/1.1.
// Responses stream generated bodies with backpressure (a client that does not read holds the
// origin's memory to one window), honour /slow delays with the loop's timers, and go out in
// request order on HTTP/1.1 pipelines.
class OriginServer final : public mux::net::Handler {
 public:
  // Errors: the listener's bind errors (mux/net/net_errors.h), or kErrRecordFile.
  static codecs::Result<std::unique_ptr<OriginServer>> start(mux::net::EventLoop& loop,
                                                             const OriginOptions& options);
  ~OriginServer() override;

  uint16_t port() const { return listener_.port(); }
  std::string address() const { return listener_.local_address().to_string(); }
  uint64_t connections_accepted() const { return accepted_; }
  uint64_t requests_served() const { return requests_; }
  size_t open_connections() const { return open_; }

  // Called by connections.
  void record(const std::string& line);
  void count_request() { ++requests_; }
  void connection_closed() { --open_; }
  mux::net::EventLoop& loop() { return loop_; }
  const std::function<void(const std::string&, ResponsePlan&)>& rewrite_response() const {
    return rewrite_;
  }

  void on_ready() override;

 private:
  OriginServer(mux::net::EventLoop& loop, mux::net::TcpListener listener);

  mux::net::EventLoop& loop_;
  mux::net::TcpListener listener_;
  std::unique_ptr<mux::net::IoWatch> watch_;
  std::FILE* record_ = nullptr;
  std::function<void(const std::string&, ResponsePlan&)> rewrite_;
  uint64_t accepted_ = 0;
  uint64_t requests_ = 0;
  size_t open_ = 0;
};

inline constexpr char kErrRecordFile[] = "cannot open the record file";

}  // namespace crossmux::conformance
