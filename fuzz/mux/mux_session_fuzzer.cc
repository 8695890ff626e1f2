// mux_session: a whole proxy session in memory. The real mux/proxy code (Worker routing,
// ClientSession, Exchange, BackendPool, BackendConnection, the four codec adapters) runs on an
// EventLoop with a VirtualClock; client and backend connections are MemoryStreams whose remote
// ends this driver scripts from the input: send bytes (templates or raw, split at input-chosen
// boundaries), stop and resume reading, close, reset, refuse connects, advance time.
//
// The loop still owns an epoll fd (with only its eventfd registered): MemoryStreams raise their
// readiness edges on their IoWatch themselves, so epoll_wait(0) never reports anything.
//
// Oracles (a violation aborts):
//   - sanitizers (ASan/UBSan): no crash, no undefined behaviour;
//   - no hang: each settle reaches an empty run queue within kMaxSteps iterations, and once every
//     peer behaves (reads everything, closes) and time passes, no session or backend connection
//     is left and no timer is armed;
//   - bytes held: every connection's input and output buffers, and each exchange's queued body,
//     stay under their caps (kInputCap, kOutputHighWater, kQueueCap plus one read and one window);
//   - what a backend receives is well-formed: HTTP/1.1 parsed by llhttp (strict), HTTP/2 by an
//     nghttp2 server session (which is also the backend); one framing per request (no CL with TE,
//     one CL, TE only "chunked"), one Host, no CR/LF/NUL in any field;
//   - nothing smuggled: each request a backend connection receives has the method and path of a
//     request head the client sent whole, and a connection never receives more requests than
//     the clients sent. "Sent whole" is decided by a separate decoder (codecs/h1, codecs/h2, as
//     permissive as the proxy's) fed the same client bytes: this checks the proxy's own logic
//     (pipelining, early answers, retries, reuse); the decoders themselves are checked against
//     llhttp and nghttp2 by h1_diff and h2_diff.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h1/decoder.h"
#include "codecs/h2/connection.h"
#include "codecs/h2/frame.h"
#include "codecs/message/events.h"
#include "codecs/reference/llhttp_adapter.h"
#include "codecs/reference/nghttp2_adapter.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/h2_wire.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/memory_stream.h"
#include "mux/net/net_errors.h"
#include "mux/proxy/backend_connection.h"
#include "mux/proxy/backend_pool.h"
#include "mux/proxy/client_session.h"
#include "mux/proxy/exchange.h"
#include "mux/proxy/peer.h"
#include "mux/proxy/worker.h"

namespace {

using namespace crossmux;
namespace net = mux::net;
namespace proxy = mux::proxy;
namespace config = mux::config;
using codecs::Bytes;
using codecs::StreamId;
using fuzz::FuzzInput;

// Loop iterations one settle may take before the session counts as livelocked.
constexpr size_t kMaxSteps = 100000;
// Script actions per input (bounds the work of one execution).
constexpr size_t kMaxActions = 96;
// One Peer read (peer.cc kReadSize) may land on top of a buffer just under its cap.
constexpr size_t kReadSlack = 16 * 1024;
// One take_output() of an H2 connection (Limits::max_output_per_take) plus control frames and
// header blocks, or one H1 adapter buffer (64 KiB) plus a head.
constexpr size_t kTakeSlack = (256 + 64) * 1024 + 64 * 1024;
// Deadlines the wind-down lets pass before it calls the session hung: far more than the
// exchanges a script can open (kMaxActions) times their attempts and timeouts each.
constexpr int kWindDownRounds = 2000;
// 1xx heads queued for one exchange.
constexpr size_t kMaxInterim = 64;

// MUX_SESSION_TRACE: 1 a summary at the end, 2 also the bytes each end sends and receives, 3 also
// each action.
int trace_level() {
  static const int level = [] {
    const char* t = std::getenv("MUX_SESSION_TRACE");
    return t == nullptr ? 0 : std::atoi(t);
  }();
  return level;
}

[[noreturn]] void violated(const char* what) {
  std::fprintf(stderr, "mux_session oracle violated: %s\n", what);
  std::abort();
}

bool bad_octets(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string key_of(const codecs::MessageHead& h) {
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
    if (!head.is_request()) return;
    heads.push_back(key_of(head));
    with_head.insert(s);
    unanswered.push_back({s, std::string(head.method)});
    if (backend_) check(head);
  }
  void on_data(StreamId s, Bytes data) override {
    if (credit != nullptr) credit->consume(s, data.size());
  }
  void on_trailers(StreamId, codecs::HeaderList& t) override {
    if (!backend_) return;
    for (const auto& f : t) {
      if (f.name.empty() || bad_octets(f.name) || bad_octets(f.value)) violated("bad trailer");
    }
  }
  void on_end_of_message(StreamId) override {}
  void on_reset(StreamId s, uint32_t code) override {
    // nghttp2 answers a malformed request with RST_STREAM(PROTOCOL_ERROR) and no head event; the
    // proxy itself only resets streams whose HEADERS nghttp2 already accepted.
    if (backend_ && !h1_ && code == static_cast<uint32_t>(codecs::H2Code::ProtocolError) &&
        !with_head.count(s)) {
      violated("backend (nghttp2) received a malformed HTTP/2 request");
    }
    std::erase_if(unanswered, [s](const auto& u) { return u.first == s; });
    ++resets;
  }
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error& e) override {
    connection_error = true;
    if (trace_level() >= 1) std::fprintf(stderr, "%s\n", codecs::to_string(e).c_str());
  }

