// TLS stream: maps SSL_get_error() outcomes onto IoResult, coalesces writev into records.
#include "mux/net/tls_stream.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "mux/net/net_errors.h"

namespace crossmux::mux::net {
namespace {

// RFC 8446 §5.1: a record carries at most 2^14 bytes of plaintext.
constexpr size_t kMaxRecord = 16384;

bool is_ip_literal(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

}  // namespace

void TlsStream::SslDeleter::operator()(SSL* s) const {
  SSL_free(s);
}

// OpenSSL reads and writes records through this BIO rather than a socket BIO: the TcpStream's
// own read/write, so that a stream in completion mode (io_uring) carries TLS unchanged.
int TlsStream::bio_read(BIO* b, char* data, size_t len, size_t* done) {
  auto* t = static_cast<Transport*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  t->last = t->tcp.read(MutableBytes(reinterpret_cast<uint8_t*>(data), len));
  if (t->last.ok()) {
    *done = t->last.bytes;
    return 1;
  }
  if (t->last.would_block()) {
    BIO_set_retry_read(b);
  } else if (t->last.status == IoStatus::Closed) {
    t->eof = true;  // BIO_CTRL_EOF: OpenSSL then reports a truncation unless close_notify came
  }
  return 0;
}

int TlsStream::bio_write(BIO* b, const char* data, size_t len, size_t* done) {
  auto* t = static_cast<Transport*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  t->last = t->tcp.write(Bytes(reinterpret_cast<const uint8_t*>(data), len));
  if (t->last.ok()) {
    *done = t->last.bytes;
    return 1;
  }
  if (t->last.would_block()) BIO_set_retry_write(b);
  return 0;
}

long TlsStream::bio_ctrl(BIO* b, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // writes go straight to the stream
    case BIO_CTRL_EOF:
      return static_cast<Transport*>(BIO_get_data(b))->eof ? 1 : 0;
    default:
      return 0;
  }
}

Result<TlsStream> TlsStream::make(TcpStream tcp, SSL_CTX* ctx) {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "crossmux stream");
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    return m;
  }();
  auto transport = std::make_unique<Transport>(Transport{std::move(tcp), IoResult{}, false});
  SSL* ssl = method != nullptr ? SSL_new(ctx) : nullptr;
  BIO* bio = ssl != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    ERR_clear_error();
    return codecs::unexpected(codecs::Error::sys(errors::kTlsNew, 0));
  }
  BIO_set_data(bio, transport.get());
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // one reference, owned by the SSL from here
  return TlsStream(std::move(transport), ssl);
}

Result<TlsStream> TlsStream::accept(TcpStream tcp, const TlsServerContext& ctx) {
  auto s = make(std::move(tcp), ctx.native());
  if (s) SSL_set_accept_state(s->ssl_.get());
  return s;
}

Result<TlsStream> TlsStream::connect(TcpStream tcp, const TlsClientContext& ctx,
                                     std::string_view server_name) {
  auto s = make(std::move(tcp), ctx.native());
  if (!s) return s;
  SSL* ssl = s->ssl_.get();
  const std::string name(server_name);
  bool ok = true;
  const bool ip = is_ip_literal(name);
  // RFC 6066 §3: SNI carries DNS names only, never address literals.
  if (!name.empty() && !ip) ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
  if (ok && ctx.verify_peer() && !name.empty()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1
            : SSL_set1_host(ssl, name.c_str()) == 1;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }
  if (!ok) {
    ERR_clear_error();
    return codecs::unexpected(codecs::Error::sys(errors::kTlsNew, 0));
  }
  SSL_set_connect_state(ssl);
  return s;
}

bool TlsStream::handshake_done() const {
  return SSL_is_init_finished(ssl_.get()) == 1;
}

std::string_view TlsStream::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &p, &len);
  return p == nullptr ? std::string_view()
                      : std::string_view(reinterpret_cast<const char*>(p), len);
}

std::string_view TlsStream::server_name() const {
  const char* n = SSL_get_servername(ssl_.get(), TLSEXT_NAMETYPE_host_name);
  return n == nullptr ? std::string_view() : std::string_view(n);
}

std::string_view TlsStream::version() const {
  return SSL_get_version(ssl_.get());
}

