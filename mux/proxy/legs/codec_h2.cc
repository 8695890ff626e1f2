// HTTP/2 adapters of the proxy's Codec interface over the sans-I/O codecs::h2::Connection.
#include <algorithm>

#include "codecs/h2/connection.h"
#include "codecs/message/translate.h"
#include "mux/proxy/exchange/tunnel.h"
#include "mux/proxy/legs/codec.h"

namespace crossmux::mux::proxy {

namespace {

using codecs::Bytes;
using codecs::HeaderList;
using codecs::MessageHead;
using codecs::Result;
using codecs::Status;
using codecs::StreamId;

// Body bytes queued in the connection per stream before the proxy stops handing it more: enough
// to fill a default window, small enough to bound memory per stream.
constexpr size_t kStreamHighWater = 64 * 1024;

codecs::h2::Settings local_settings(const CodecLimits& l, codecs::h2::Role role) {
  codecs::h2::Settings s;
  // RFC 8441 §3: clients may open WebSocket (and other extended CONNECT) streams to us.
  if (role == codecs::h2::Role::Server) s.enable_connect_protocol = 1;
  s.header_table_size = l.header_table_size;
  s.max_concurrent_streams = l.max_concurrent_streams;
  s.initial_window_size = l.initial_window_size;
  s.max_frame_size = l.max_frame_size;
  s.max_header_list_size = l.max_header_list_size;
  return s;
}

codecs::h2::Limits h2_limits(const CodecLimits& l, codecs::h2::Role role) {
  codecs::h2::Limits o;
  o.max_header_list_size = l.max_header_list_size;
  o.max_field_count = l.max_header_fields;
  o.max_continuations = l.max_continuation_frames;
  o.reset_budget = l.reset_budget;
  o.glitch_budget = l.glitch_budget;
  o.max_queued_control = l.max_queued_control;
  o.max_settings_entries = l.max_settings_entries;
  o.settings_ack_timeout_ms = l.settings_ack_ms;
  o.header_timeout_ms = l.header_timeout_ms;
  o.connection_window = l.connection_window;
  o.max_header_block_bytes = l.max_header_block_bytes;
  return o;
}

class H2Codec final : public Codec {
 public:
  H2Codec(codecs::h2::Role role, codecs::EventSink& sink, const CodecLimits& limits)
      : conn_(role, sink, local_settings(limits, role), h2_limits(limits, role)),
        limit_(limits.max_concurrent_streams) {
    conn_.count_into(role == codecs::h2::Role::Server ? limits.h2_client_side
                                                      : limits.h2_backend_side);
  }

  Result<size_t> feed(Bytes input) override { return conn_.feed(input); }
  Status finish() override { return codecs::ok(); }

