// mux_session oracles: the checks every backend applies to what the proxy wrote (one framing,
// one Host, no CR/LF/NUL, no connection-specific field over HTTP/2) and the log of request heads
// decoded from one byte stream that the "nothing smuggled" comparison uses. See
// mux_session_fuzzer.cc for the whole list of oracles.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/h2/connection.h"
#include "codecs/message/events.h"
#include "mux/config/config.h"

namespace crossmux::fuzz::mux_session {

using codecs::Bytes;
using codecs::StreamId;

// MUX_SESSION_TRACE: 1 a summary at the end, 2 also the bytes each end sends and receives, 3 also
// each action.
inline int trace_level() {
  static const int level = [] {
    const char* t = std::getenv("MUX_SESSION_TRACE");
    return t == nullptr ? 0 : std::atoi(t);
  }();
  return level;
}

[[noreturn]] inline void violated(const char* what) {
  std::fprintf(stderr, "mux_session oracle violated: %s\n", what);
  std::abort();
}

inline bool bad_octets(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

inline bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

inline std::string key_of(const codecs::MessageHead& h) {
  // RFC 8441 extended CONNECT (:protocol websocket) is forwarded to HTTP/1.1 as a GET Upgrade
  // (RFC 6455), and the reverse: both count as the GET of their path.
  if (h.method == "CONNECT" && !h.protocol.empty()) return "GET " + std::string(h.path);
  return std::string(h.method) + ' ' + std::string(h.path);
}

// Request heads decoded from one byte stream, with the checks a backend applies to what it gets.
class HeadLog final : public codecs::EventSink {
 public:
  explicit HeadLog(bool backend, bool h1) : backend_(backend), h1_(h1) {}

  void on_head(StreamId s, codecs::MessageHead& head) override {
    if (!head.is_request()) {
      if (head.status == 101) ++switched;
      return;
    }
    heads.push_back(key_of(head));
    methods.emplace_back(head.method);
    with_head.insert(s);
    // A tunnel request as the backend sees it: CONNECT (extended or not), or an HTTP/1.1 Upgrade.
    const bool tunnel = head.method == "CONNECT" || (h1_ && head.headers.find("upgrade"));
    if (tunnel) tunnels.insert(s);
    last_stream = s;
    unanswered.push_back({s, std::string(head.method), tunnel});
    if (backend_) check(head);
  }
  void on_data(StreamId s, Bytes data) override {
    if (credit != nullptr) credit->consume(s, data.size());
    // Body bytes of a tunnel request (HTTP/2 DATA on a CONNECT stream; an HTTP/1.1 Upgrade
    // request's body) belong to the tunnel: they may reach a backend only after it consented.
    if (backend_ && !data.empty() && tunnels.count(s) && !consented.count(s)) {
      violated("tunnel bytes reached a backend that did not consent to the tunnel");
    }
  }
  void on_trailers(StreamId, codecs::HeaderList& t) override {
    if (!backend_) return;
    for (const auto& f : t) {
      if (f.name.empty() || bad_octets(f.name) || bad_octets(f.value)) violated("bad trailer");
    }
  }
  void on_end_of_message(StreamId) override { ++ends; }
  void on_reset(StreamId s, uint32_t code) override {
    // nghttp2 answers a malformed request with RST_STREAM(PROTOCOL_ERROR) and no head event; the
    // proxy itself only resets streams whose HEADERS nghttp2 already accepted.
    if (backend_ && !h1_ && code == static_cast<uint32_t>(codecs::H2Code::ProtocolError) &&
        !with_head.count(s)) {
      violated("backend (nghttp2) received a malformed HTTP/2 request");
    }
    std::erase_if(unanswered, [s](const Pending& u) { return u.stream == s; });
    ++resets;
  }
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error& e) override {
    connection_error = true;
    if (trace_level() >= 1) std::fprintf(stderr, "%s\n", codecs::to_string(e).c_str());
  }

  // A request the backend (or the client's decoder) read and nobody answered yet.
  struct Pending {
    StreamId stream;
    std::string method;
    bool tunnel;  // CONNECT, or an HTTP/1.1 Upgrade
  };

  std::vector<std::string> heads;
  std::vector<std::string> methods;  // of `heads`, in order
  std::set<StreamId> with_head;
  std::deque<Pending> unanswered;
  // Tunnel requests received, and those the backend script consented to (a 101 with Upgrade:
  // websocket from HTTP/1.1, a 2xx without END_STREAM from HTTP/2) before answering them.
  std::set<StreamId> tunnels;
  std::set<StreamId> consented;
  StreamId last_stream = 0;
  size_t switched = 0;  // 101 responses decoded (client side: the proxy's)
  bool connection_error = false;
  // Streams reset either way: each may be retried once on the same connection (REFUSED_STREAM,
  // RFC 9113 §8.7), so each allows one more request than the clients sent.
  size_t resets = 0;
  size_t ends = 0;  // messages that ended (a backend's HTTP/1.1 requests: check_kept)
  codecs::h2::Connection* credit = nullptr;  // a decoder that must never run out of window

 private:
  void check(const codecs::MessageHead& h) const {
    if (h.method.empty() || bad_octets(h.method) || bad_octets(h.path) || bad_octets(h.authority)) {
      violated("request line with CR/LF/NUL");
    }
    size_t cl = 0, te = 0, host = 0;
    for (const auto& f : h.headers) {
      if (f.name.empty() || bad_octets(f.name) || bad_octets(f.value)) violated("bad field");
      if (iequal(f.name, "content-length")) ++cl;
      if (iequal(f.name, "transfer-encoding")) {
        ++te;
        if (!iequal(f.value, "chunked")) violated("Transfer-Encoding other than chunked");
      }
      if (iequal(f.name, "host")) ++host;
    }
    if (cl > 1 || te > 1 || (cl > 0 && te > 0)) violated("more than one framing in a request");
    if (host > 1) violated("more than one Host");
    if (!h1_) {
      for (const auto& f : h.headers) {
        if (iequal(f.name, "connection") || iequal(f.name, "transfer-encoding") ||
            iequal(f.name, "keep-alive") || iequal(f.name, "upgrade")) {
          violated("connection-specific field sent over HTTP/2");
        }
      }
    }
  }

  bool backend_;
  bool h1_;
};

// The responses an HTTP/1.1 client received (llhttp, one per request it sent whole, in order):
// how many final ones, the 101s among them, and which of them were the proxy's own 408 for a
// request head not finished in time (worker.h kRequestHeadersTimeout), told from a backend's 408
// by their body: exactly `timeout_body`, the proxy's default answer (session_ends.h).
class ResponseLog final : public codecs::EventSink {
 public:
  explicit ResponseLog(std::string timeout_body) : timeout_body_(std::move(timeout_body)) {}

  void on_head(StreamId, codecs::MessageHead& head) override {
    in_408_ = head.status == 408;
    body_.clear();
    if (head.status < 200 && head.status != 101) return;  // interim: the final one follows
    if (head.status == 101) ++switched;
    index_ = finals++;
  }
  void on_data(StreamId, Bytes data) override {
    if (in_408_ && body_.size() <= timeout_body_.size()) {
      body_.append(reinterpret_cast<const char*>(data.data()), data.size());
    }
  }
  void on_trailers(StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(StreamId) override {
    if (in_408_ && body_ == timeout_body_) head_timeouts.push_back(index_);
    in_408_ = false;
  }
  void on_reset(StreamId, uint32_t) override {}
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}

  size_t finals = 0;    // final responses (101 included) begun
  size_t switched = 0;  // 101 responses
  // The proxy's 408s for a head not finished in time, by their place among the final responses:
  // the n-th answers (in the client's eyes) the n-th request it sent.
  std::vector<size_t> head_timeouts;

 private:
  std::string timeout_body_;
  std::string body_;
  bool in_408_ = false;
  size_t index_ = 0;
};

}  // namespace crossmux::fuzz::mux_session
