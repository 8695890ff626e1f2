// HTTP/1.1 adapters of the proxy's Codec interface: the client-facing server and the backend
// client.
#include <deque>
#include <map>
#include <string>

#include "codecs/h1/decoder.h"
#include "codecs/h1/encoder.h"
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

// Encoded bytes held inside the adapter before the connection takes them.
constexpr size_t kH1OutputHighWater = 64 * 1024;

codecs::h1::DecoderOptions decoder_options(const CodecLimits& l, bool request) {
  codecs::h1::DecoderOptions o;
  o.limits.max_header_bytes = l.max_header_bytes;
  o.limits.max_request_line = l.max_request_line;
  o.limits.max_header_count = l.max_header_fields;
  if (request) o.limits.max_body = l.max_request_body;
  return o;
}

// Shared by both roles: the encoder side and the output buffer.
class H1Base : public Codec, protected codecs::EventSink {
 public:
  H1Base(codecs::EventSink& sink, codecs::MessageKind decode_kind, const CodecLimits& limits)
      : sink_(sink),
        decoder_(decode_kind, decoder_options(limits, decode_kind == codecs::MessageKind::Request)),
        encode_kind_(decode_kind == codecs::MessageKind::Request ? codecs::MessageKind::Response
                                                                 : codecs::MessageKind::Request),
        encoder_(encode_kind_) {}

  Result<size_t> feed(Bytes input) override { return decoder_.feed(input, *this); }
  Status finish() override { return decoder_.finish(*this); }

  Status send_data(StreamId, Bytes data, bool end) override {
    if (cut_) return codecs::ok();
    if (!data.empty()) {
      if (auto s = encoder_.encode_data(data, out_.tail()); !s) return s;
    }
    if (end) return end_message();
    return codecs::ok();
  }
  Status send_data_storage(StreamId, codecs::ByteBuffer& data, bool end) override {
    if (cut_) {
      data.clear();
      return codecs::ok();
    }
    if (auto s = encoder_.encode_data(data, out_); !s) return s;
    if (end) return end_message();
    return codecs::ok();
  }
  Status send_trailers(StreamId, HeaderList& trailers) override {
    if (cut_) return codecs::ok();
    // RFC 9110 §6.5.1: trailers that would change framing or routing are not forwarded.
    if (!codecs::validate_trailers(trailers, encode_kind_)) trailers.clear();
    if (auto s = encoder_.encode_trailers(trailers, out_.tail()); !s) return s;
    in_message_ = false;
    return message_sent();
  }
  // RFC 9112 §9.6: one message cannot be abandoned on its own; the connection must close. A
  // message cut after its head went out is the last thing on the wire: the peer would read
  // anything after it (the next response's status line) as the rest of its body, so nothing
  // more is written.
  void reset(StreamId, codecs::H2Code) override {
    broken_ = true;
    cut_ = cut_ || in_message_;
  }
  void go_away() override { closing_ = true; }
  void consume(StreamId, size_t) override {}
  CodecDeadline deadline(size_t) const override { return {}; }
  void expire(size_t, uint64_t) override {}
  void take_output(codecs::ByteChain& out) override { out.splice(out_); }
  bool wants_output() const override { return !out_.empty(); }
  size_t capacity(StreamId) const override {
    return out_.size() < kH1OutputHighWater ? kH1OutputHighWater - out_.size() : 0;
  }
  size_t stream_limit() const override { return 1; }
  bool can_cut_stream() const override { return false; }
  bool answers_after_peer_eof() const override { return true; }
  bool ordered() const override { return true; }
  std::string_view protocol() const override { return "HTTP/1.1"; }

 protected:
  Status end_message() {
    if (auto s = encoder_.encode_end(out_.tail()); !s) return s;
    in_message_ = false;
    return message_sent();
  }
  virtual Status message_sent() { return codecs::ok(); }

  // EventSink: forwarded to the owner, after the role-specific bookkeeping in subclasses.
  void on_head(StreamId s, MessageHead& head) override { sink_.on_head(s, head); }
  void on_data(StreamId s, Bytes data) override { sink_.on_data(s, data); }
  void on_trailers(StreamId s, HeaderList& t) override { sink_.on_trailers(s, t); }
  void on_end_of_message(StreamId s) override { sink_.on_end_of_message(s); }
  void on_reset(StreamId s, uint32_t code) override { sink_.on_reset(s, code); }
  void on_goaway(StreamId last, uint32_t code, std::string_view debug) override {
    sink_.on_goaway(last, code, debug);
  }
  void on_connection_error(const codecs::Error& e) override { sink_.on_connection_error(e); }

