// Transport: blocking sockets with poll() timeouts, optionally TLS (OpenSSL) with one ALPN
// protocol.
#include "conformance/transport.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace crossmux::conformance {

struct Transport::Impl {
  uint64_t serial = 0;
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  bool reset = false;         // the last read() that returned 0 saw ECONNRESET
  bool write_failed = false;  // a write hit a closed or reset connection
  ~Impl() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  }
  bool wait(short events, int ms) const {
    pollfd p{fd, events, 0};
    int r;
    do r = ::poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r > 0;
  }
};

namespace {

int dial(const Endpoint& e, std::string* error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(e.port);
  if (int rc = getaddrinfo(e.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    *error = std::string("cannot resolve ") + e.host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (e.receive_buffer > 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &e.receive_buffer, sizeof e.receive_buffer);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    *error = std::strerror(errno);
    for (char& c : *error) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd >= 0) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{e.send_timeout_ms / 1000, (e.send_timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  return fd;
}

bool tls_handshake(Transport::Impl& io, const Endpoint& e, std::string* error) {
  io.ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(io.ctx, TLS1_2_VERSION);
  // A TCP close without close_notify is a close, as in h2spec's TLS stack (Go accepts it at a
  // record boundary); OpenSSL 3 would otherwise report it as an error.
  SSL_CTX_set_options(io.ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (!e.alpn.empty()) {
    std::string wire(1, static_cast<char>(e.alpn.size()));
    wire += e.alpn;
    SSL_CTX_set_alpn_protos(io.ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  if (!e.insecure) {
    SSL_CTX_set_default_verify_paths(io.ctx);
    SSL_CTX_set_verify(io.ctx, SSL_VERIFY_PEER, nullptr);
  }
  io.ssl = SSL_new(io.ctx);
  SSL_set_fd(io.ssl, io.fd);
  SSL_set_tlsext_host_name(io.ssl, e.host.c_str());
  if (!e.insecure) SSL_set1_host(io.ssl, e.host.c_str());
  if (SSL_connect(io.ssl) != 1) {
    unsigned long err = ERR_get_error();
    char buf[256];
    ERR_error_string_n(err, buf, sizeof buf);
    *error = std::string("TLS handshake failed: ") + (err ? buf : "connection closed");
    return false;
  }
  if (!e.alpn.empty()) {
    const unsigned char* proto = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(io.ssl, &proto, &len);
    if (std::string_view(reinterpret_cast<const char*>(proto), len) != e.alpn) {
      *error = "the server did not negotiate " + e.alpn + " with ALPN";
      return false;
    }
  }
  return true;
}

}  // namespace

namespace {
std::atomic<uint64_t> g_serials{0};
thread_local Transport::WriteTap t_write_tap;
}  // namespace

Transport::Transport() : impl_(std::make_unique<Impl>()) {
  impl_->serial = ++g_serials;
}

uint64_t Transport::serial() const {
  return impl_->serial;
}

void Transport::set_write_tap(WriteTap tap) {
  t_write_tap = std::move(tap);
}
Transport::~Transport() = default;

std::unique_ptr<Transport> Transport::connect(const Endpoint& e, std::string* error) {
  std::unique_ptr<Transport> t(new Transport());
  t->impl_->fd = dial(e, error);
  if (t->impl_->fd < 0) return nullptr;
  if (e.tls && !tls_handshake(*t->impl_, e, error)) return nullptr;
  return t;
}

ssize_t Transport::read(char* buf, size_t n, int ms) {
  Impl& io = *impl_;
  if (io.ssl && SSL_pending(io.ssl) > 0) return SSL_read(io.ssl, buf, static_cast<int>(n));
  if (!io.wait(POLLIN, ms)) return -1;
  if (!io.ssl) {
    ssize_t r = ::recv(io.fd, buf, n, 0);
    io.reset = r < 0 && errno == ECONNRESET;
    if (r < 0) return io.reset ? 0 : -2;
    return r;
  }
  while (true) {
    int r = SSL_read(io.ssl, buf, static_cast<int>(n));
    if (r > 0) return r;
    int err = SSL_get_error(io.ssl, r);
    io.reset = err == SSL_ERROR_SYSCALL && errno == ECONNRESET;
    if (err == SSL_ERROR_ZERO_RETURN || err == SSL_ERROR_SYSCALL) return 0;
    // After a failed write OpenSSL refuses to read on; the peer closed or reset the connection
    // (h2spec ignores write errors and then reads the close).
    if (io.write_failed) return 0;
    if (err == SSL_ERROR_WANT_READ) {
      if (!io.wait(POLLIN, ms)) return -1;
      continue;
    }
    return -2;
  }
}

bool Transport::closed_by_reset() const {
  return impl_->reset;
}

void Transport::write(std::string_view data) {
  Impl& io = *impl_;
  if (t_write_tap) t_write_tap(io.serial, data);
  size_t off = 0;
  while (off < data.size()) {
    if (io.ssl) {
      int r = SSL_write(io.ssl, data.data() + off, static_cast<int>(data.size() - off));
      if (r <= 0) {
        io.write_failed = true;
        return;
      }
      off += static_cast<size_t>(r);
    } else {
      ssize_t r = ::send(io.fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return;
      off += static_cast<size_t>(r);
    }
  }
}

void Transport::shutdown_write() {
  if (impl_->ssl) SSL_shutdown(impl_->ssl);
  ::shutdown(impl_->fd, SHUT_WR);
}

}  // namespace crossmux::conformance
