// OpenSSL 3 contexts: ALPN selection (RFC 7301), SNI certificate choice (RFC 6066 §3), trust.
#include "mux/net/tls.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "mux/net/net_errors.h"

namespace crossmux::mux::net {
namespace {

codecs::Error tls_error(const char* detail, int err = 0) {
  ERR_clear_error();  // the queue is per thread: leave it clean for the next caller
  return codecs::Error::sys(detail, err);
}

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 7301 §3.1: the protocol list is a sequence of non-empty length-prefixed strings.
codecs::Result<std::string> alpn_wire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > 255) return codecs::unexpected(tls_error(errors::kTlsAlpn));
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  return wire;
}

int version_of(TlsVersion v) {
  return v == TlsVersion::Tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

CtxPtr new_ctx(const SSL_METHOD* method, TlsVersion min_version) {
  CtxPtr ctx(SSL_CTX_new(method));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), version_of(min_version));
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Partial writes + moving buffers: the proxy retries a blocked write from its unsent cursor,
  // which may sit at another address after a buffer shift.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  // Read ahead: one transport read takes whatever the socket holds (up to OpenSSL's buffer)
  // instead of a 5-byte record header and then its body, two recv calls per record. Records
  // read ahead stay in OpenSSL until SSL_read returns them; WANT_READ still means the socket is
  // drained (the BIO was asked and said EAGAIN), so edge-triggered readiness holds.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  return ctx;
}

codecs::Status use_certificate(SSL_CTX* ctx, const CertificatePem& pem, X509** leaf_out) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.chain.data(), static_cast<int>(pem.chain.size())), &BIO_free);
  X509* leaf = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (leaf == nullptr) return codecs::unexpected(tls_error(errors::kTlsCertificate));
  const int used = SSL_CTX_use_certificate(ctx, leaf);
  *leaf_out = leaf;  // the caller frees its reference
  if (used != 1) return codecs::unexpected(tls_error(errors::kTlsCertificate));
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return codecs::unexpected(tls_error(errors::kTlsCertificate));
    }
  }
  ERR_clear_error();  // the loop above ends on a "no start line" error by design
  std::unique_ptr<BIO, decltype(&BIO_free)> kbio(
      BIO_new_mem_buf(pem.key.data(), static_cast<int>(pem.key.size())), &BIO_free);
  EVP_PKEY* key = kbio ? PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) return codecs::unexpected(tls_error(errors::kTlsKey));
  const bool matches = X509_check_private_key(leaf, key) == 1;
  const bool key_used = matches && SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!matches) return codecs::unexpected(tls_error(errors::kTlsKeyMismatch));
  if (!key_used) return codecs::unexpected(tls_error(errors::kTlsKey));
  return codecs::ok();
}

// DNS names of the subjectAltName, or the subject CN when there is no DNS SAN (RFC 6125 §6.4.4).
std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
    if (gn->type != GEN_DNS) continue;
    const ASN1_IA5STRING* s = gn->d.dNSName;
    names.push_back(lowercase(
        std::string_view(reinterpret_cast<const char*>(s->data), static_cast<size_t>(s->length))));
  }
  GENERAL_NAMES_free(sans);
  if (names.empty()) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) {
      names.push_back(lowercase(cn));
    }
  }
  return names;
}

}  // namespace

struct TlsServerContext::State {
  std::vector<CtxPtr> contexts;  // one per certificate; [0] is the default
  std::vector<std::vector<std::string>> names;
  std::unordered_map<std::string, size_t> exact;
  std::unordered_map<std::string, size_t> wildcard;  // keyed by the part after "*."
  std::string alpn;                                  // wire format, server preference order
  bool prefer_server = true;
};

