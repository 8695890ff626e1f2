// mux_session's remote ends: the client side of a client connection (with the "sent whole"
// decoder fed the same bytes) and the backend side of a backend connection (llhttp or an nghttp2
// server session as the oracle parser).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h1/decoder.h"
#include "codecs/h2/connection.h"
#include "codecs/reference/llhttp_adapter.h"
#include "codecs/reference/nghttp2_adapter.h"
#include "fuzz/common/h2_wire.h"
#include "fuzz/mux/session_credit.h"
#include "fuzz/mux/session_oracle.h"
#include "mux/config/config.h"
#include "mux/net/memory_stream.h"
#include "mux/proxy/exchange/answers.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::fuzz::mux_session {

namespace net = mux::net;
namespace config = mux::config;
using codecs::Bytes;
using codecs::StreamId;

// The proxy's HTTP/2 settings (codec_h2.cc local_settings), so the "sent whole" decoder reads the
// client's HPACK context as the proxy does; windows and counts as large as possible.
inline codecs::h2::Settings permissive_settings(const config::Limits& l) {
  codecs::h2::Settings s;
  s.header_table_size = l.header_table_size;
  s.max_concurrent_streams = 1u << 30;
  s.initial_window_size = codecs::h2::kMaxWindow;
  s.max_frame_size = (1u << 24) - 1;
  s.max_header_list_size = 1u << 30;
  s.enable_connect_protocol = 1;  // RFC 8441: the proxy may take WebSocket over HTTP/2
  return s;
}

