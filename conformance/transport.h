// Transport: a blocking client connection (TCP, or TLS with ALPN) with per-read timeouts, shared
// by the HTTP/2 probe and the HTTP/1.1 client of the conformance suites.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace crossmux::conformance {

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  bool tls = false;
  bool insecure = false;   // skip certificate verification
  std::string alpn;        // TLS: the one protocol to offer ("h2", "http/1.1"); required to match
  int receive_buffer = 0;  // SO_RCVBUF before connecting (0: default)
  int send_timeout_ms = 2000;
};

class Transport {
 public:
  // Connects (and handshakes). On failure returns nullptr with `error` set: the lowercase
  // strerror ("connection refused"), a resolver message, or a TLS reason.
  static std::unique_ptr<Transport> connect(const Endpoint& endpoint, std::string* error);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // > 0 bytes read; 0 the peer closed (FIN, TLS close, or reset); -1 nothing within `timeout_ms`;
  // -2 another error (errno set).
  ssize_t read(char* buf, size_t n, int timeout_ms);
  // After read() returned 0: whether the close was a reset (ECONNRESET) rather than an orderly
  // FIN or TLS close. h2spec counts a reset as "connection closed" wherever it happens, a FIN
  // only between frames.
  bool closed_by_reset() const;
  // Writes everything unless the peer is gone (then the next read reports it).
  void write(std::string_view data);
  // Ends our direction (TCP FIN, after a TLS close_notify); reading goes on.
  void shutdown_write();

  // A number no other Transport of the process has.
  uint64_t serial() const;
  // Observes every write() of every Transport on the calling thread, with the writer's serial
  // (crossmux fuzz records the bytes the conform cases send, to seed itself with them); an empty
  // function removes it.
  using WriteTap = std::function<void(uint64_t serial, std::string_view data)>;
  static void set_write_tap(WriteTap tap);

  struct Impl;  // the socket and TLS state (transport.cc)

 private:
  Transport();
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossmux::conformance
