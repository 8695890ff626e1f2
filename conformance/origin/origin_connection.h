// One origin connection: detects HTTP/1.1 or h2c, decodes requests into OriginExchanges and
// streams their responses back with backpressure.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "codecs/base/byte_buffer.h"
#include "codecs/h1/decoder.h"
#include "codecs/h1/encoder.h"
#include "codecs/h2/connection.h"
#include "conformance/origin/origin_app.h"
#include "conformance/origin/websocket_echo.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"
#include "mux/net/timer_wheel.h"

namespace crossmux::conformance {

class OriginServer;

class OriginConnection final : public mux::net::Handler, private codecs::EventSink {
 public:
  OriginConnection(OriginServer& server, mux::net::TcpStream stream, std::string peer);
  ~OriginConnection() override;
  // Registers with the loop; false when epoll refuses the fd.
  bool start();
  void on_ready() override;

 private:
  enum class Proto : uint8_t { Unknown, Http1, Http2 };
  struct Response {
    codecs::StreamId stream = 0;
    ResponsePlan plan;
    std::string method;
    bool keep_alive = true;
    bool head_sent = false;
    bool done = false;
    bool waiting = false;  // a /slow timer is pending
    uint64_t sent = 0;     // body bytes handed to the codec
    std::unique_ptr<mux::net::Timer> timer;
  };

  // EventSink (requests from the client).
  void on_head(codecs::StreamId s, codecs::MessageHead& head) override;
  void on_data(codecs::StreamId s, codecs::Bytes data) override;
  void on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) override;
  void on_end_of_message(codecs::StreamId s) override;
  void on_reset(codecs::StreamId s, uint32_t code) override;
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override { failed_ = true; }

  bool read_input();  // false: the peer closed or failed
  void detect_protocol();
  void feed();
  void produce();                 // move response bytes into the codec / output buffer
  bool produce_one(Response& r);  // false: blocked (backpressure or a timer)
  void write_head(Response& r);
  // A 1xx head (100 Continue, 103 Early Hints) ahead of the final response on stream `s`.
  void write_interim(codecs::StreamId s, std::string_view method, uint16_t status,
                     const std::vector<std::pair<std::string, std::string>>& fields);
  void write_piece(Response& r);
  bool flush();  // false: the connection failed
  bool finished() const;
  void arm(Response& r, uint32_t ms);

  OriginServer& server_;
  mux::net::TcpStream stream_;
  std::unique_ptr<mux::net::IoWatch> watch_;
  std::string peer_;
  Proto proto_ = Proto::Unknown;
  std::string in_;
  codecs::ByteBuffer out_;
  std::optional<codecs::h1::Decoder> h1_decoder_;
  std::optional<codecs::h1::Encoder> h1_encoder_;
  std::optional<codecs::h2::Connection> h2_;
  std::map<codecs::StreamId, std::unique_ptr<OriginExchange>> exchanges_;
  std::map<codecs::StreamId, std::pair<std::string, bool>> methods_;  // method, keep-alive
  std::deque<std::unique_ptr<Response>> responses_;
  bool peer_closed_ = false;
  bool failed_ = false;
  bool close_after_response_ = false;

  // The /ws echo (websocket_echo.h): answers the handshake, then echoes the stream's bytes.
  void open_websocket(codecs::StreamId s, const codecs::MessageHead& head);
  void websocket_data(codecs::StreamId s, codecs::Bytes data);
  void end_websocket(codecs::StreamId s);
  std::map<codecs::StreamId, std::unique_ptr<WebSocketEcho>> websockets_;
};

}  // namespace crossmux::conformance