inline codecs::h2::Limits permissive_limits() {
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

// The body of the proxy's 408 for a request head not finished within timeouts.request_headers
// (ClientSession::on_timeout), with no answer overrides configured (make_config sets none).
inline std::string head_timeout_body() {
  return mux::proxy::make_answer(408, mux::proxy::kRequestHeadersTimeout, nullptr, nullptr, nullptr)
      .body;
}

// The client's end of one client connection. `h2` is what the script writes (its requests and
// frames); the "sent whole" decoder reads the bytes as the proxy's listener will, which decides
// by the first bytes (client_session.cc detect_protocol): the HTTP/2 preface, or any bytes on an
// h2c-only listener, go to HTTP/2, anything else to HTTP/1.1. (A script's raw bytes may start an
// HTTP/1.1 client with the preface, or an HTTP/2 client with a request line: fuzz findings
// mux_session-clean-smuggled-9e0ae26c and -f7888e19 were this oracle reading the wrong protocol.)
struct ClientEnd {
  ClientEnd(net::MemoryPeer p, bool is_h2, const config::Config& cfg)
      : peer(std::move(p)),
        h2(is_h2),
        sent(false, !is_h2),
        writer(true),
        got(head_timeout_body()),
        listener_h1_(cfg.listeners[0].http1),
        listener_h2_(cfg.listeners[0].http2),
        settings_(permissive_settings(cfg.limits)) {}

  // Sends bytes to the proxy and through the "sent whole" decoder.
  void deliver(Bytes b) {
    if (closed || b.empty()) return;
    if (trace_level() >= 2) {
      std::fprintf(stderr, "from client:");
      for (uint8_t ch : b) std::fprintf(stderr, " %02x", ch);
      std::fprintf(stderr, "\n");
    }
    // After the client's FIN the pipe drops what it is given: the proxy never sees those bytes.
    const size_t queued = peer.unread();
    peer.send(b);
    if (peer.unread() == queued) return;
    delivered += b.size();
    if (h2_framed) sent_frames.feed(as_view(b));
    if (decoder_done) return;
    pending.append(reinterpret_cast<const char*>(b.data()), b.size());
    if (!h1_decoder && !h2_decoder && !choose_decoder()) return;
    const bool as_h2 = h2_decoder != nullptr;
    for (;;) {
      const Bytes in(reinterpret_cast<const uint8_t*>(pending.data()), pending.size());
      const uint64_t fed_from = delivered - pending.size();
      codecs::Result<size_t> r = as_h2 ? h2_decoder->feed(in) : h1_decoder->feed(in, sent);
      if (!r) {
        decoder_done = true;
        pending.clear();
        return;
      }
      if (!as_h2 && h1_decoder->awaiting_tunnel()) h1_decoder->resolve_tunnel(false, sent);
      pending.erase(0, *r);
      // Each head decoded ends within the bytes consumed so far (an upper bound on where), each
      // message that ended, after the bytes consumed before this feed (a lower bound).
      while (!as_h2 && head_ends.size() < sent.heads.size()) {
        head_ends.push_back(delivered - pending.size());
      }
      while (!as_h2 && message_ends.size() < sent.ends) message_ends.push_back(fed_from);
      if (as_h2) {
        scratch.clear();
        h2_decoder->take_output(scratch);
      }
      if (*r == 0 || pending.empty() || (!as_h2 && h1_decoder->closed())) return;
    }
  }

  // The listener's rule on the bytes seen so far; false while they cannot tell yet.
  bool choose_decoder() {
    const std::string_view preface = fuzz::kH2Preface;
    const size_t n = std::min(pending.size(), preface.size());
    const bool starts_h2 = pending.compare(0, n, preface.substr(0, n)) == 0;
    if (starts_h2 && n < preface.size()) return false;
    if ((starts_h2 || !listener_h1_) && listener_h2_) {
      h2_decoder = std::make_unique<codecs::h2::Connection>(codecs::h2::Role::Server, sent,
                                                            settings_, permissive_limits());
      sent.credit = h2_decoder.get();
      // Without the preface the proxy answers GOAWAY and reads no frame.
      if (starts_h2) {
        h2_framed = true;
        sent_frames.feed(pending);
      }
    } else {
      codecs::h1::DecoderOptions o;
      o.limits.max_header_bytes = SIZE_MAX / 2;
      o.limits.max_request_line = SIZE_MAX / 2;
      o.limits.max_header_count = SIZE_MAX / 2;
      h1_decoder = std::make_unique<codecs::h1::Decoder>(codecs::MessageKind::Request, o);
      responses = std::make_unique<codecs::reference::LlhttpDecoder>(codecs::MessageKind::Response);
    }
    return true;
  }

  // What the proxy wrote to this client. HTTP/2: its WINDOW_UPDATEs are tallied (the credit
  // oracle). HTTP/1.1: the bytes must parse (llhttp, strict) as one response per request sent
  // whole, in order, each framed by its request's method: a body byte after a bodiless response
  // (204, 304, HEAD) would start a response the backend never sent.
  void on_output(std::string_view bytes) {
    if (h2_framed) got_frames.feed(bytes);
    if (!responses || responses_stopped) return;
    for (; methods_expected < sent.methods.size(); ++methods_expected) {
      responses->expect_response(sent.methods[methods_expected]);
    }
    response_bytes.append(bytes);
    const Bytes in(reinterpret_cast<const uint8_t*>(response_bytes.data()), response_bytes.size());
    auto r = responses->feed(in, got);
    if (!r) {
      const size_t tail = std::min<size_t>(response_bytes.size(), 200);
      std::fprintf(stderr, "llhttp: %s in %zu bytes ending: %s\n", r.error().detail,
                   response_bytes.size(),
                   response_bytes.substr(response_bytes.size() - tail).c_str());
      violated("a client received bytes that are not the HTTP/1.1 responses it asked for");
    }
    response_bytes.erase(0, *r);
    // llhttp stops after a message with Connection: close; what follows is never read.
    if (*r < in.size()) responses_stopped = true;
    for (; timeouts_checked < got.head_timeouts.size(); ++timeouts_checked) {
      check_head_timeout(got.head_timeouts[timeouts_checked]);
    }
  }

  // The proxy's 408 "request headers timeout" is for a request head the client started and had
  // not finished (its timer runs on unconsumed input: ClientSession::update_timer). The client
  // takes the n-th response for its n-th request: when the proxy gave up, head n must have been
  // started (bytes read past the end of message n - 1) and no head from n on whole. Once it gives
  // up the proxy reads nothing more (reading_paused: the codec failed), so the bytes it read all
  // came before, and what they hold was sent then. Commit 1a5f9113: bytes pipelined behind an
  // upgrade request, whole heads held unread, drew one; a chunk-size line part-sent drew one.
  void check_head_timeout(size_t n) const {
    const uint64_t read = delivered - peer.unread();
    const auto whole = static_cast<size_t>(
        std::upper_bound(head_ends.begin(), head_ends.end(), read) - head_ends.begin());
    if (whole > n) {
      std::fprintf(stderr, "408 as response %zu; %zu heads whole in the %llu bytes read\n", n,
                   whole, static_cast<unsigned long long>(read));
      violated("the proxy's 408 request headers timeout answered a request sent whole");
    }
    // Message n - 1 not over (or over only after the bytes read): head n was not begun. Unknown
    // once the decoder stopped (it records no more ends).
    if (decoder_done) return;
    const bool begun = n == 0 ? read > 0 : n <= message_ends.size() && read > message_ends[n - 1];
    if (!begun) {
      std::fprintf(stderr, "408 as response %zu; %zu messages ended, %llu bytes read\n", n,
                   message_ends.size(), static_cast<unsigned long long>(read));
      violated("the proxy's 408 request headers timeout came with no request head begun");
    }
  }

  static std::string_view as_view(Bytes b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
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
  std::string address;  // the peer address the proxy knows this client by
  // HTTP/2 after a good preface: DATA the client sent and WINDOW_UPDATEs the proxy returned.
  bool h2_framed = false;
  FrameTally sent_frames{fuzz::kH2Preface.size()};
  FrameTally got_frames;
  // HTTP/1.1: the responses received, parsed by llhttp (`got` counts the 101s among them).
  std::unique_ptr<codecs::reference::LlhttpDecoder> responses;
  ResponseLog got;
  size_t timeouts_checked = 0;  // got.head_timeouts already checked
  uint64_t delivered = 0;       // bytes sent to the proxy
  // HTTP/1.1: where in the bytes sent each head `sent` decoded ends, at most, and each message
  // at least.
  std::vector<uint64_t> head_ends;
  std::vector<uint64_t> message_ends;
  size_t methods_expected = 0;
  std::string response_bytes;
  bool responses_stopped = false;

 private:
  bool listener_h1_;
  bool listener_h2_;
  codecs::h2::Settings settings_;
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
    if (!out.empty()) send_frames(out.bytes());
  }
  // Whole HTTP/2 frames to the proxy (tallied for the credit oracle).
  void send_frames(Bytes b) {
    from_backend.feed(ClientEnd::as_view(b));
    peer.send(b);
  }
  // Bytes that need not be frames: the tally of what this backend sent stops.
  void send_raw(Bytes b) {
    tainted = true;
    from_backend.lose();
    peer.send(b);
  }

  // What the proxy wrote, through the oracle parser.
  void check(std::string_view bytes) {
    if (bytes.empty()) return;
    if (parse_stopped) {
      if (!h2 && stopped_at_tunnel) tunnel_bytes(bytes.size());
      return;
    }
    if (trace_level() >= 2) {
      std::fprintf(stderr, "to backend:");
      for (unsigned char ch : bytes) std::fprintf(stderr, " %02x", ch);
      std::fprintf(stderr, "\n");
    }
    const Bytes b(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (h2) {
      to_backend.feed(bytes);
      auto r = nghttp2->feed(b);
      // Raw bytes from the script (a SETTINGS, a WINDOW_UPDATE, DATA nghttp2 did not send)
      // change what the proxy may send without nghttp2 knowing: connection-level disagreements
      // then prove nothing.
      if ((!r || seen.connection_error) && !tainted && !raw_frames) {
        std::fprintf(stderr, "nghttp2: %s\n",
                     r ? "sent GOAWAY" : codecs::to_string(r.error()).c_str());
        violated("backend (nghttp2) rejected the proxy's HTTP/2 output");
      }
      if (!r) parse_stopped = true;
      flush_nghttp2();
      return;
    }
    const size_t heads_before = seen.heads.size();
    const size_t owed_before = seen.unanswered.size();
    llhttp_pending.append(bytes);
    const Bytes in(reinterpret_cast<const uint8_t*>(llhttp_pending.data()), llhttp_pending.size());
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
    check_reuse(heads_before, owed_before);
    // A tunnel (CONNECT / Upgrade) head: llhttp stops consuming; what follows is not HTTP.
    if (*r < in.size()) {
      parse_stopped = true;
      stopped_at_tunnel = seen.tunnels.count(seen.last_stream) > 0;
      if (stopped_at_tunnel) {
        tunnel_bytes(llhttp_pending.size());
      } else if (!tainted && !order_unknown) {
        // llhttp stops after a request with Connection: close (HPE_CLOSED_CONNECTION).
        violated("a backend connection received bytes after a request that closed it");
      }
    }
  }

  // Bytes after an HTTP/1.1 tunnel request's head: the tunnel's, once the backend switched.
  void tunnel_bytes(size_t n) {
    if (n == 0 || tainted || seen.consented.count(seen.last_stream)) return;
    const bool answered = std::none_of(seen.unanswered.begin(), seen.unanswered.end(),
                                       [&](const auto& u) { return u.stream == seen.last_stream; });
    // Answered without consent: the bytes are a next request on a connection that must not
    // carry one (a refused upgrade retires it).
    if (answered && !order_unknown) {
      violated("a backend connection was reused after an exchange that did not end framed");
    }
    violated("tunnel bytes reached a backend that did not consent to the tunnel");
  }

  // A request head written on a connection that carried one before: the previous exchange must
  // have ended framed (RFC 9112 §9.3: the response complete, delimited by its own framing, no
  // Connection: close, no switch or refused upgrade, nothing unsolicited or unread) and only
  // then may the connection carry another request (the proxy never pipelines to backends).
  void check_reuse(size_t heads_before, size_t owed_before) {
    const size_t now = seen.heads.size();
    if (now == heads_before || tainted || order_unknown) return;
    if (now - heads_before > 1) {
      violated("a backend connection received a request before the previous one was answered");
    }
    if (heads_before == 0) return;  // the connection's first request
    if (owed_before > 0 || dirty || responding || peer.unread() > 0) {
      std::fprintf(stderr, "reuse: %zu unanswered, dirty %d, response in progress %d, unread %zu\n",
                   owed_before, dirty, responding, peer.unread());
      violated("a backend connection was reused after an exchange that did not end framed");
    }
  }

  // Issue #14: an HTTP/1.1 connection the proxy keeps open with no exchange on it saw every
  // request it carried end. After a request cut mid-body the backend would read the next request
  // as that body: such a connection is closed, never kept for reuse. Called at quiescence, when
  // everything the proxy wrote has been read here (unless the script stalled this end).
  void check_kept() const {
    if (h2 || tainted || parse_stopped || closed || stalled || peer.pending() > 0) return;
    if (seen.ends < seen.heads.size()) {
      violated("a backend connection was kept after a request that did not end framed");
    }
  }

  net::MemoryPeer peer;
  bool h2;
  bool stalled = false;
  bool closed = false;  // the script closed or reset it
  bool tainted = false;
  bool raw_frames = false;  // HTTP/2 frames nghttp2 did not send (it does not know of them)
  bool parse_stopped = false;
  bool stopped_at_tunnel = false;
  // HTTP/1.1 reuse oracle: an exchange on this connection did not end framed (a response that
  // is close-delimited, has Connection: close, switches protocols, refuses an upgrade, or was
  // not asked for); a response is being sent in pieces; the script answered while the proxy's
  // bytes waited unread, so the order of the two is not known.
  bool dirty = false;
  bool responding = false;
  bool order_unknown = false;
  // HTTP/2: what this backend sent (DATA) and what the proxy returned (WINDOW_UPDATE).
  FrameTally from_backend;
  FrameTally to_backend{fuzz::kH2Preface.size()};
  HeadLog seen;
  std::unique_ptr<codecs::reference::LlhttpDecoder> llhttp;
  std::unique_ptr<codecs::reference::Nghttp2Session> nghttp2;
  std::string llhttp_pending;
  size_t checked_heads_ = 0;  // heads already matched against what the clients sent
};

}  // namespace crossmux::fuzz::mux_session
