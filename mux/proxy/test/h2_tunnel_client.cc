// Test client: opens one HTTP/2 extended CONNECT stream (RFC 8441) over h2c with our own
// codecs::h2::Connection (client role) and relays it to stdin/stdout, so a test script can speak
// WebSocket frames through it.
//
// Usage: h2_tunnel_client PORT AUTHORITY PATH [PROTOCOL]   (PROTOCOL defaults to websocket;
//        PATH and PROTOCOL "-" make a plain CONNECT to AUTHORITY, RFC 9113 §8.5)
// Writes "STATUS <code>\n" on stdout when the response head arrives, then the stream's DATA
// bytes. Bytes read from stdin go out as DATA; stdin's end is END_STREAM. Exit status: 0 when the
// server ends the stream, 2 on a reset or connection error, 3 when the server's SETTINGS do not
// enable extended CONNECT, 4 on usage or socket errors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "codecs/h2/connection.h"

namespace {

using namespace crossmux::codecs;

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

struct Relay : EventSink {
  h2::Connection* conn = nullptr;
  StreamId stream = 0;
  bool ended = false;
  bool failed = false;
  void on_head(StreamId, MessageHead& head) override {
    if (head.is_informational()) return;
    std::string line = "STATUS " + std::to_string(head.status) + "\n";
    write_all(1, reinterpret_cast<const uint8_t*>(line.data()), line.size());
  }
  void on_data(StreamId s, Bytes data) override {
    if (!write_all(1, data.data(), data.size())) failed = true;
    conn->consume(s, data.size());
  }
  void on_trailers(StreamId, HeaderList&) override {}
  void on_end_of_message(StreamId) override { ended = true; }
  void on_reset(StreamId, uint32_t code) override {
    // RFC 9113 §8.1: RST_STREAM(NO_ERROR) after a complete response only stops our sending.
    if (ended && code == 0) return;
    std::fprintf(stderr, "h2_tunnel_client: RST_STREAM %u\n", code);
    failed = true;
  }
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const Error& e) override {
    std::fprintf(stderr, "h2_tunnel_client: %s\n", e.detail);
    failed = true;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: h2_tunnel_client PORT AUTHORITY PATH [PROTOCOL]\n");
    return 4;
  }
  const std::string authority = argv[2], path = argv[3];
  const std::string protocol = argc > 4 ? argv[4] : "websocket";
  const bool plain = protocol == "-";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::perror("h2_tunnel_client: connect");
    return 4;
  }
  Relay relay;
  h2::Connection conn(h2::Role::Client, relay);
  relay.conn = &conn;
  std::string in;
  bool stdin_open = true, opened = false;
  for (;;) {
    if (!opened && conn.peer_settings_received()) {
      // RFC 8441 §3: extended CONNECT only once the server's SETTINGS enabled it.
      if (!plain && conn.peer_settings().enable_connect_protocol != 1) return 3;
      MessageHead head;
      head.method = "CONNECT";
      head.authority = authority;
      if (!plain) {
        head.protocol = protocol;
        head.scheme = "http";
        head.path = path;
        head.headers.add_view("sec-websocket-version", "13");
      }
      head.framing = Framing::Tunnel;
      auto id = conn.submit_headers(0, head, false);
      if (!id) return 2;
      relay.stream = *id;
      opened = true;
    }
    ByteBuffer out;
    conn.take_output(out);
    if (!out.empty() && !write_all(fd, out.bytes().data(), out.size())) {
      std::perror("h2_tunnel_client: write");
      return 2;
    }
    if (relay.failed) return 2;
    if (relay.ended) return 0;
    pollfd fds[2] = {{fd, POLLIN, 0}, {0, POLLIN, 0}};
    const nfds_t n = opened && stdin_open ? 2 : 1;
    if (::poll(fds, n, 30000) <= 0) {
      std::fprintf(stderr, "h2_tunnel_client: nothing for 30 s\n");
      return 2;
    }
    if (fds[0].revents) {
      uint8_t buf[16384];
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r == 0) std::fprintf(stderr, "h2_tunnel_client: the proxy closed the connection\n");
        if (r < 0) std::perror("h2_tunnel_client: read");
        return 2;
      }
      in.append(reinterpret_cast<char*>(buf), static_cast<size_t>(r));
      auto used = conn.feed(as_bytes(in));
      if (!used) return 2;
      in.erase(0, *used);
    }
    if (relay.ended) return 0;  // what stdin still holds has nowhere to go
    if (n == 2 && fds[1].revents) {
      uint8_t buf[16384];
      ssize_t r = ::read(0, buf, sizeof buf);
      if (r > 0) {
        if (!conn.submit_data(relay.stream, Bytes(buf, static_cast<size_t>(r)), false)) return 2;
      } else {
        stdin_open = false;
        if (!conn.submit_data(relay.stream, {}, true)) return 2;
      }
    }
  }
}
