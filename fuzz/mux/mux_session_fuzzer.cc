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
//     stay under their caps (client_input_cap, kOutputHighWater, kQueueCap plus one read and one
//     window);
//   - what a backend receives is well-formed: HTTP/1.1 parsed by llhttp (strict), HTTP/2 by an
//     nghttp2 server session (which is also the backend); one framing per request (no CL with TE,
//     one CL, TE only "chunked"), one Host, no CR/LF/NUL in any field;
//   - nothing smuggled: each request a backend connection receives has the method and path of a
//     request head the client sent whole, and a connection never receives more requests than
//     the clients sent. "Sent whole" is decided by a separate decoder (codecs/h1, codecs/h2, as
//     permissive as the proxy's) fed the same client bytes: this checks the proxy's own logic
//     (pipelining, early answers, retries, reuse); the decoders themselves are checked against
//     llhttp and nghttp2 by h1_diff and h2_diff;
//   - tunnels only with the backend's consent (issue #14): no byte of a tunnel request's body
//     (HTTP/1.1 bytes after an Upgrade head, DATA on a CONNECT stream) reaches a backend before
//     it consented (a 101 with Upgrade: websocket from HTTP/1.1, a 2xx left open from HTTP/2),
//     and no HTTP/1.1 client gets more 101s than backends consented;
//   - a backend connection is reused only after an exchange that ended framed: a request head
//     on an HTTP/1.1 connection follows a complete, self-delimited response without
//     Connection: close, switch or refused upgrade, and nothing after a request that closed it;
//     an HTTP/1.1 connection kept open with no exchange on it saw every request it carried end
//     (one cut mid-body is closed: its backend would read the next request as that body);
//   - what an HTTP/1.1 client receives parses (llhttp, strict) as one response per request it
//     sent whole, in order, framed by its request's method: no body after 204/304/HEAD (an
//     HTTP/2 backend's DATA there is dropped), no second status line inside a cut response;
//   - the proxy's own 408 (request headers timeout) reaches an HTTP/1.1 client only in the place
//     of a request head it started and had not finished, never of one it had sent whole;
//   - flow-control credit: the WINDOW_UPDATE increments the proxy sends an HTTP/2 client or
//     backend never exceed the DATA it forwarded or discarded (what exchanges still hold is not
//     credited), plus the windows it opens at the start;
//   - no wait without a deadline: after each settle, every exchange queued, attached,
//     forwarding, tunnelling or responding has a deadline or the flow-control stall armed.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
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
#include "fuzz/mux/session_config.h"
#include "fuzz/mux/session_dump.h"
#include "fuzz/mux/session_ends.h"
#include "fuzz/mux/session_oracle.h"
#include "fuzz/mux/session_traffic.h"
#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/memory_stream.h"
#include "mux/net/net_errors.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/backend_connection.h"
#include "mux/proxy/legs/client_session.h"
#include "mux/proxy/legs/peer.h"
#include "mux/proxy/pool/backend_pool.h"
#include "mux/proxy/worker/worker.h"

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