  codecs::EventSink& sink_;
  codecs::h1::Decoder decoder_;
  codecs::MessageKind encode_kind_;
  codecs::h1::Encoder encoder_;
  codecs::ByteChain out_;
  bool broken_ = false;
  bool closing_ = false;
  bool in_message_ = false;  // a head went out and its message has not ended
  bool cut_ = false;         // reset() while in_message_: nothing more goes out
};

// Client-facing HTTP/1.1: requests in, responses out, strictly in pipeline order.
class H1Server final : public H1Base {
 public:
  H1Server(codecs::EventSink& sink, const CodecLimits& limits)
      : H1Base(sink, codecs::MessageKind::Request, limits) {}

  Result<size_t> feed(Bytes input) override {
    auto r = decoder_.feed(input, *this);
    // A tunnel request (websocket Upgrade, CONNECT) holds the decoder until its response says
    // whether the tunnel opens (send_head); any other Upgrade continues as a plain request.
    if (r && decoder_.awaiting_tunnel()) {
      auto it = requests_.find(decoder_.last_stream());
      if (it == requests_.end() || it->second.tunnel == TunnelKind::None) {
        decoder_.resolve_tunnel(false, *this);
      }
    }
    return r;
  }

  bool at_head() const override { return decoder_.at_head(); }

  Result<StreamId> send_head(StreamId stream, MessageHead& head, bool end) override {
    if (cut_) return stream;
    auto it = requests_.find(stream);
    std::string_view method = it == requests_.end() ? std::string_view() : it->second.method;
    const TunnelKind tunnel = it == requests_.end() ? TunnelKind::None : it->second.tunnel;
    const bool final_head = !head.is_informational() || head.status == 101;
    // RFC 9110 §7.8 / §9.3.6: the tunnel opens only when the backend leg accepted it (framing
    // Tunnel: a 101 from an HTTP/1.1 backend, a 2xx from an HTTP/2 one, a raw connect); any other
    // final response is an ordinary one and the connection goes on as HTTP/1.1.
    const bool opens =
        final_head && tunnel != TunnelKind::None && head.framing == codecs::Framing::Tunnel;
    if (final_head && !opens && head.framing == codecs::Framing::Tunnel) {
      head.framing = codecs::Framing::None;  // never a tunnel the client did not ask for
    }
    if (opens && tunnel == TunnelKind::WebSocket && head.status != 101) {
      websocket_response_for_h1(head, it->second.websocket_key);
    }
    if (!head.is_informational() || opens) {
      // go_away() (a draining proxy) answers with `Connection: close` (RFC 9112 §9.6).
      head.keep_alive =
          head.keep_alive && !closing_ && it != requests_.end() && it->second.keep_alive;
      // After a tunnel the connection carries nothing else.
      if (!head.keep_alive || opens) closing_ = true;
    }
    if (auto s = codecs::prepare_for_h1(head); !s) return codecs::unexpected(s.error());
    if (auto s = encoder_.encode_head(head, out_.tail(), method); !s)
      return codecs::unexpected(s.error());
    if (final_head && tunnel != TunnelKind::None) decoder_.resolve_tunnel(opens, *this);
    if (!final_head) return stream;
    in_message_ = true;
    if (end) {
      if (auto s = end_message(); !s) return codecs::unexpected(s.error());
    }
    return stream;
  }

  bool can_open_stream() const override { return false; }
  bool reusable() const override {
    return !broken_ && !closing_ && !decoder_.closed() && !decoder_.failed();
  }
  bool answers_errors() const override { return true; }

