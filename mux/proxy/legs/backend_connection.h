// BackendConnection: one connection to a backend (HTTP/1.1, h2c, or the raw TCP leg of a
// CONNECT), carrying exchanges from any client session of the worker; lives in the worker's
// BackendPool.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "mux/net/socket.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/peer.h"

namespace crossmux::mux::proxy {

struct BackendKey {
  size_t cluster = 0;
  size_t backend = 0;
  auto operator<=>(const BackendKey&) const = default;
};

/*
  A backend connection's lifecycle. It is offered to new exchanges (accepts()) only while Open
  (or Connecting, for a multiplexing codec) and only in a state that proves every exchange it
  carried ended framed; any doubt retires it.

    Connecting --connected--> Open --a leg abandoned with bytes on the wire (HTTP/1.1), a tunnel
        |                      |     opened on it, a refused or invalid upgrade, GOAWAY, a codec
        |                      |     that is no longer reusable--> Retiring
        |                      |                                      |
        +--connect failed------+--I/O error, peer closed, idle-------+--last exchange left-->
                                                                                        Closed
*/
enum class BackendState : uint8_t {
  Connecting = 0,  // TCP (and TLS) connect under way; attached exchanges wait for it
  Open = 1,        // carries exchanges; takes more while its codec allows
  Retiring = 2,    // takes no new exchange; closes when its last one leaves
  Closed = 3,
};
std::string_view to_string(BackendState s);

class BackendConnection final : public Peer, public BackendSide {
 public:
  // `stream` is still connecting: its finish_connect() tells the outcome once it is writable.
  // `raw`: the leg of a plain CONNECT tunnel (make_tcp_tunnel_client), never reused.
  BackendConnection(Worker& worker, BackendKey key, const config::Cluster& cluster,
                    std::unique_ptr<net::ByteStream> stream, bool raw = false);
  ~BackendConnection() override;

  // Starts watching the connecting socket and arms the connect deadline. Errors: kEpoll.
  codecs::Status start();
  void on_ready() override;

  // Carries `ex` from now on (its link is bound here; the request is written when the codec can
  // open a stream).
  void attach(Exchange& ex);
  // BackendSide.
  void unlink(Exchange& ex, LegEnd end) override;
  void wake() override { Peer::wake(); }
  void credit(codecs::StreamId stream, size_t n) override { codec_->consume(stream, n); }

  // Whether another exchange may be attached now: Connecting or Open, the codec reusable and
  // below its stream limit (HTTP/1.1: only an idle connection).
  bool accepts() const;
  BackendState state() const { return state_; }
  bool connecting() const { return state_ == BackendState::Connecting; }
  size_t exchanges() const { return exchanges_.size(); }
  template <class F>
  void for_each_exchange(F&& f) const {
    for (Exchange* ex : exchanges_) f(*ex);
  }
  // Whether the pool lists this connection as idle (kept by the pool).
  bool idle_listed() const { return idle_listed_; }
  void set_idle_listed(bool on) { idle_listed_ = on; }
  uint64_t served() const { return served_; }
  BackendKey key() const { return key_; }

 private:
  // EventSink: responses decoded from the backend.
  void on_head(codecs::StreamId s, codecs::MessageHead& head) override;
  void on_data(codecs::StreamId s, codecs::Bytes data) override;
  void on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) override;
  void on_end_of_message(codecs::StreamId s) override;
  void on_reset(codecs::StreamId s, uint32_t code) override;
  void on_goaway(codecs::StreamId last, uint32_t code, std::string_view debug) override;
  void on_connection_error(const codecs::Error&) override { codec_failed_ = true; }

  Exchange* find(codecs::StreamId s);
  // The final response head to a tunnel request: the codec's verdict opens the tunnel, makes the
  // response an ordinary one, or (a 101 to another protocol) answers 502. False when `ex` left.
  bool decide_tunnel(Exchange& ex, codecs::MessageHead& head);
  // Ends the leg of `ex` from this side (it is failing, or done with the exchange).
  void sever(Exchange& ex);
  void release_if_done(Exchange& ex);
  bool finish_connect();
  void pump_requests();
  // Tunnels over a connection that is the stream (HTTP/1.1, raw TCP): once the client closed its
  // direction and all of it was written, sends FIN (the backend then closes its own direction,
  // which ends the exchange).
  void shut_tunnel_writes();
  bool reading_paused() const;
  // How many bytes reading may gather in the input buffer now.
  size_t input_room() const;
  // Takes no new exchange from now on; closes when the last one leaves.
  void retire();
  // Severs every exchange and tells its client session how the connection failed.
  void fail_all(FailureKind kind);
  void close();

  BackendKey key_;
  std::vector<Exchange*> exchanges_;  // attach order: HTTP/1.1 responses arrive in this order
  BackendState state_ = BackendState::Connecting;
  bool codec_failed_ = false;
  bool idle_listed_ = false;
  bool shut_write_ = false;
  uint64_t served_ = 0;
  int64_t connect_started_us_ = 0;  // loop_us()
  net::Timer timer_;                // connect deadline, then idle timeout
};

// The answer when an HTTP/1.1 backend's 101 switches to a protocol the client did not ask for.
inline constexpr char kErrTunnelProtocol[] =
    "backend switched to a protocol the client did not ask for (RFC 9110 §7.8)";

}  // namespace crossmux::mux::proxy
