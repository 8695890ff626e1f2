// TLS contexts (OpenSSL 3): servers with ALPN and SNI certificate selection, clients for backends.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/result.h"

namespace crossmux::mux::net {

using codecs::Result;

// A certificate chain (leaf first, then intermediates) and its private key, both PEM text.
struct CertificatePem {
  std::string chain;
  std::string key;
};

// Reads both PEM files. Errors: kTlsReadFile (Error::code = errno).
Result<CertificatePem> load_certificate_files(const std::string& chain_path,
                                              const std::string& key_path);

// The TLS library this binary runs with ("OpenSSL 3.0.15 3 Sep 2024").
std::string_view tls_library_version();

enum class TlsVersion : uint8_t { Tls12 = 0, Tls13 = 1 };
std::string_view to_string(TlsVersion v);

struct TlsServerConfig {
  // The first certificate is the default (no SNI, or SNI matching no certificate). Each one serves
  // the DNS names in its subjectAltName (its subject CN when it has none); "*.example.com" matches
  // exactly one extra label ("a.example.com", not "example.com" nor "a.b.example.com").
  std::vector<CertificatePem> certificates;
  // ALPN protocols offered, in the server's preference order.
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  // true: first protocol of `alpn` the client also offers; false: the client's first that we
  // support. No overlap: the handshake goes on without ALPN (the caller treats that as http/1.1).
  bool prefer_server_alpn = true;
  TlsVersion min_version = TlsVersion::Tls12;
};

// An immutable server context, shared by every connection of a listener. Renegotiation is off
// (TLS 1.2), TLS 1.3 has none. Movable; the OpenSSL objects stay put.
class TlsServerContext {
 public:
  // Errors: kTlsNoCertificate, kTlsContext, kTlsCertificate, kTlsKey, kTlsKeyMismatch, kTlsAlpn.
  static Result<TlsServerContext> create(const TlsServerConfig& config);
  TlsServerContext(TlsServerContext&&) noexcept;
  TlsServerContext& operator=(TlsServerContext&&) noexcept;
  ~TlsServerContext();

  // The context new server connections start from (SNI may switch them to another one).
  SSL_CTX* native() const;
  // Index in config.certificates serving `server_name` (case-insensitive; 0 when none matches).
  size_t select(std::string_view server_name) const;
  // Lowercased DNS names certificate `index` serves.
  const std::vector<std::string>& names(size_t index) const;

  struct State;

 private:
  explicit TlsServerContext(std::unique_ptr<State> s);
  std::unique_ptr<State> state_;
};

struct TlsClientConfig {
  bool verify_peer = true;
  // Trust anchors: a PEM file, PEM text, or (both empty) OpenSSL's default paths.
  std::string ca_file;
  std::string ca_pem;
  // Offered ALPN protocols, in order; empty: no ALPN extension.
  std::vector<std::string> alpn;
  TlsVersion min_version = TlsVersion::Tls12;
};

// A client context for backend connections. The server name (SNI and hostname verification) is
// per connection: see TlsStream::connect.
class TlsClientContext {
 public:
  // Errors: kTlsContext, kTlsCaFile, kTlsAlpn.
  static Result<TlsClientContext> create(const TlsClientConfig& config);
  TlsClientContext(TlsClientContext&&) noexcept;
  TlsClientContext& operator=(TlsClientContext&&) noexcept;
  ~TlsClientContext();

  SSL_CTX* native() const { return ctx_; }
  bool verify_peer() const { return verify_peer_; }

 private:
  TlsClientContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_peer_(verify) {}
  SSL_CTX* ctx_ = nullptr;
  bool verify_peer_ = true;
};

}  // namespace crossmux::mux::net
