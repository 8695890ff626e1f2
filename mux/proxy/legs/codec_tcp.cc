// The raw TCP backend leg of a plain CONNECT tunnel (RFC 9110 §9.3.6): no HTTP on the wire.
#include <string>

#include "mux/proxy/legs/codec.h"

namespace crossmux::mux::proxy {

namespace {

using codecs::Bytes;
using codecs::HeaderList;
using codecs::MessageHead;
using codecs::Result;
using codecs::Status;
using codecs::StreamId;

constexpr StreamId kTunnelStream = 1;
constexpr size_t kTunnelOutputHighWater = 64 * 1024;

// The connection itself is the request: writing the CONNECT head writes nothing, and deliver()
// then reports the 2xx that opens the tunnel (the TCP connect already succeeded). Bytes either
// way are the tunnel's; the backend's FIN ends the response half.
class TcpTunnelClient final : public Codec {
 public:
  explicit TcpTunnelClient(codecs::EventSink& sink) : sink_(sink) {}

  Result<size_t> feed(Bytes input) override {
    if (!opened_) return size_t{0};  // nothing is expected before our own 200
    if (!input.empty()) sink_.on_data(kTunnelStream, input);
    return input.size();
  }
  Status finish() override {
    if (opened_ && !ended_) {
      ended_ = true;
      sink_.on_end_of_message(kTunnelStream);
    }
    return codecs::ok();
  }
  Result<StreamId> send_head(StreamId, MessageHead&, bool) override {
    used_ = true;
    return kTunnelStream;
  }
  Status send_data(StreamId, Bytes data, bool) override {
    out_.append(data);
    return codecs::ok();
  }
  Status send_data_storage(StreamId, codecs::ByteBuffer& data, bool) override {
    out_.adopt(data);
    return codecs::ok();
  }
  Status send_trailers(StreamId, HeaderList&) override { return codecs::ok(); }
  void reset(StreamId, codecs::H2Code) override {}
  void go_away() override {}
  void consume(StreamId, size_t) override {}
  CodecDeadline deadline(size_t) const override { return {}; }
  void expire(size_t, uint64_t) override {}
  void take_output(codecs::ByteChain& out) override { out.splice(out_); }
  bool wants_output() const override { return !out_.empty(); }
  size_t capacity(StreamId) const override {
    return out_.size() < kTunnelOutputHighWater ? kTunnelOutputHighWater - out_.size() : 0;
  }
  bool can_open_stream() const override { return !used_; }
  bool reusable() const override { return false; }
  size_t stream_limit() const override { return 1; }
  bool can_cut_stream() const override { return false; }
  bool answers_after_peer_eof() const override { return true; }
  bool ordered() const override { return true; }
  bool answers_errors() const override { return false; }
  // The TCP connect itself is the consent (deliver() reports it as a 200).
  TunnelVerdict tunnel_verdict(const MessageHead&, TunnelKind) const override {
    return TunnelVerdict::Accepted;
  }
  std::string_view protocol() const override { return "TCP"; }

  bool deliver() override {
    if (!used_ || opened_) return false;
    opened_ = true;
    MessageHead head;
    head.kind = codecs::MessageKind::Response;
    head.status = 200;
    head.framing = codecs::Framing::Tunnel;
    sink_.on_head(kTunnelStream, head);
    return true;
  }

 private:
  codecs::EventSink& sink_;
  codecs::ByteChain out_;
  bool used_ = false;
  bool opened_ = false;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<Codec> make_tcp_tunnel_client(codecs::EventSink& sink) {
  return std::make_unique<TcpTunnelClient>(sink);
}

}  // namespace crossmux::mux::proxy