std::string_view TlsStream::cipher() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_.get());
  return c == nullptr ? std::string_view() : std::string_view(SSL_CIPHER_get_name(c));
}

long TlsStream::verify_result() const {
  return SSL_get_verify_result(ssl_.get());
}

void TlsStream::before_call() {
  ERR_clear_error();
  transport_->last = IoResult{};
}

// Maps a failed SSL_* call. The error queue is per thread and must be empty before the next
// call on any connection, so every path clears it. A transport failure (SSL_ERROR_SYSCALL) is
// the BIO's last stream result.
IoResult TlsStream::failure(int ret) {
  const IoResult& last = transport_->last;
  const int code = SSL_get_error(ssl_.get(), ret);
  IoResult r;
  switch (code) {
    case SSL_ERROR_WANT_READ:
      r = IoResult::blocked(Direction::Read);
      break;
    case SSL_ERROR_WANT_WRITE:
      r = IoResult::blocked(Direction::Write);
      break;
    case SSL_ERROR_ZERO_RETURN:
      r = IoResult::closed(errors::kTlsClosed);
      break;
    case SSL_ERROR_SYSCALL:
      if (last.status == IoStatus::Closed && last.detail == errors::kPeerGone) {
        r = IoResult::closed(errors::kPeerGone);
      } else if (last.status == IoStatus::Error) {
        r = IoResult::failed(last.error, last.error == ECONNRESET ? errors::kReset : errors::kIo);
      } else {
        r = IoResult::closed(errors::kTlsEof);  // the transport ended without close_notify
      }
      break;
    default: {
      const unsigned long e = ERR_peek_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        r = IoResult::closed(errors::kTlsEof);
      } else if (SSL_get_verify_result(ssl_.get()) != X509_V_OK) {
        r = IoResult::failed(0, errors::kTlsVerify);
      } else {
        r = IoResult::failed(0, handshake_done() ? errors::kTlsProtocol : errors::kTlsHandshake);
      }
    }
  }
  ERR_clear_error();
  return r;
}

IoResult TlsStream::handshake() {
  if (handshake_done()) return IoResult::done(0);
  before_call();
  const int ret = SSL_do_handshake(ssl_.get());
  if (ret == 1) return IoResult::done(0);
  return failure(ret);
}

IoResult TlsStream::read(MutableBytes into) {
  if (into.empty()) return IoResult::done(0);
  before_call();
  size_t n = 0;
  const int ret = SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
  if (ret == 1) return IoResult::done(n);
  return failure(ret);
}

IoResult TlsStream::write(Bytes data) {
  if (data.empty()) return IoResult::done(0);
  before_call();
  size_t n = 0;
  const int ret = SSL_write_ex(ssl_.get(), data.data(), data.size(), &n);
  if (ret == 1) return IoResult::done(n);
  return failure(ret);
}

// Small buffers (frame headers, HPACK blocks) would each become a record of their own; gathering
// them into one record saves a record header and a MAC per buffer. A retry after WouldBlock
// gathers the same leading bytes again, which is what SSL_write's retry rule asks for.
IoResult TlsStream::writev(std::span<const Bytes> data) {
  thread_local uint8_t scratch[kMaxRecord];
  size_t total = 0;
  size_t index = 0;
  size_t offset = 0;  // into data[index]
  while (index < data.size()) {
    size_t fill = 0;
    while (index < data.size() && fill < kMaxRecord) {
      const Bytes& b = data[index];
      const size_t take = std::min(b.size() - offset, kMaxRecord - fill);
      std::memcpy(scratch + fill, b.data() + offset, take);
      fill += take;
      offset += take;
      if (offset == b.size()) {
        ++index;
        offset = 0;
      }
    }
    if (fill == 0) break;
    IoResult r = write(Bytes(scratch, fill));
    if (!r.ok()) return total > 0 ? IoResult::done(total) : r;
    total += r.bytes;
    if (r.bytes < fill) break;  // partial record write: let the caller come back
  }
  return IoResult::done(total);
}

IoResult TlsStream::shutdown_write() {
  before_call();
  const int ret = SSL_shutdown(ssl_.get());
  if (ret < 0) return failure(ret);
  // close_notify is out (ret 0: the peer's is not in yet, which is fine for a half-close).
  return transport_->tcp.shutdown_write();
}

}  // namespace crossmux::mux::net