 private:
  struct RequestFacts {
    std::string method;
    bool keep_alive = true;
    TunnelKind tunnel = TunnelKind::None;
    std::string websocket_key;  // answered with its Sec-WebSocket-Accept
  };
  void on_head(StreamId s, MessageHead& head) override {
    RequestFacts facts;
    facts.method = head.method;
    facts.keep_alive = head.keep_alive;
    if (head.framing == codecs::Framing::Tunnel) {
      facts.tunnel = tunnel_kind(head);
      // Not a tunnel the proxy carries: the bodiless request goes on without its Upgrade.
      if (facts.tunnel == TunnelKind::None) head.framing = codecs::Framing::None;
      if (const auto* key = head.headers.find("sec-websocket-key")) {
        facts.websocket_key = std::string(key->value);
      }
    }
    requests_[s] = std::move(facts);
    sink_.on_head(s, head);
  }
  Status message_sent() override {
    if (!requests_.empty()) requests_.erase(requests_.begin());
    return codecs::ok();
  }

  std::map<StreamId, RequestFacts> requests_;
};

// Backend HTTP/1.1: one request at a time on a keep-alive connection.
class H1Client final : public H1Base {
 public:
  H1Client(codecs::EventSink& sink, const CodecLimits& limits)
      : H1Base(sink, codecs::MessageKind::Response, limits) {}

  Result<StreamId> send_head(StreamId, MessageHead& head, bool end) override {
    head.keep_alive = true;
    if (head.method == "CONNECT" && !head.protocol.empty()) {
      if (tunnel_kind(head) != TunnelKind::WebSocket) {
        return codecs::unexpected(codecs::Error::http(501, kErrExtendedToH1, codecs::Side::Client));
      }
      websocket_request_for_h1(head);
    }
    if (auto s = codecs::prepare_for_h1(head); !s) return codecs::unexpected(s.error());
    if (auto s = encoder_.encode_head(head, out_.tail()); !s) return codecs::unexpected(s.error());
    decoder_.expect_response(head);
    busy_ = true;
    request_done_ = false;
    response_done_ = false;
    const StreamId id = ++sent_;
    in_message_ = true;
    if (end) {
      if (auto s = end_message(); !s) return codecs::unexpected(s.error());
    }
    return id;
  }

  bool can_open_stream() const override { return !busy_ && reusable() && decoder_.idle(); }
  bool answers_errors() const override { return false; }
  TunnelVerdict tunnel_verdict(const MessageHead& head, TunnelKind asked) const override {
    // RFC 9110 §7.8: a 101's Upgrade names the protocol the connection switches to; it must be
    // the one asked for (only websocket is ever asked: tunnel.h), or the bytes that follow are
    // something no check of ours understands (h2c: RFC 9113 §3.1 smuggling).
    if (head.status == 101) {
      const auto* upgrade = head.headers.find("upgrade");
      return asked == TunnelKind::WebSocket && upgrade && only_websocket(upgrade->value)
                 ? TunnelVerdict::Accepted
                 : TunnelVerdict::Invalid;
    }
    return TunnelVerdict::Refused;
  }
  // RFC 9112 §9.3: reuse only after both messages were completely and cleanly framed.
  // Codec's contract: whether the connection can carry another exchange once this one ends, not
  // whether it can now (can_open_stream). A connection mid-response is not spent: treating it
  // so retired every busy connection and took it out of the pool's count, so
  // max_connections_per_backend held nothing back and no slow response's connection was reused.
  // Bytes after a finished response (a body after a 204 or a HEAD's answer, RFC 9112 §6.3)
  // leave the decoder mid-message with nothing asked: the connection's state is unknown.
  bool reusable() const override {
    return !broken_ && !closing_ && !decoder_.closed() && !decoder_.failed() &&
           (busy_ || decoder_.idle());
  }

 private:
  Status message_sent() override {
    request_done_ = true;
    if (response_done_) busy_ = false;
    return codecs::ok();
  }
  void on_end_of_message(StreamId s) override {
    response_done_ = true;
    if (request_done_) busy_ = false;
    sink_.on_end_of_message(s);
  }

  StreamId sent_ = 0;
  bool busy_ = false;
  bool request_done_ = true;
  bool response_done_ = true;
};

}  // namespace

std::unique_ptr<Codec> make_h1_server(codecs::EventSink& sink, const CodecLimits& limits) {
  return std::make_unique<H1Server>(sink, limits);
}

std::unique_ptr<Codec> make_h1_client(codecs::EventSink& sink, const CodecLimits& limits) {
  return std::make_unique<H1Client>(sink, limits);
}

}  // namespace crossmux::mux::proxy