  std::vector<std::string> heads;
  std::set<StreamId> with_head;
  std::deque<std::pair<StreamId, std::string>> unanswered;
  bool connection_error = false;
  // Streams reset either way: each may be retried once on the same connection (REFUSED_STREAM,
  // RFC 9113 §8.7), so each allows one more request than the clients sent.
  size_t resets = 0;
  codecs::h2::Connection* credit = nullptr;  // a decoder that must never run out of window

 private:
  void check(const codecs::MessageHead& h) const {
    if (h.method.empty() || bad_octets(h.method) || bad_octets(h.path) ||
        bad_octets(h.authority)) {
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

// The proxy's HTTP/2 settings (codec_h2.cc local_settings), so the "sent whole" decoder reads the
// client's HPACK context as the proxy does; windows and counts as large as possible.
codecs::h2::Settings permissive_settings(const config::Limits& l) {
  codecs::h2::Settings s;
  s.header_table_size = l.header_table_size;
  s.max_concurrent_streams = 1u << 30;
  s.initial_window_size = codecs::h2::kMaxWindow;
  s.max_frame_size = (1u << 24) - 1;
  s.max_header_list_size = 1u << 30;
  s.enable_connect_protocol = 1;  // RFC 8441: the proxy may take WebSocket over HTTP/2
  return s;
}

codecs::h2::Limits permissive_limits() {
  codecs::h2::Limits l;
  l.connection_window = codecs::h2::kMaxWindow;
  l.max_header_list_size = SIZE_MAX;
  l.max_field_count = SIZE_MAX;
  l.max_continuations = UINT32_MAX;
  l.max_header_block_bytes = UINT32_MAX;
  l.reset_budget = UINT32_MAX;
  l.glitch_budget = UINT32_MAX;
  l.max_queued_control = UINT32_MAX;
  l.max_settings_entries = UINT32_MAX;
  return l;
}

// The client's end of one client connection.
struct ClientEnd {
  ClientEnd(net::MemoryPeer p, bool is_h2, const config::Config& cfg)
      : peer(std::move(p)), h2(is_h2), sent(false, !is_h2), writer(true) {
    if (h2) {
      h2_decoder = std::make_unique<codecs::h2::Connection>(
          codecs::h2::Role::Server, sent, permissive_settings(cfg.limits), permissive_limits());
      sent.credit = h2_decoder.get();
    } else {
      codecs::h1::DecoderOptions o;
      o.limits.max_header_bytes = SIZE_MAX / 2;
      o.limits.max_request_line = SIZE_MAX / 2;
      o.limits.max_header_count = SIZE_MAX / 2;
      h1_decoder = std::make_unique<codecs::h1::Decoder>(codecs::MessageKind::Request, o);
    }
  }

  // Sends bytes to the proxy and through the "sent whole" decoder.
  void deliver(Bytes b) {
    if (closed || b.empty()) return;
    if (trace_level() >= 2) {
      std::fprintf(stderr, "from client:");
      for (uint8_t ch : b) std::fprintf(stderr, " %02x", ch);
      std::fprintf(stderr, "\n");
    }
    peer.send(b);
    if (decoder_done) return;
    pending.append(reinterpret_cast<const char*>(b.data()), b.size());
    for (;;) {
      const Bytes in(reinterpret_cast<const uint8_t*>(pending.data()), pending.size());
      codecs::Result<size_t> r = h2 ? h2_decoder->feed(in) : h1_decoder->feed(in, sent);
      if (!r) {
        decoder_done = true;
        pending.clear();
        return;
      }
      if (!h2 && h1_decoder->awaiting_tunnel()) h1_decoder->resolve_tunnel(false, sent);
      pending.erase(0, *r);
      if (h2) {
        scratch.clear();
        h2_decoder->take_output(scratch);
      }
      if (*r == 0 || pending.empty() || (!h2 && h1_decoder->closed())) return;
    }
  }

  net::MemoryPeer peer;
  bool h2;
  bool stalled = false;
  bool closed = false;
  HeadLog sent;
  std::unique_ptr<codecs::h1::Decoder> h1_decoder;
  std::unique_ptr<codecs::h2::Connection> h2_decoder;
  std::string pending;
  bool decoder_done = false;
  codecs::ByteBuffer scratch;
  fuzz::PeerWriter writer;
  uint32_t next_stream = 1;
  bool preface_sent = false;
  size_t received = 0;
};

// The backend's end of one backend connection: llhttp or an nghttp2 server session reads what the
// proxy sent (the oracle); responses come from templates, nghttp2 or raw input bytes.
struct BackendEnd {
  BackendEnd(net::MemoryPeer p, bool is_h2, const codecs::reference::Nghttp2Session::Options& o)
      : peer(std::move(p)), h2(is_h2), seen(true, !is_h2) {
    if (h2) {
      nghttp2 = std::make_unique<codecs::reference::Nghttp2Session>(
          codecs::reference::Nghttp2Session::Role::Server, seen, o);
    } else {
      llhttp = std::make_unique<codecs::reference::LlhttpDecoder>(codecs::MessageKind::Request);
    }
  }

  // Hands nghttp2's own frames (SETTINGS, ACKs, WINDOW_UPDATE, responses) to the proxy.
  void flush_nghttp2() {
    if (!nghttp2 || closed) return;
    codecs::ByteBuffer out;
    nghttp2->take_output(out);
    if (!out.empty()) peer.send(out.bytes());
  }

  // What the proxy wrote, through the oracle parser.
  void check(std::string_view bytes) {
    if (parse_stopped || bytes.empty()) return;
    if (trace_level() >= 2) {
      std::fprintf(stderr, "to backend:");
      for (unsigned char ch : bytes) std::fprintf(stderr, " %02x", ch);
      std::fprintf(stderr, "\n");
    }
    const Bytes b(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (h2) {
      auto r = nghttp2->feed(b);
      // Raw bytes from the script (a SETTINGS, a WINDOW_UPDATE) change what the proxy may send
      // without nghttp2 knowing: connection-level disagreements then prove nothing.
      if ((!r || seen.connection_error) && !tainted) {
        std::fprintf(stderr, "nghttp2: %s\n",
                     r ? "sent GOAWAY" : codecs::to_string(r.error()).c_str());
        violated("backend (nghttp2) rejected the proxy's HTTP/2 output");
      }
      if (!r) parse_stopped = true;
      flush_nghttp2();
      return;
    }
    llhttp_pending.append(bytes);
    const Bytes in(reinterpret_cast<const uint8_t*>(llhttp_pending.data()),
                   llhttp_pending.size());
    auto r = llhttp->feed(in, seen);
    if (!r) {
      // llhttp knows only its own method list; any other token is a method we may forward.
      if (std::string_view(r.error().detail) == "HPE_INVALID_METHOD") {
        parse_stopped = true;
        return;
      }
      std::fprintf(stderr, "llhttp: %s\n", r.error().detail);
      violated("backend (llhttp) rejected the proxy's HTTP/1.1 output");
    }
    llhttp_pending.erase(0, *r);
    // A tunnel (CONNECT / Upgrade) head: llhttp stops consuming; what follows is not HTTP.
    if (*r < in.size()) parse_stopped = true;
  }

  net::MemoryPeer peer;
  bool h2;
  bool stalled = false;
  bool closed = false;  // the script closed or reset it
  bool tainted = false;
  bool parse_stopped = false;
  HeadLog seen;
  std::unique_ptr<codecs::reference::LlhttpDecoder> llhttp;
  std::unique_ptr<codecs::reference::Nghttp2Session> nghttp2;
  std::string llhttp_pending;
  size_t checked_heads_ = 0;  // heads already matched against what the clients sent
};

class Harness;

class MemoryConnector final : public proxy::BackendConnector {
 public:
  explicit MemoryConnector(Harness& h) : h_(h) {}
  codecs::Result<std::unique_ptr<net::ByteStream>> connect(
      const proxy::Exchange& ex, const net::SocketAddress& address) override;

 private:
  Harness& h_;
};

class Harness {
 public:
  explicit Harness(FuzzInput& in) : in_(in), connector_(*this) {}

  void run() {
    configure();
    auto loop = net::EventLoop::create(&clock_);
    if (!loop) return;  // out of fds: nothing to test
    loop_ = std::move(*loop);
    limiter_ = std::make_unique<proxy::ConnectionLimiter>(config_.limits.max_connections,
                                                          config_.limits.max_connections_per_ip);
    shared_config_ = std::make_shared<const config::Config>(config_);
    worker_ = std::make_unique<proxy::Worker>(*loop_, shared_config_, nullptr, *limiter_);
    if (!worker_->prepare()) violated("prepare failed on numeric addresses");
    worker_->pool().set_connector(&connector_);
    open_client(client_h2_);
    settle();
    for (size_t n = 0; n < kMaxActions && !in_.empty(); ++n) {
      step();
      settle();
    }
    wind_down();
    if (trace_level() >= 1) trace();
    worker_.reset();
    loop_.reset();
  }

  // Called by MemoryConnector from inside the loop.
  codecs::Result<std::unique_ptr<net::ByteStream>> connect(const proxy::Exchange& ex) {
    if (refuse_connects_ > 0) {
      --refuse_connects_;
      return codecs::unexpected(codecs::Error{codecs::Scope::Connection, 111,
                                              codecs::Side::Internal, net::errors::kConnect, 0});
    }
    auto pipe = net::make_memory_pipe({capacity_, auto_accept_});
    const bool h2 = ex.cluster->protocol != config::BackendProtocol::Http1;
    backends_.push_back(std::make_unique<BackendEnd>(pipe.peer, h2, backend_h2_));
    backends_.back()->flush_nghttp2();  // its SETTINGS, read once the connect completes
    return std::unique_ptr<net::ByteStream>(std::move(pipe.stream));
  }

 private:
  void configure() {
    const uint8_t mode = in_.u8();
    client_h2_ = mode & 1;
    const bool backend_a_h2 = mode & 2;
    auto_accept_ = !(mode & 4);
    const bool two_backends = mode & 8;
    const bool small_timeouts = !(mode & 16);
    const uint8_t shape = in_.u8();
    static constexpr std::array<uint32_t, 4> kStreams = {100, 1, 2, 8};
    static constexpr std::array<uint32_t, 4> kWindows = {65535, 1024, 16384, 262144};
    static constexpr std::array<size_t, 4> kCapacity = {65536, 512, 4096, 1 << 20};
    config_.limits.max_concurrent_streams = kStreams[shape & 3];
    config_.limits.initial_window_size = kWindows[(shape >> 2) & 3];
    capacity_ = kCapacity[(shape >> 4) & 3];
    const uint32_t per_backend = 1 + ((shape >> 6) & 1) + ((shape >> 7) & 1) * 2;
    if (small_timeouts) {
      auto& t = config_.timeouts;
      t.request_headers = config::Millis(200);
      t.client_idle = config::Millis(500);
      t.backend_connect = config::Millis(100);
      t.backend_response = config::Millis(300);
      t.stream_progress = config::Millis(300);
      t.settings_ack = config::Millis(200);
    }
    const uint8_t peer_shape = in_.u8();
    backend_h2_.max_concurrent_streams = kStreams[peer_shape & 3];
    backend_h2_.initial_window_size = kWindows[(peer_shape >> 2) & 3];

    config::Listener l;
    l.name = "in";
    l.address = {"127.0.0.1", 8080};
    l.http2 = !(peer_shape & 16);
    config_.listeners.push_back(l);
    for (int i = 0; i < 2; ++i) {
      config::Cluster c;
      c.name = i == 0 ? "a" : "b";
      const bool h2 = (i == 0) == backend_a_h2;
      c.protocol = h2 ? config::BackendProtocol::H2c : config::BackendProtocol::Http1;
      c.backends.push_back({{"127.0.0.1", static_cast<uint16_t>(9000 + 2 * i)}, 1});
      if (two_backends) c.backends.push_back({{"127.0.0.1", static_cast<uint16_t>(9001 + 2 * i)}, 1});
      c.max_connections_per_backend = per_backend;
      c.connect_retries = (peer_shape >> 5) & 3;
      config_.clusters.push_back(c);
    }
    // example.com goes to cluster a, any other host to b; "*" and "" paths match no frontend.
    config::Frontend fa;
    fa.hostname = "example.com";
    fa.cluster = "a";
    config::Frontend fb;
    fb.cluster = "b";
    config_.frontends = {fa, fb};
  }

  void open_client(bool h2) {
    if (clients_.size() >= 3) return;
    if (worker_->limiter().try_acquire("198.51.100.1") != proxy::ConnectionLimiter::Verdict::Accept) {
      return;
    }
    auto pipe = net::make_memory_pipe({capacity_, true});
    clients_.push_back(std::make_unique<ClientEnd>(pipe.peer, h2, config_));
    worker_->open_session(worker_->config().listeners[0], std::move(pipe.stream), nullptr,
                          "198.51.100.1:40000", "198.51.100.1");
  }

  // Runs the loop until nothing is queued and no peer has anything to move.
  void settle() {
    for (size_t i = 0;; ++i) {
      if (i > kMaxSteps) violated("no quiescence: the loop keeps running (livelock)");
      loop_->run_once(0);
      check_bounds();
      const bool moved = pump_peers();
      if (!moved && !loop_->has_queued()) break;
    }
  }

  // The remote ends read what the proxy wrote (unless stalled). True when bytes moved.
  bool pump_peers() {
    bool moved = false;
    for (auto& c : clients_) {
      if (c->stalled || c->closed) continue;
      std::string got;
      if (c->peer.receive(got) > 0) {
        moved = true;
        c->received += got.size();
        if (trace_level() >= 2) {
          std::fprintf(stderr, "to client: %s\n", got.substr(0, 300).c_str());
        }
      }
    }
    for (auto& b : backends_) {
      if (b->stalled || b->closed) continue;
      std::string got;
      if (b->peer.receive(got) > 0) {
        moved = true;
        b->check(got);
        const size_t n = b->seen.heads.size();
        size_t sent = 0;
        std::multiset<std::string> known;
        for (auto& c : clients_) {
          sent += c->sent.heads.size();
          known.insert(c->sent.heads.begin(), c->sent.heads.end());
        }
        for (size_t i = b->checked_heads_; i < n; ++i) {
          if (!known.count(b->seen.heads[i])) {
            std::fprintf(stderr, "backend got: %s\n", b->seen.heads[i].c_str());
            violated("a backend received a request no client sent (smuggled)");
          }
        }
        b->checked_heads_ = n;
        if (!b->tainted && n > sent + b->seen.resets) {
          violated("a backend connection received more requests than were sent");
        }
      }
    }
    return moved;
  }

  void check_bounds() const {
    const size_t window = std::max<size_t>(config_.limits.initial_window_size, 65535);
    const size_t queue_cap = proxy::kQueueCap + proxy::kInputCap + kReadSlack + window;
    auto exchange = [&](const proxy::Exchange& ex) {
      if (ex.request.queued() > queue_cap) violated("request body queue over budget");
      if (ex.response.queued() > queue_cap) violated("response body queue over budget");
      if (ex.response.interim.size() > kMaxInterim) violated("interim responses pile up");
    };
    auto peer = [&](const proxy::Peer& p) {
      if (p.input_bytes() > proxy::kInputCap + kReadSlack) violated("input buffer over budget");
      if (p.output_bytes() > proxy::kOutputHighWater + kTakeSlack) {
        violated("output buffer over budget");
      }
    };
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      peer(s);
      s.for_each_exchange(exchange);
    });
    worker_->pool().for_each_connection([&](const proxy::BackendConnection& c) { peer(c); });
  }

  ClientEnd* client() {
    if (clients_.empty()) return nullptr;
    return clients_[in_.u8() % clients_.size()].get();
  }
  BackendEnd* backend() {
    if (backends_.empty()) return nullptr;
    // Mostly the newest connection.
    const uint8_t i = in_.u8();
    return backends_[i < 128 ? backends_.size() - 1 : i % backends_.size()].get();
  }

  // Sends `bytes` from client `c` in input-chosen pieces, letting the proxy run between them.
  void client_send(ClientEnd& c, Bytes bytes) {
    auto sizes = in_.bytes(in_.range(0, 3));
    for (Bytes piece : fuzz::split_by(bytes, sizes)) {
      c.deliver(piece);
      settle();
    }
  }

  void step() {
    const uint8_t op = in_.u8();
    if (trace_level() >= 3) {
      std::fprintf(stderr, "[t=%llu] action %u\n", static_cast<unsigned long long>(clock_.now_ms()),
                   op % 20);
    }
    switch (op % 20) {
      case 0: case 1: case 2: case 3: {  // a request from a client
        ClientEnd* c = client();
        if (!c) break;
        codecs::ByteBuffer wire;
        c->h2 ? h2_request(*c, wire) : h1_request(wire);
        client_send(*c, wire.bytes());
        break;
      }
      case 4: {  // raw client bytes
        ClientEnd* c = client();
        auto raw = in_.chunk();
        if (c) client_send(*c, Bytes(raw.data(), raw.size()));
        break;
      }
      case 5: {  // HTTP/2 client frames other than requests
        ClientEnd* c = client();
        if (!c || !c->h2) break;
        codecs::ByteBuffer wire;
        h2_client_frame(*c, wire);
        client_send(*c, wire.bytes());
        break;
      }
      case 6: case 7: case 8: {  // a response from a backend
        BackendEnd* b = backend();
        if (!b || b->closed) break;
        b->h2 ? h2_response(*b) : h1_response(*b);
        break;
      }
      case 9: {  // raw backend bytes
        BackendEnd* b = backend();
        auto raw = in_.chunk();
        if (!b || b->closed) break;
        b->tainted = true;
        b->peer.send(Bytes(raw.data(), raw.size()));
        break;
      }
      case 10: {  // stop or resume reading
        const uint8_t which = in_.u8();
        if (which & 1) {
          if (BackendEnd* b = backend()) b->stalled = !b->stalled;
        } else if (ClientEnd* c = client()) {
          c->stalled = !c->stalled;
        }
        break;
      }
      case 11: {  // a client closes: FIN, full close or reset
        ClientEnd* c = client();
        if (!c || c->closed) break;
        const uint8_t how = in_.u8() % 3;
        if (how == 0) {
          c->peer.close_write();
        } else {
          how == 1 ? c->peer.close() : c->peer.reset();
          c->closed = true;
        }
        break;
      }
      case 12: {  // a backend closes: FIN, full close, reset, or GOAWAY (HTTP/2)
        BackendEnd* b = backend();
        if (!b || b->closed) break;
        const uint8_t how = in_.u8() % 4;
        if (how == 0) {
          b->peer.close_write();
        } else if (how == 3 && b->h2) {
          // nghttp2 reports its own GOAWAY with an error code as a connection error: from here a
          // connection-level verdict is ours, not the proxy's.
          b->tainted = true;
          b->nghttp2->terminate(in_.range(0, 13));
          b->flush_nghttp2();
        } else {
          how == 2 ? b->peer.reset() : b->peer.close();
          b->closed = true;
        }
        break;
      }
      case 13: {  // a pending connect completes or is refused; or the next connect fails at once
        const uint8_t how = in_.u8();
        if (how % 4 == 3) {
          refuse_connects_ = 1 + how / 64;
          break;
        }
        for (auto& b : backends_) {
          if (b->peer.connected() || b->closed) continue;
          if (how % 4 == 0) {
            b->peer.refuse();
            b->closed = true;
          } else {
            b->peer.accept();
          }
          break;
        }
        break;
      }
      case 14: case 15: {  // time passes
        static constexpr std::array<uint64_t, 8> kSteps = {1, 10, 99, 150, 301, 1000, 10001, 61000};
        clock_.advance(kSteps[in_.u8() % kSteps.size()]);
        break;
      }
      case 16:  // another client connection
        open_client(in_.boolean());
        break;
      case 17: {  // an HTTP/2 backend resets a stream or sends a frame nghttp2 does not know of
        BackendEnd* b = backend();
        if (!b || b->closed || !b->h2) break;
        codecs::ByteBuffer wire;
        if (in_.boolean() && !b->seen.unanswered.empty()) {
          codecs::h2::write_rst_stream(wire, b->seen.unanswered.front().first, in_.range(0, 13));
          b->seen.unanswered.pop_front();
        } else {
          fuzz::PeerWriter::raw_frame(in_, wire);
        }
        b->tainted = true;
        b->peer.send(wire.bytes());
        break;
      }
      default: {  // a response in pieces: head now, the rest later (H1 only), or 100 Continue
        BackendEnd* b = backend();
        if (!b || b->closed || b->h2 || b->seen.unanswered.empty()) break;
        b->peer.send(codecs::as_bytes(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")));
        break;
      }
    }
  }

  static std::string body_of(size_t n) { return std::string(n, 'b'); }
  size_t body_size() {
    static constexpr std::array<size_t, 8> kSizes = {0, 1, 5, 100, 4000, 20000, 70000, 300000};
    const uint8_t i = in_.u8();
    // The largest only now and then: they cost time.
    return kSizes[(i & 7) == 7 && (i >> 3) % 8 != 0 ? 6 : i & 7];
  }

  void h1_request(codecs::ByteBuffer& wire) {
    static constexpr std::array<std::string_view, 7> kMethods = {"GET", "POST", "HEAD", "PUT",
                                                                 "OPTIONS", "DELETE", "CONNECT"};
    static constexpr std::array<std::string_view, 6> kTargets = {
        "/", "/a?b=c", "*", "http://example.com/x", "/%41", "example.com:443"};
    static constexpr std::array<std::string_view, 4> kHosts = {"example.com", "b.test",
                                                               "example.com:8080", ""};
    const uint8_t shape = in_.u8();
    const std::string method = fuzz::pick(in_, kMethods);
    const std::string target = fuzz::pick(in_, kTargets);
    const std::string host = fuzz::pick(in_, kHosts);
    std::string s = method + " " + target + ((shape & 1) ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
    if (!host.empty() || (shape & 2)) s += "Host: " + host + "\r\n";
    const size_t n = body_size();
    const uint8_t framing = (shape >> 2) & 3;  // none, Content-Length, chunked, both
    if (framing == 1 || framing == 3) s += "Content-Length: " + std::to_string(n) + "\r\n";
    if (framing >= 2) s += "Transfer-Encoding: chunked\r\n";
    if (shape & 16) s += "Connection: close\r\n";
    if (shape & 32) s += "Expect: 100-continue\r\n";
    if (shape & 64) s += "Upgrade: websocket\r\nConnection: upgrade\r\n";
    s += "\r\n";
    if (framing == 1) s += body_of(n);
    if (framing >= 2) {
      if (n > 0) {
        char size[24];
        std::snprintf(size, sizeof size, "%zx\r\n", n);
        s += size + body_of(n) + "\r\n";
      }
      s += (shape & 128) ? "0\r\nx-trailer: 1\r\n\r\n" : "0\r\n\r\n";
    }
    wire.append(s);
  }

  void h2_start(ClientEnd& c, codecs::ByteBuffer& wire) {
    if (c.preface_sent) return;
    c.preface_sent = true;
    c.writer.preface(wire);
    c.writer.settings(in_, wire, true);
    c.writer.receiver_table_size(config_.limits.header_table_size);
  }

  void h2_request(ClientEnd& c, codecs::ByteBuffer& wire) {
    h2_start(c, wire);
    const uint8_t shape = in_.u8();
    const size_t n = (shape & 1) ? body_size() : 0;
    const uint32_t id = c.next_stream;
    c.next_stream += 2;
    c.writer.headers(in_, wire, id, n == 0 && !(shape & 2), false);
    size_t off = 0;
    const std::string body = body_of(n);
    while (off < n) {
      const size_t piece = std::min<size_t>(n - off, 16384);
      codecs::h2::write_data(wire, id, codecs::as_bytes(std::string_view(body).substr(off, piece)),
                             off + piece == n && !(shape & 2));
      off += piece;
    }
    if (shape & 2) c.writer.headers(in_, wire, id, true, true);  // trailers
  }

  void h2_client_frame(ClientEnd& c, codecs::ByteBuffer& wire) {
    h2_start(c, wire);
    const uint32_t open = c.next_stream > 1 ? c.next_stream - 2 : 1;
    switch (in_.u8() % 6) {
      case 0: codecs::h2::write_rst_stream(wire, open, in_.range(0, 13)); break;
      case 1: {
        const uint32_t stream = in_.range(0, 1) * open;  // one read per statement: gcc == clang
        codecs::h2::write_window_update(wire, stream, in_.range(1, 1u << 20));
        break;
      }
      case 2: c.writer.data(in_, wire, open, in_.boolean()); break;
      case 3: c.writer.settings(in_, wire, in_.u8() != 0); break;
      case 4: codecs::h2::write_goaway(wire, 0, in_.range(0, 13), {}); break;
      default: fuzz::PeerWriter::raw_frame(in_, wire); break;
    }
  }

  void h1_response(BackendEnd& b) {
    if (b.seen.unanswered.empty() && !in_.boolean()) return;  // sometimes unsolicited
    std::string method = "GET";
    if (!b.seen.unanswered.empty()) {
      method = b.seen.unanswered.front().second;
      b.seen.unanswered.pop_front();
    }
    static constexpr std::array<uint16_t, 8> kStatus = {200, 204, 304, 404, 502, 101, 200, 301};
    const uint8_t shape = in_.u8();
    const uint16_t status = kStatus[shape & 7];
    const size_t n = body_size();
    const uint8_t framing = (shape >> 3) & 3;  // Content-Length, chunked, close-delimited, none
    std::string s = "HTTP/1.1 " + std::to_string(status) + " X\r\n";
    if (framing == 0) s += "Content-Length: " + std::to_string(n) + "\r\n";
    if (framing == 1) s += "Transfer-Encoding: chunked\r\n";
    if (shape & 32) s += "Connection: close\r\n";
    if (shape & 64) s += "Content-Type: text/plain\r\nX-Y: z\r\n";
    s += "\r\n";
    const bool bodiless = method == "HEAD" || status == 204 || status == 304;
    if (!bodiless) {
      if (framing == 0 || framing == 2) s += body_of(n);
      if (framing == 1) {
        if (n > 0) {
          char size[24];
          std::snprintf(size, sizeof size, "%zx\r\n", n);
          s += size + body_of(n) + "\r\n";
        }
        s += (shape & 128) ? "0\r\nx-trailer: 1\r\n\r\n" : "0\r\n\r\n";
      }
    }
    const Bytes all = codecs::as_bytes(std::string_view(s));
    auto sizes = in_.bytes(in_.range(0, 2));
    for (Bytes piece : fuzz::split_by(all, sizes)) {
      b.peer.send(piece);
      settle();
    }
    if (framing == 2 && !bodiless) b.peer.close_write();
  }

  void h2_response(BackendEnd& b) {
    if (b.seen.unanswered.empty()) return;
    const size_t pick = in_.u8() % b.seen.unanswered.size();
    const StreamId id = b.seen.unanswered[pick].first;
    b.seen.unanswered.erase(b.seen.unanswered.begin() + static_cast<std::ptrdiff_t>(pick));
    static constexpr std::array<uint16_t, 8> kStatus = {200, 204, 304, 404, 502, 103, 200, 301};
    const uint8_t shape = in_.u8();
    codecs::MessageHead head;
    head.kind = codecs::MessageKind::Response;
    head.status = kStatus[shape & 7];
    const size_t n = head.status == 204 || head.status == 304 ? 0 : body_size();
    if (shape & 8) head.headers.add_copy("content-type", "text/plain");
    if (shape & 16) head.headers.add_copy("content-length", std::to_string(n));
    if (!b.nghttp2->submit_response(static_cast<int32_t>(id), head, body_of(n))) return;
    b.flush_nghttp2();
  }

  // MUX_SESSION_TRACE=1: what each end saw, to check by hand that a seed does what it says.
  void trace() const {
    for (const auto& c : clients_) {
      std::fprintf(stderr, "client %s: %zu requests sent whole, %zu bytes received\n",
                   c->h2 ? "h2" : "h1", c->sent.heads.size(), c->received);
    }
    for (const auto& b : backends_) {
      std::fprintf(stderr, "backend %s: %zu requests%s\n", b->h2 ? "h2" : "h1",
                   b->seen.heads.size(), b->tainted ? " (raw bytes sent)" : "");
      for (const auto& h : b->seen.heads) std::fprintf(stderr, "  %s\n", h.c_str());
    }
    std::fprintf(stderr, "virtual time %llu ms, %llu loop iterations\n",
                 static_cast<unsigned long long>(clock_.now_ms()),
                 static_cast<unsigned long long>(loop_->iterations()));
  }

  // The state left behind, printed before a hang is reported.
  void dump() const {
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      std::fprintf(stderr, "session: input %zu output %zu\n", s.input_bytes(), s.output_bytes());
      s.for_each_exchange([&](const proxy::Exchange& ex) {
        std::fprintf(stderr,
                     "  exchange %u %s %s: attempts %u backend #%zu %p answered %d waiting %d "
                     "request head_sent %d "
                     "end_received %d end_sent %d queued %zu; response head_ready %d head_sent %d "
                     "end_received %d end_sent %d queued %zu\n",
                     ex.client_stream, ex.method.c_str(), ex.path.c_str(), ex.attempts,
                     ex.backend_index, static_cast<const void*>(ex.backend), ex.answered, ex.waiting,
                     ex.request.head_sent, ex.request.end_received, ex.request.end_sent,
                     ex.request.queued(), ex.response.head_ready, ex.response.head_sent,
                     ex.response.end_received, ex.response.end_sent, ex.response.queued());
      });
    });
    worker_->pool().for_each_connection([&](const proxy::BackendConnection& c) {
      std::fprintf(stderr, "backend connection %p: connecting %d accepts %d input %zu output %zu\n",
                   static_cast<const void*>(&c), c.connecting(), c.accepts(), c.input_bytes(),
                   c.output_bytes());
    });
    std::fprintf(stderr, "timers armed: %zu\n", loop_->timers().armed_count());
  }

  // Every peer behaves from now on: reads all, closes its end; time passes until the proxy has
  // closed everything.
  void wind_down() {
    for (auto& c : clients_) {
      c->stalled = false;
      if (!c->closed) c->peer.close_write();
    }
    for (auto& b : backends_) b->stalled = false;
    settle();
    // Time jumps to the next deadline each round. Each round can end one generation of waits (a
    // response timeout frees the connection the next queued exchange needs), so the rounds are
    // bounded by the exchanges the script could open, not by a fixed time.
    for (int round = 0; round < kWindDownRounds; ++round) {
      size_t conns = 0;
      worker_->pool().for_each_connection([&](const proxy::BackendConnection&) { ++conns; });
      if (worker_->sessions() == 0 && conns == 0 && loop_->timers().armed_count() == 0) return;
      clock_.advance(std::max<uint64_t>(loop_->timers().next_timeout().value_or(1000), 1));
      settle();
    }
    dump();
    if (worker_->sessions() != 0) violated("a client session never ended (hang)");
    violated("a backend connection or a timer outlived every session (hang)");
  }

  FuzzInput& in_;
  MemoryConnector connector_;
  config::Config config_;
  net::VirtualClock clock_;
  std::unique_ptr<net::EventLoop> loop_;
  std::shared_ptr<const config::Config> shared_config_;
  std::unique_ptr<proxy::ConnectionLimiter> limiter_;
  std::unique_ptr<proxy::Worker> worker_;
  std::vector<std::unique_ptr<ClientEnd>> clients_;
  std::vector<std::unique_ptr<BackendEnd>> backends_;
  codecs::reference::Nghttp2Session::Options backend_h2_;
  bool client_h2_ = false;
  bool auto_accept_ = true;
  size_t capacity_ = 65536;
  uint32_t refuse_connects_ = 0;
};

codecs::Result<std::unique_ptr<net::ByteStream>> MemoryConnector::connect(
    const proxy::Exchange& ex, const net::SocketAddress&) {
  return h_.connect(ex);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  Harness h(in);
  h.run();
  return 0;
}