  Result<StreamId> send_head(StreamId stream, MessageHead& head, bool end) override {
    const bool client = conn_.role() == codecs::h2::Role::Client;
    if (client) {
      if (auto s = tunnel_request(head); !s) return codecs::unexpected(s.error());
    } else if (head.status == 101 && head.framing == codecs::Framing::Tunnel) {
      websocket_response_for_h2(head);  // an HTTP/1.1 backend accepted the WebSocket
    }
    if (auto s = codecs::prepare_for_h2(head); !s) return codecs::unexpected(s.error());
    // RFC 9113 §8.3.1: :scheme is mandatory; origin-form HTTP/1.1 requests arrived without one.
    if (head.is_request() && head.scheme.empty()) head.scheme = "http";
    return conn_.submit_headers(client ? 0 : stream, head, end);
  }
  Status send_data(StreamId stream, Bytes data, bool end) override {
    return conn_.submit_data(stream, data, end);
  }
  Status send_data_storage(StreamId stream, codecs::ByteBuffer& data, bool end) override {
    return conn_.submit_data(stream, data, end);
  }
  Status send_trailers(StreamId stream, HeaderList& trailers) override {
    const auto kind = conn_.role() == codecs::h2::Role::Client ? codecs::MessageKind::Request
                                                               : codecs::MessageKind::Response;
    // RFC 9110 §6.5.1: trailers that would change framing or routing are not forwarded.
    if (!codecs::validate_trailers(trailers, kind)) trailers.clear();
    if (trailers.empty()) return conn_.submit_data(stream, {}, true);
    return conn_.submit_trailers(stream, trailers);
  }
  void reset(StreamId stream, codecs::H2Code code) override { conn_.reset(stream, code); }
  void go_away() override { conn_.go_away(codecs::H2Code::NoError); }
  void consume(StreamId stream, size_t n) override { conn_.consume(stream, n); }
  CodecDeadline deadline(size_t kind) const override {
    const codecs::h2::Deadline d = conn_.deadline(static_cast<codecs::h2::DeadlineKind>(kind));
    return CodecDeadline{d.armed, d.timeout_ms, d.serial};
  }
  void expire(size_t kind, uint64_t serial) override {
    conn_.on_timeout(static_cast<codecs::h2::DeadlineKind>(kind), serial);
  }
  void take_output(codecs::ByteChain& out) override { conn_.take_output(out); }
  bool wants_output() const override { return conn_.wants_output(); }
  size_t capacity(StreamId stream) const override {
    // What the flow windows let the connection send now, up to kStreamHighWater: bytes beyond
    // the window would only wait in the codec (a copy per stalled stream, RFC 9113 §5.2 lets a
    // peer hold its window at zero for as long as it likes).
    const size_t queued = conn_.queued_bytes(stream);
    const int64_t window = std::min(conn_.send_window(stream), conn_.connection_send_window());
    const size_t want = window <= 0 ? 0 : std::min<size_t>(kStreamHighWater, window);
    return queued < want ? want - queued : 0;
  }
  bool window_open(StreamId stream) const override {
    return std::min(conn_.send_window(stream), conn_.connection_send_window()) > 0;
  }
  bool window_awaits_delivery(StreamId stream, uint64_t delivered) const override {
    const bool stream_shut = conn_.send_window(stream) <= 0;
    const bool connection_shut = conn_.connection_send_window() <= 0;
    return (stream_shut || connection_shut) &&
           (!stream_shut || conn_.data_end(stream) > delivered) &&
           (!connection_shut || conn_.connection_data_end() > delivered);
  }
  bool can_open_stream() const override { return conn_.can_open_stream(); }
  bool can_open_tunnel() const override {
    return conn_.can_open_stream() && conn_.peer_settings_received();
  }
  // Between the two GOAWAYs of a graceful shutdown the peer may still open streams, so the
  // connection stays up (and open) until the final GOAWAY is queued.
  bool reusable() const override { return !conn_.going_away() || conn_.graceful_pending(); }
  size_t stream_limit() const override {
    return std::min<size_t>(conn_.peer_settings().max_concurrent_streams, limit_);
  }
  bool can_cut_stream() const override { return true; }
  bool answers_after_peer_eof() const override { return false; }
  bool ordered() const override { return false; }
  bool answers_errors() const override { return false; }
  void finish_stream(StreamId stream) override { conn_.reset_after_end(stream); }
  TunnelVerdict tunnel_verdict(const MessageHead& head, TunnelKind) const override {
    // RFC 8441 §5, RFC 9110 §9.3.6: a 2xx (without END_STREAM) to (extended) CONNECT opens it.
    return head.framing == codecs::Framing::Tunnel ? TunnelVerdict::Accepted
                                                   : TunnelVerdict::Refused;
  }
  std::string_view protocol() const override { return "HTTP/2"; }

 private:
  // A WebSocket Upgrade becomes extended CONNECT; any extended CONNECT needs the backend's
  // SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3). Error: kErrNoExtendedConnect (502).
  codecs::Status tunnel_request(MessageHead& head) const {
    const TunnelKind kind = tunnel_kind(head);
    if (kind != TunnelKind::WebSocket && kind != TunnelKind::Extended) return codecs::ok();
    if (conn_.peer_settings().enable_connect_protocol != 1) {
      return codecs::unexpected(
          codecs::Error::http(502, kErrNoExtendedConnect, codecs::Side::Backend));
    }
    if (head.method != "CONNECT") websocket_request_for_h2(head);
    return codecs::ok();
  }

  codecs::h2::Connection conn_;
  size_t limit_;
};

}  // namespace

CodecLimits codec_limits(const config::Config& config) {
  const config::Limits& l = config.limits;
  CodecLimits c;
  c.max_header_bytes = l.max_header_bytes;
  c.max_request_line = l.max_request_line;
  c.max_request_body = l.max_request_body;
  c.max_concurrent_streams = l.max_concurrent_streams;
  c.initial_window_size = l.initial_window_size;
  c.max_frame_size = l.max_frame_size;
  c.header_table_size = l.header_table_size;
  c.max_header_list_size = l.max_header_list_size;
  c.max_header_fields = l.max_header_fields;
  c.max_continuation_frames = l.max_continuation_frames;
  c.reset_budget = l.reset_budget;
  c.glitch_budget = l.glitch_budget;
  c.max_queued_control = l.max_queued_control_acks;
  c.max_settings_entries = l.max_settings_entries;
  c.settings_ack_ms = static_cast<uint32_t>(config.timeouts.settings_ack.count());
  c.header_timeout_ms = static_cast<uint32_t>(config.timeouts.request_headers.count());
  c.connection_window = l.connection_window;
  c.max_header_block_bytes = l.max_header_block_bytes;
  return c;
}

std::unique_ptr<Codec> make_h2_server(codecs::EventSink& sink, const CodecLimits& limits) {
  return std::make_unique<H2Codec>(codecs::h2::Role::Server, sink, limits);
}

std::unique_ptr<Codec> make_h2_client(codecs::EventSink& sink, const CodecLimits& limits) {
  return std::make_unique<H2Codec>(codecs::h2::Role::Client, sink, limits);
}

}  // namespace crossmux::mux::proxy