namespace {

// Exact name first, then the wildcard for the parent domain (one label, RFC 6125 §6.4.3).
size_t pick_certificate(const TlsServerContext::State& st, std::string_view server_name) {
  const std::string lower = lowercase(server_name);
  if (auto it = st.exact.find(lower); it != st.exact.end()) return it->second;
  if (auto dot = lower.find('.'); dot != std::string::npos) {
    if (auto w = st.wildcard.find(lower.substr(dot + 1)); w != st.wildcard.end()) return w->second;
  }
  return 0;
}

// RFC 7301 §3.2: pick one protocol both sides support; preference order is configurable.
const unsigned char* find_protocol(const unsigned char* list, unsigned len, const unsigned char* p,
                                   unsigned plen) {
  for (unsigned i = 0; i < len;) {
    const unsigned n = list[i];
    if (i + 1 + n > len) return nullptr;
    if (n == plen && std::equal(p, p + plen, list + i + 1)) return list + i;
    i += 1 + n;
  }
  return nullptr;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned inlen, void* arg) {
  const auto* st = static_cast<const TlsServerContext::State*>(arg);
  const auto* ours = reinterpret_cast<const unsigned char*>(st->alpn.data());
  const auto ours_len = static_cast<unsigned>(st->alpn.size());
  const unsigned char* pref = st->prefer_server ? ours : in;
  const unsigned pref_len = st->prefer_server ? ours_len : inlen;
  const unsigned char* other = st->prefer_server ? in : ours;
  const unsigned other_len = st->prefer_server ? inlen : ours_len;
  for (unsigned i = 0; i < pref_len;) {
    const unsigned n = pref[i];
    if (i + 1 + n > pref_len) break;
    if (const unsigned char* hit = find_protocol(other, other_len, pref + i + 1, n)) {
      // Point into the client's list, which OpenSSL keeps alive for the handshake.
      const unsigned char* chosen = st->prefer_server ? hit : pref + i;
      *out = chosen + 1;
      *outlen = chosen[0];
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + n;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// RFC 6066 §3: switch the connection to the context whose certificate serves the SNI name.
int select_certificate(SSL* ssl, int*, void* arg) {
  const auto* st = static_cast<const TlsServerContext::State*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;
  const size_t index = pick_certificate(*st, name);
  if (index != 0) SSL_set_SSL_CTX(ssl, st->contexts[index].get());
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

std::string_view to_string(TlsVersion v) {
  return v == TlsVersion::Tls13 ? "TLSv1.3" : "TLSv1.2";
}

std::string_view tls_library_version() {
  return OpenSSL_version(OPENSSL_VERSION);
}

Result<CertificatePem> load_certificate_files(const std::string& chain_path,
                                              const std::string& key_path) {
  auto slurp = [](const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    return true;
  };
  CertificatePem pem;
  if (!slurp(chain_path, pem.chain) || !slurp(key_path, pem.key)) {
    return codecs::unexpected(tls_error(errors::kTlsReadFile, errno));
  }
  return pem;
}

TlsServerContext::TlsServerContext(std::unique_ptr<State> s) : state_(std::move(s)) {}
TlsServerContext::TlsServerContext(TlsServerContext&&) noexcept = default;
TlsServerContext& TlsServerContext::operator=(TlsServerContext&&) noexcept = default;
TlsServerContext::~TlsServerContext() = default;

SSL_CTX* TlsServerContext::native() const {
  return state_->contexts.front().get();
}

const std::vector<std::string>& TlsServerContext::names(size_t index) const {
  return state_->names.at(index);
}

size_t TlsServerContext::select(std::string_view server_name) const {
  return pick_certificate(*state_, server_name);
}

Result<TlsServerContext> TlsServerContext::create(const TlsServerConfig& config) {
  if (config.certificates.empty()) {
    return codecs::unexpected(tls_error(errors::kTlsNoCertificate));
  }
  auto st = std::make_unique<State>();
  auto wire = alpn_wire(config.alpn);
  if (!wire) return codecs::unexpected(wire.error());
  st->alpn = std::move(*wire);
  st->prefer_server = config.prefer_server_alpn;
  for (size_t i = 0; i < config.certificates.size(); ++i) {
    CtxPtr ctx = new_ctx(TLS_server_method(), config.min_version);
    if (!ctx) return codecs::unexpected(tls_error(errors::kTlsContext));
    X509* leaf = nullptr;
    codecs::Status used = use_certificate(ctx.get(), config.certificates[i], &leaf);
    std::vector<std::string> names = leaf ? certificate_names(leaf) : std::vector<std::string>{};
    X509_free(leaf);
    if (!used) return codecs::unexpected(used.error());
    // Every context gets the callbacks: after an SNI switch OpenSSL consults the new one.
    SSL_CTX_set_alpn_select_cb(ctx.get(), select_alpn, st.get());
    SSL_CTX_set_tlsext_servername_callback(ctx.get(), select_certificate);
    SSL_CTX_set_tlsext_servername_arg(ctx.get(), st.get());
    for (const std::string& n : names) {
      if (n.starts_with("*.")) {
        st->wildcard.emplace(n.substr(2), i);  // the first certificate naming it wins
      } else {
        st->exact.emplace(n, i);
      }
    }
    st->names.push_back(std::move(names));
    st->contexts.push_back(std::move(ctx));
  }
  return TlsServerContext(std::move(st));
}

TlsClientContext::TlsClientContext(TlsClientContext&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), verify_peer_(o.verify_peer_) {}

TlsClientContext& TlsClientContext::operator=(TlsClientContext&& o) noexcept {
  if (this != &o) {
    SSL_CTX_free(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
    verify_peer_ = o.verify_peer_;
  }
  return *this;
}

TlsClientContext::~TlsClientContext() {
  SSL_CTX_free(ctx_);
}

namespace {

codecs::Status load_trust(SSL_CTX* ctx, const TlsClientConfig& config) {
  if (!config.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
      return codecs::unexpected(tls_error(errors::kTlsCaFile));
    }
  }
  if (!config.ca_pem.empty()) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(config.ca_pem.data(), static_cast<int>(config.ca_pem.size())), &BIO_free);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509* cert = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr) {
      const int ok = X509_STORE_add_cert(store, cert);
      X509_free(cert);
      if (ok != 1) return codecs::unexpected(tls_error(errors::kTlsCaFile));
      ++added;
    }
    ERR_clear_error();
    if (added == 0) return codecs::unexpected(tls_error(errors::kTlsCaFile));
  }
  if (config.ca_file.empty() && config.ca_pem.empty() &&
      SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return codecs::unexpected(tls_error(errors::kTlsCaFile));
  }
  return codecs::ok();
}

}  // namespace

Result<TlsClientContext> TlsClientContext::create(const TlsClientConfig& config) {
  CtxPtr ctx = new_ctx(TLS_client_method(), config.min_version);
  if (!ctx) return codecs::unexpected(tls_error(errors::kTlsContext));
  if (config.verify_peer) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    if (auto s = load_trust(ctx.get(), config); !s) return codecs::unexpected(s.error());
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  if (!config.alpn.empty()) {
    auto wire = alpn_wire(config.alpn);
    if (!wire) return codecs::unexpected(wire.error());
    const std::string& protos = wire.value();
    // Note the inverted convention: SSL_CTX_set_alpn_protos returns 0 on success.
    if (SSL_CTX_set_alpn_protos(ctx.get(), reinterpret_cast<const unsigned char*>(protos.data()),
                                static_cast<unsigned>(protos.size())) != 0) {
      return codecs::unexpected(tls_error(errors::kTlsAlpn));
    }
  }
  return TlsClientContext(ctx.release(), config.verify_peer);
}

}  // namespace crossmux::mux::net
