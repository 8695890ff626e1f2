// BackendConnection: one connection to a backend (HTTP/1.1, h2c), carrying exchanges from any
// client session of the worker; lives in the worker's BackendPool.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mux/net/socket.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/peer.h"
#include "mux/proxy/pool/retry_policy.h"

namespace crossmux::mux::proxy {

struct BackendKey {
  size_t cluster = 0;
  size_t backend = 0;
  auto operator<=>(const BackendKey&) const = default;
};

class BackendConnection final : public Peer {
 public:
  // `stream` is still connecting: its finish_connect() tells the outcome once it is writable.
  // `raw`: the leg of a plain CONNECT tunnel (make_tcp_tunnel_client), never reused.
  BackendConnection(Worker& worker, BackendKey key, const config::Cluster& cluster,
                    std::unique_ptr<net::ByteStream> stream, bool raw = false);
  ~BackendConnection() override;

  // Starts watching the connecting socket and arms the connect deadline. Errors: kEpoll.
  codecs::Status start();
  void on_ready() override;

  // Carries `ex` from now on (its request is written when the codec can open a stream).
  void attach(Exchange& ex);
  // The client finished with `ex` (response complete): forget it; the connection may go idle.
  // Also done as soon as the request is sent and the response received whole (release_if_done).
  void release(Exchange& ex);
  // The client gave up on `ex` before its response completed: reset its stream (H2) or retire
  // the connection (H1 framing is then in doubt).
  void abandon(Exchange& ex);

  // Whether another exchange may be attached now (reusable, below the stream limit; an H1
  // connection only when idle).
  bool accepts() const;
  bool connecting() const { return connecting_; }
  bool multiplexed() const { return codec_->multiplexed(); }
  // Whether the pool lists this connection as idle (kept by the pool).
  bool idle_listed() const { return idle_listed_; }
  void set_idle_listed(bool on) { idle_listed_ = on; }
  uint64_t served() const { return served_; }
  BackendKey key() const { return key_; }

 private:
  // Creates `ex`'s backend timer once and (re)arms it.
  void arm_deadline(Exchange& ex, config::Millis after);
  // EventSink: responses decoded from the backend.
  void on_head(codecs::StreamId s, codecs::MessageHead& head) override;
  void on_data(codecs::StreamId s, codecs::Bytes data) override;
  void on_trailers(codecs::StreamId s, codecs::HeaderList& trailers) override;
  void on_end_of_message(codecs::StreamId s) override;
  void on_reset(codecs::StreamId s, uint32_t code) override;
  void on_goaway(codecs::StreamId last, uint32_t code, std::string_view debug) override;
  void on_connection_error(const codecs::Error&) override { codec_failed_ = true; }

  Exchange* find(codecs::StreamId s);
  void release_if_done(Exchange& ex);
  void detach(Exchange& ex);
  bool finish_connect();
  void pump_requests();
  // HTTP/1.1 tunnels: once the client closed its direction and all of it was written, sends FIN
  // (the backend then closes its own direction, which ends the exchange).
  void shut_tunnel_writes();
  bool reading_paused() const;
  // Detaches every exchange and tells its client session how the connection failed.
  void fail_all(FailureKind kind);
  void close();

  BackendKey key_;
  std::vector<Exchange*> exchanges_;  // attach order: H1 responses arrive in this order
  bool connecting_ = true;
  bool codec_failed_ = false;
  bool idle_listed_ = false;
  bool shut_write_ = false;
  bool closed_ = false;
  uint64_t served_ = 0;
  uint64_t connect_started_ms_ = 0;
  net::Timer timer_;  // connect deadline, then idle timeout
};

}  // namespace crossmux::mux::proxy
