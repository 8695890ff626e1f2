// One Worker on a virtual clock with one client connection and its backends in memory
// (MemoryStream pipes, a BackendConnector): the real Worker, ClientSession and BackendConnection,
// for the pool, stall, limit and client-timeout tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mux/config/config.h"
#include "mux/net/event_loop.h"
#include "mux/net/memory_stream.h"
#include "mux/proxy/pool/backend_pool.h"
#include "mux/proxy/worker/worker.h"

namespace crossmux::mux::proxy::memory_test {

struct MemoryBackends final : BackendConnector {
  codecs::Result<std::unique_ptr<net::ByteStream>> connect(const Exchange&,
                                                           const net::SocketAddress&) override {
    auto pipe = net::make_memory_pipe();
    peers.push_back(pipe.peer);
    answered.push_back(0);
    return std::unique_ptr<net::ByteStream>(std::move(pipe.stream));
  }
  std::vector<net::MemoryPeer> peers;
  std::vector<size_t> answered;
};

inline config::Config one_backend_config() {
  config::Config c;
  config::Listener l;
  l.name = "in";
  l.address = {"127.0.0.1", 8080};
  c.listeners.push_back(l);
  config::Cluster cl;
  cl.name = "a";
  cl.backends.push_back({{"127.0.0.1", 9000}, 1});
  cl.max_connections_per_backend = 1;
  c.clusters.push_back(cl);
  config::Frontend f;
  f.cluster = "a";
  c.frontends.push_back(f);
  return c;
}

inline size_t count(const std::string& s, std::string_view what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// An HTTP/1.1 backend's 200 with a body of `size` octets.
inline void respond(net::MemoryPeer& backend, size_t size) {
  backend.send(
      codecs::as_bytes("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n"));
  backend.send(codecs::as_bytes(std::string(size, 'x')));
}

// One Worker on a virtual clock with one client connection open on the first listener and its
// backends in memory. The backends are declared before the worker (it keeps a pointer to them)
// and the client pipe after it.
struct OneClientWorker {
  explicit OneClientWorker(config::Config c)
      : loop(net::EventLoop::create(&clock).value()),
        shared(std::make_shared<const config::Config>(std::move(c))),
        cfg(*shared),
        limiter(cfg.limits.max_connections, cfg.limits.max_connections_per_ip),
        worker(*loop, shared, nullptr, limiter) {}

  // Prepares the worker and opens the client's session; false if either is refused.
  bool open() {
    if (!worker.prepare()) return false;
    worker.pool().set_connector(&backends);
    if (worker.limiter().try_acquire("192.0.2.1") != ConnectionLimiter::Verdict::Accept) {
      return false;
    }
    worker.open_session(cfg.listeners[0], std::move(client.stream), nullptr, "192.0.2.1:1",
                        "192.0.2.1");
    return true;
  }

  // Another client connection, from `ip`, on the first listener; its peer (dead if refused).
  net::MemoryPeer add_client(const std::string& ip) {
    auto pipe = net::make_memory_pipe();
    EXPECT_EQ(worker.limiter().try_acquire(ip), ConnectionLimiter::Verdict::Accept);
    worker.open_session(cfg.listeners[0], std::move(pipe.stream), nullptr, ip + ":1", ip);
    return pipe.peer;
  }

  // Runs the loop until nothing is queued (bounded).
  void settle() {
    for (int i = 0; i < 1000 && loop->has_queued(); ++i) ASSERT_TRUE(loop->run_once(0));
  }

  net::VirtualClock clock;
  std::unique_ptr<net::EventLoop> loop;
  std::shared_ptr<const config::Config> shared;
  const config::Config& cfg;
  ConnectionLimiter limiter;
  MemoryBackends backends;
  Worker worker;
  net::MemoryPipe client = net::make_memory_pipe();
};

}  // namespace crossmux::mux::proxy::memory_test
