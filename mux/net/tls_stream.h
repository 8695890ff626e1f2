// Non-blocking TLS over a TcpStream, with the same IoResult contract as plain TCP.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "mux/net/byte_stream.h"
#include "mux/net/socket.h"
#include "mux/net/tls.h"

namespace crossmux::mux::net {

// A TLS connection (TLS 1.2 or 1.3, no renegotiation). read()/write() drive the handshake
// implicitly, so a caller that does not care about ALPN can treat it exactly like a TcpStream;
// call handshake() first to learn the ALPN protocol before choosing a codec.
//
// WouldBlock may name either direction (a TLS read can need to flush, a write can need to read
// handshake bytes): pass every result to IoWatch::note. Results beyond ByteStream's:
//   read  -> Closed(kTlsClosed) on close_notify, Closed(kTlsEof) on FIN without close_notify
//            (possible truncation: the caller decides from its own framing);
//   any   -> Error(kTlsHandshake) for a failed handshake, Error(kTlsVerify) when the peer's
//            certificate or name did not verify (see verify_result()), Error(kTlsProtocol)
//            for a TLS failure after the handshake.
class TlsStream final : public ByteStream {
 public:
  // Server side of an accepted connection. Errors: kTlsNew.
  static Result<TlsStream> accept(TcpStream tcp, const TlsServerContext& ctx);
  // Client side. `server_name` is sent as SNI (unless it is an IP literal) and, when the
  // context verifies peers, checked against the certificate (DNS name or IP address). The TCP
  // connect may still be in progress: the handshake starts once the socket is writable.
  // Errors: kTlsNew.
  static Result<TlsStream> connect(TcpStream tcp, const TlsClientContext& ctx,
                                   std::string_view server_name);

  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) noexcept = default;
  ~TlsStream() override = default;

  // Ok (0 bytes) once the handshake is complete (then idempotent), else WouldBlock or Error.
  IoResult handshake();
  bool handshake_done() const;
  // The negotiated ALPN protocol ("h2", "http/1.1"), empty when none was agreed.
  std::string_view alpn() const;
  // Server side: the SNI name the client sent, empty when none.
  std::string_view server_name() const;
  // "TLSv1.3" / "TLSv1.2" once the handshake is done.
  std::string_view version() const;
  // The negotiated cipher suite's OpenSSL name ("TLS_AES_128_GCM_SHA256"), empty before the
  // handshake.
  std::string_view cipher() const;
  // X509_V_OK (0) or the OpenSSL verification error code of the peer's certificate chain.
  long verify_result() const;

  int fd() const override { return transport_->tcp.fd(); }
  TcpStream& tcp() { return transport_->tcp; }
  Status finish_connect() const override { return transport_->tcp.finish_connect(); }
  size_t unsent() const override { return transport_->tcp.unsent(); }
  // TLS records travel through the TcpStream (a BIO over its read/write), so under io_uring
  // they ride its completion mode too.
  detail::RingSocket* attach_ring(detail::Uring& ring) override {
    return transport_->tcp.attach_ring(ring);
  }
  IoResult read(MutableBytes into) override;
  IoResult write(Bytes data) override;
  // Coalesces small buffers into full TLS records (one record per 16 KiB).
  IoResult writev(std::span<const Bytes> data) override;
  // Sends close_notify, then FIN. Reading stays possible until the peer closes.
  IoResult shutdown_write() override;

 private:
  struct SslDeleter {
    void operator()(SSL* s) const;
  };
  // What OpenSSL's BIO reads and writes through; on the heap so that the BIO's pointer to it
  // survives moves of the TlsStream.
  struct Transport {
    TcpStream tcp;
    IoResult last;     // the last read or write result (says why a call failed)
    bool eof = false;  // a read returned Closed
  };
  static Result<TlsStream> make(TcpStream tcp, SSL_CTX* ctx);
  static int bio_read(BIO* b, char* data, size_t len, size_t* done);
  static int bio_write(BIO* b, const char* data, size_t len, size_t* done);
  static long bio_ctrl(BIO* b, int cmd, long num, void* ptr);
  TlsStream(std::unique_ptr<Transport> t, SSL* ssl) : transport_(std::move(t)), ssl_(ssl) {}
  IoResult failure(int ret);
  void before_call();

  std::unique_ptr<Transport> transport_;
  std::unique_ptr<SSL, SslDeleter> ssl_;  // after the transport: freed first
};

}  // namespace crossmux::mux::net