using namespace fuzz::mux_session;

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
    limiter_ = std::make_unique<proxy::ConnectionLimiter>(config_->limits.max_connections,
                                                          config_->limits.max_connections_per_ip);
    worker_ = std::make_unique<proxy::Worker>(*loop_, config_, nullptr, *limiter_);
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
      return codecs::unexpected(codecs::Error::sys(net::errors::kConnect, ECONNREFUSED));
    }
    auto pipe = net::make_memory_pipe({capacity_, auto_accept_});
    const bool h2 = ex.route.cluster->protocol != config::BackendProtocol::Http1;
    backends_.push_back(std::make_unique<BackendEnd>(pipe.peer, h2, backend_h2_));
    backends_.back()->flush_nghttp2();  // its SETTINGS, read once the connect completes
    // The pool attaches `ex` to the connection it builds on this stream before the loop
    // iteration ends: check_bounds() learns which BackendConnection this end talks to from it.
    unlinked_.push_back(
        {&ex, ex.route.cluster_index, ex.route.backend_index, backends_.size() - 1});
    return std::unique_ptr<net::ByteStream>(std::move(pipe.stream));
  }

 private:
  // Three bytes choose the proxy's configuration (one of kConfigs, built once per process and
  // shared read-only: the Worker only ever reads it), the pipes' capacity, whether connects
  // complete by themselves, and the backends' HTTP/2 settings.
  void configure() {
    const uint8_t mode = in_.u8();
    const uint8_t shape = in_.u8();
    const uint8_t peer_shape = in_.u8();
    client_h2_ = mode & 1;
    auto_accept_ = !(mode & 4);
    capacity_ = kCapacity[(shape >> 4) & 3];
    backend_h2_.max_concurrent_streams = kStreams[peer_shape & 3];
    backend_h2_.initial_window_size = kWindows[(peer_shape >> 2) & 3];
    // RFC 8441 §3: most HTTP/2 backends take extended CONNECT, so tunnels reach them.
    backend_h2_.enable_connect_protocol = !(peer_shape & 128);
    config_ = shared_config(mode, shape, peer_shape);
  }

  void open_client(bool h2) {
    if (clients_.size() >= 3) return;
    if (worker_->limiter().try_acquire("198.51.100.1") !=
        proxy::ConnectionLimiter::Verdict::Accept) {
      return;
    }
    auto pipe = net::make_memory_pipe({capacity_, true});
    clients_.push_back(std::make_unique<ClientEnd>(pipe.peer, h2, *config_));
    // The port tells the sessions apart (the credit oracle finds a client's exchanges by it).
    clients_.back()->address = "198.51.100.1:" + std::to_string(40000 + clients_.size());
    worker_->open_session(worker_->config().listeners[0], std::move(pipe.stream), nullptr,
                          clients_.back()->address, "198.51.100.1");
  }

  // Runs the loop until nothing is queued and no peer has anything to move.
  void settle() {
    for (size_t i = 0;; ++i) {
      if (i > kMaxSteps) violated("no quiescence: the loop keeps running (livelock)");
      if (!loop_->run_once(0)) violated("the event loop failed");
      check_bounds();
      const bool moved = pump_peers();
      if (!moved && !loop_->has_queued()) break;
    }
    check_settled();
  }

  // The remote ends read what the proxy wrote (unless stalled). True when bytes moved.
  bool pump_peers() {
    bool moved = false;
    for (auto& c : clients_) {
      if (c->stalled || c->closed) continue;
      got_.clear();
      if (c->peer.receive(got_) > 0) {
        moved = true;
        c->received += got_.size();
        if (trace_level() >= 2) {
          std::fprintf(stderr, "to client %zu (%zu bytes): %s\n",
                       static_cast<size_t>(&c - clients_.data()), got_.size(),
                       got_.substr(0, 300).c_str());
        }
        c->on_output(got_);
      }
    }
    for (auto& b : backends_) {
      if (b->stalled || b->closed) continue;
      got_.clear();
      if (b->peer.receive(got_) > 0) {
        moved = true;
        b->check(got_);
        check_heads(*b);
      }
    }
    return moved;
  }

  // The heads `b` received since the last call each match a head a client sent whole.
  void check_heads(BackendEnd& b) {
    const size_t n = b.seen.heads.size();
    if (n == b.checked_heads_) return;
    size_t sent = 0;
    std::multiset<std::string> known;
    for (auto& c : clients_) {
      sent += c->sent.heads.size();
      known.insert(c->sent.heads.begin(), c->sent.heads.end());
    }
    for (size_t i = b.checked_heads_; i < n; ++i) {
      if (!known.count(b.seen.heads[i])) {
        std::fprintf(stderr, "backend got: %s\n", b.seen.heads[i].c_str());
        violated("a backend received a request no client sent (smuggled)");
      }
    }
    b.checked_heads_ = n;
    if (!b.tainted && n > sent + b.seen.resets) {
      violated("a backend connection received more requests than were sent");
    }
  }

  void check_bounds() {
    const size_t window = std::max<size_t>(config_->limits.initial_window_size, 65535);
    // A client connection holds a whole request head (client_input_cap); a backend kInputCap.
    const size_t input_cap = proxy::client_input_cap(worker_->limits());
    const size_t queue_cap = proxy::kQueueCap + input_cap + kReadSlack + window;
    auto exchange = [&](const proxy::Exchange& ex) {
      if (ex.request.queued() > queue_cap) violated("request body queue over budget");
      if (ex.response.queued() > queue_cap) violated("response body queue over budget");
      if (ex.response.interim.size() > proxy::kMaxHeldInterim)
        violated("interim responses pile up");
    };
    auto peer = [&](const proxy::Peer& p) {
      if (p.input_bytes() > input_cap + kReadSlack) violated("input buffer over budget");
      if (p.output_bytes() > proxy::kOutputHighWater + kTakeSlack) violated("output over budget");
    };
    // The buffer budgets (limits.max_buffers, max_buffers_per_connection) count exactly what the
    // exchanges hold: a charge lost or kept would let memory grow unseen or cut streams for none.
    size_t worker_held = 0;
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      peer(s);
      size_t held = 0;
      s.for_each_exchange([&](const proxy::Exchange& ex) {
        exchange(ex);
        held += ex.request.held() + ex.response.held();
      });
      if (held != s.connection_buffers().held()) violated("a connection's buffer budget miscounts");
      worker_held += held;
    });
    if (worker_held != worker_->held_buffers().held()) violated("the buffer budget miscounts");
    worker_->pool().for_each_connection([&](const proxy::BackendConnection& c) { peer(c); });
    link_backends();
    track_legs();
  }

  // Exchange `ex` caused backend end `end` to be connected; once the pool attached it, its
  // BackendSide is the connection on that end's stream.
  struct Unlinked {
    const proxy::Exchange* ex;
    size_t cluster;
    size_t backend;
    size_t end;
  };
  void link_backends() {
    if (unlinked_.empty()) return;
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      s.for_each_exchange([&](const proxy::Exchange& ex) {
        for (const Unlinked& u : unlinked_) {
          if (u.ex == &ex && ex.backend.bound() && ex.route.cluster_index == u.cluster &&
              ex.route.backend_index == u.backend) {
            side_end_[ex.backend.side()] = u.end;
          }
        }
      });
    });
    unlinked_.clear();  // an exchange gone already: that end's held bytes count as 0 (looser)
  }

  // Which backend end and stream each live exchange's response came from, kept after its leg
  // ended (a response held whole outlives the leg): the backend credit oracle counts its held
  // bytes against that stream. Entries of exchanges that left are dropped at once, so a new
  // exchange at the same address never inherits one.
  void track_legs() {
    std::set<const proxy::Exchange*> live;
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      s.for_each_exchange([&](const proxy::Exchange& ex) {
        live.insert(&ex);
        if (!ex.backend.bound() || ex.backend.stream() == 0) return;
        auto it = side_end_.find(ex.backend.side());
        if (it == side_end_.end() || backends_[it->second]->peer.stream_gone()) return;
        legs_[&ex] = {it->second, ex.backend.stream()};
      });
    });
    std::erase_if(legs_, [&](const auto& e) { return !live.count(e.first); });
  }

  // Oracles on the state a settle leaves.
  void check_settled() {
    check_deadlines();
    check_client_credit();
    check_backend_credit();
    worker_->pool().for_each_connection([&](const proxy::BackendConnection& c) {
      const auto it = side_end_.find(&c);
      if (it == side_end_.end() || c.state() != proxy::BackendState::Open || c.exchanges()) return;
      backends_[it->second]->check_kept();
    });
    size_t consents = 0;
    for (const auto& b : backends_) consents += b->seen.consented.size();
    for (const auto& c : clients_) {
      // A tainted backend may have sent a 101 of its own making in raw bytes.
      if (c->got.switched > consents && !any_tainted()) {
        violated("a client got 101 Switching Protocols though no backend consented to a tunnel");
      }
    }
  }

  bool any_tainted() const {
    return std::any_of(backends_.begin(), backends_.end(),
                       [](const auto& b) { return b->tainted; });
  }

  // Every exchange waiting on a peer has a deadline armed (a response the client does not take
  // has the flow-control stall deadline instead): none can wait forever (issue #14: an exchange
  // queued in the pool with no timer armed hung a session). One exception, bounded by another's
  // deadline: a response held whole (the backend is done with it) behind an earlier exchange of
  // the same client connection, which HTTP/1.1 answers first (RFC 9112 §9.3.2).
  void check_deadlines() const {
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      const proxy::Exchange* first = nullptr;
      s.for_each_exchange([&](const proxy::Exchange& ex) {
        const bool behind = first != nullptr;
        if (!first) first = &ex;
        switch (ex.phase()) {
          case proxy::Phase::Queued:
          case proxy::Phase::Attached:
          case proxy::Phase::Forwarding:
          case proxy::Phase::TunnelPending:
          case proxy::Phase::Tunnel:
          case proxy::Phase::Responding:
            if (ex.deadline_armed() || ex.stall_armed()) return;
            if (behind && ex.phase() == proxy::Phase::Responding && ex.response.end_received &&
                !ex.backend.bound()) {
              return;
            }
            dump();
            violated("an exchange waits with no deadline armed");
          default:
            return;
        }
      });
    });
  }

  // Issue #16: receive credit the proxy returned to an HTTP/2 client (WINDOW_UPDATE) never
  // exceeds the body bytes it forwarded plus those it discarded, per stream and for the
  // connection. Bytes sent by the client are forwarded, discarded, still held by an exchange, or
  // not yet read: so credit + held <= DATA sent (flow-controlled length, padding included), plus
  // the windows the proxy opens without data (its connection window above 65,535 at the start;
  // a stream's window raised to initial_window_size when its SETTINGS are acknowledged).
  void check_client_credit() const {
    const auto [conn_slack, stream_slack] =
        window_slack(config_->limits.connection_window, config_->limits.initial_window_size);
    for (const auto& c : clients_) {
      if (!c->h2_framed || c->sent_frames.lost()) continue;
      std::map<uint32_t, uint64_t> held;
      uint64_t held_total = 0;
      worker_->for_each_session([&](const proxy::ClientSession& s) {
        if (s.peer_address() != c->address) return;
        s.for_each_exchange([&](const proxy::Exchange& ex) {
          const uint64_t h = held_uncredited(ex.request);
          held[ex.client_stream] += h;
          held_total += h;
        });
      });
      for (const auto& [stream, credit] : c->got_frames.credits()) {
        const uint64_t sent = stream == 0 ? c->sent_frames.data_total() + conn_slack
                                          : c->sent_frames.data(stream) + stream_slack;
        if (over_credit("client", stream, credit, stream == 0 ? held_total : held[stream], sent)) {
          violated(
              "the proxy returned more receive credit to a client than it forwarded or "
              "discarded");
        }
      }
    }
  }

  // The same toward HTTP/2 backends, for response bodies.
  void check_backend_credit() const {
    const auto [conn_slack, stream_slack] =
        window_slack(config_->limits.connection_window, config_->limits.initial_window_size);
    std::map<const BackendEnd*, std::map<uint32_t, uint64_t>> held;
    worker_->for_each_session([&](const proxy::ClientSession& s) {
      s.for_each_exchange([&](const proxy::Exchange& ex) {
        auto it = legs_.find(&ex);
        // An answer of the proxy's own (a 502 after a response the client cannot take, a 504)
        // replaced what the backend sent: none of its bytes are the backend's.
        if (it == legs_.end() || ex.phase() == proxy::Phase::Answered) return;
        auto& m = held[backends_[it->second.first].get()];
        m[it->second.second] += ex.response.queued();
        m[0] += ex.response.queued();
      });
    });
    for (const auto& b : backends_) {
      if (!b->h2 || b->from_backend.lost()) continue;
      auto& m = held[b.get()];
      for (const auto& [stream, credit] : b->to_backend.credits()) {
        const uint64_t sent = stream == 0 ? b->from_backend.data_total() + conn_slack
                                          : b->from_backend.data(stream) + stream_slack;
        if (trace_level() >= 4) print_credit("backend", stream, credit, m[stream], sent);
        if (over_credit("backend", stream, credit, m[stream], sent)) {
          violated(
              "the proxy returned more receive credit to a backend than it forwarded or "
              "discarded");
        }
      }
    }
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
    fuzz::for_each_piece(bytes, sizes, kMaxPieces, [&](Bytes piece) {
      c.deliver(piece);
      settle();
    });
  }

  void step() {
    const uint8_t op = in_.u8();
    if (trace_level() >= 3) {
      std::fprintf(stderr, "[t=%llu, %llu loop iterations] action %u\n",
                   static_cast<unsigned long long>(clock_.now_ms()),
                   static_cast<unsigned long long>(loop_->iterations()), op % 20);
    }
    switch (op % 20) {
      case 0:
      case 1:
      case 2:
      case 3: {  // a request from a client
        ClientEnd* c = client();
        if (!c) break;
        codecs::ByteBuffer wire;
        c->h2 ? h2_request(in_, *c, wire, table_size()) : h1_request(in_, wire);
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
        h2_client_frame(in_, *c, wire, table_size());
        client_send(*c, wire.bytes());
        break;
      }
      case 6:
      case 7:
      case 8: {  // a response from a backend
        BackendEnd* b = backend();
        if (!b || b->closed) break;
        b->h2 ? h2_response(*b) : h1_response(*b);
        break;
      }
      case 9: {  // raw backend bytes
        BackendEnd* b = backend();
        auto raw = in_.chunk();
        if (!b || b->closed) break;
        b->send_raw(Bytes(raw.data(), raw.size()));
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
      case 14:
      case 15: {  // time passes
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
          codecs::h2::write_rst_stream(wire, b->seen.unanswered.front().stream, in_.range(0, 13));
          b->seen.unanswered.pop_front();
        } else {
          fuzz::PeerWriter::raw_frame(in_, wire);
        }
        b->tainted = true;
        b->send_frames(wire.bytes());
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

  void h1_response(BackendEnd& b) {
    if (b.seen.unanswered.empty() && !in_.boolean()) return;  // sometimes unsolicited
    HeadLog::Pending req{0, "GET", false};
    const bool solicited = !b.seen.unanswered.empty();
    if (solicited) {
      req = b.seen.unanswered.front();
      b.seen.unanswered.pop_front();
    }
    const H1Reply r = fuzz::mux_session::h1_response(in_, req.method, req.tunnel);
    if (r.consent) b.seen.consented.insert(req.stream);
    if (!r.framed || !solicited) b.dirty = true;
    // The proxy wrote bytes the script has not read: they may be a request this answer did not
    // see (a stalled backend), so which came first is unknown.
    if (b.peer.pending() > 0) b.order_unknown = true;
    const Bytes all = codecs::as_bytes(std::string_view(r.bytes));
    auto sizes = in_.bytes(in_.range(0, 2));
    size_t sent = 0;
    b.responding = true;
    fuzz::for_each_piece(all, sizes, kMaxPieces, [&](Bytes piece) {
      sent += piece.size();
      if (sent == all.size()) b.responding = false;
      if (trace_level() >= 2) {
        std::fprintf(stderr, "from backend %zu: %s\n", index_of(b),
                     std::string(ClientEnd::as_view(piece).substr(0, 300)).c_str());
      }
      b.peer.send(piece);
      settle();
    });
    b.responding = false;
    if (r.close_delimited) b.peer.close_write();
  }

  uint32_t table_size() const { return config_->limits.header_table_size; }
  size_t index_of(const BackendEnd& b) const {
    for (size_t i = 0; i < backends_.size(); ++i) {
      if (backends_[i].get() == &b) return i;
    }
    return SIZE_MAX;
  }

  void h2_response(BackendEnd& b) {
    if (b.seen.unanswered.empty()) return;
    const size_t pick = in_.u8() % b.seen.unanswered.size();
    const HeadLog::Pending req = b.seen.unanswered[pick];
    b.seen.unanswered.erase(b.seen.unanswered.begin() + static_cast<std::ptrdiff_t>(pick));
    static constexpr std::array<uint16_t, 8> kStatus = {200, 204, 304, 404, 502, 103, 200, 301};
    const uint8_t shape = in_.u8();
    codecs::MessageHead head;
    head.kind = codecs::MessageKind::Response;
    head.status = kStatus[shape & 7];
    const bool bodiless = head.status == 204 || head.status == 304 || req.method == "HEAD";
    if ((shape & 32) && (bodiless || req.tunnel)) {
      h2_raw_response(b, req, head.status, bodiless);
      return;
    }
    const size_t n = head.status == 204 || head.status == 304 ? 0 : body_size(in_);
    if (shape & 8) head.headers.add_copy("content-type", "text/plain");
    if (shape & 16) head.headers.add_copy("content-length", std::to_string(n));
    if (!b.nghttp2->submit_response(static_cast<int32_t>(req.stream), head, body_of(n))) return;
    // RFC 9113 §8.5, RFC 8441 §5: a 2xx to CONNECT without END_STREAM (a body follows) opens the
    // tunnel.
    if (req.tunnel && head.status / 100 == 2 && n > 0 && req.method != "HEAD") {
      b.seen.consented.insert(req.stream);
    }
    b.flush_nghttp2();
  }

  // What nghttp2 refuses to send (issue #16): DATA after a 204 or 304 or on a response to HEAD
  // (RFC 9113 §8.1.1: a malformed response, a stream error), or a tunnel's 2xx HEADERS left
  // open. The header block is one static-table index (RFC 7541 Appendix A), which leaves
  // nghttp2's HPACK encoder in step with the proxy's decoder.
  void h2_raw_response(BackendEnd& b, const HeadLog::Pending& req, uint16_t status, bool bodiless) {
    const uint8_t index = status == 204 ? 0x89 : status == 304 ? 0x8b : status == 404 ? 0x8d : 0x88;
    const uint16_t sent_status = index == 0x89   ? 204
                                 : index == 0x8b ? 304
                                 : index == 0x8d ? 404
                                                 : 200;
    // Within the smallest stream window a configuration gives (kWindows: 1,024).
    const size_t n = std::min<size_t>(body_size(in_), 1024);
    const std::string body = body_of(std::max<size_t>(n, 1));
    codecs::ByteBuffer wire;
    const uint8_t block[] = {index};
    codecs::h2::HeadersFrame h;
    h.block = codecs::Bytes(block, 1);
    h.end_stream = false;
    h.end_headers = true;
    codecs::h2::write_headers(wire, req.stream, h);
    const auto data = codecs::as_bytes(std::string_view(body));
    // HEADERS is left open: to CONNECT any 2xx, a 204 too, opens the tunnel (RFC 9110 §9.3.6).
    if (req.tunnel && sent_status / 100 == 2) b.seen.consented.insert(req.stream);
    if (!req.tunnel || bodiless || sent_status / 100 != 2) {
      codecs::h2::write_data(wire, req.stream, data, true);
    } else if (n > 0) {
      codecs::h2::write_data(wire, req.stream, data.first(n), false);
    }
    b.raw_frames = true;
    b.send_frames(wire.bytes());
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
  void dump() const { dump_state(*worker_, *loop_); }

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
  std::shared_ptr<const config::Config> config_;
  net::VirtualClock clock_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<proxy::ConnectionLimiter> limiter_;
  std::unique_ptr<proxy::Worker> worker_;
  std::vector<std::unique_ptr<ClientEnd>> clients_;
  std::vector<std::unique_ptr<BackendEnd>> backends_;
  codecs::reference::Nghttp2Session::Options backend_h2_;
  bool client_h2_ = false;
  bool auto_accept_ = true;
  size_t capacity_ = 65536;
  uint32_t refuse_connects_ = 0;
  std::string got_;  // pump_peers' receive buffer, reused
  std::vector<Unlinked> unlinked_;
  std::map<const proxy::BackendSide*, size_t> side_end_;  // a connection's backend end
  std::map<const proxy::Exchange*, std::pair<size_t, StreamId>> legs_;  // track_legs()
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
