// Self-signed certificate generation for tests (EVP_PKEY + X509), and temporary PEM files.
#include "mux/net/test/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace crossmux::mux::net::testing {
namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "test_certs: %s failed\n", what);
    std::abort();
  }
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  require(ext != nullptr, "X509V3_EXT_conf_nid");
  require(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

}  // namespace

CertificatePem make_self_signed(const std::vector<std::string>& dns_names) {
  require(!dns_names.empty(), "dns_names");
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  require(key != nullptr, "EVP_EC_gen");
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  require(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dns_names[0].c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  require(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  std::string san;
  for (const std::string& n : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  add_extension(cert.get(), NID_subject_alt_name, san);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  require(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  std::unique_ptr<BIO, decltype(&BIO_free)> cbio(BIO_new(BIO_s_mem()), &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> kbio(BIO_new(BIO_s_mem()), &BIO_free);
  require(PEM_write_bio_X509(cbio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  require(
      PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
      "PEM_write_bio_PrivateKey");
  return CertificatePem{bio_text(cbio.get()), bio_text(kbio.get())};
}

TempFile::TempFile(std::string_view text) {
  const char* dir = std::getenv("TMPDIR");
  std::string pattern = std::string(dir != nullptr ? dir : "/tmp") + "/crossmux-net-XXXXXX";
  const int fd = ::mkstemp(pattern.data());
  require(fd >= 0, "mkstemp");
  require(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()), "write");
  ::close(fd);
  path_ = pattern;
}

TempFile::~TempFile() {
  ::unlink(path_.c_str());
}

}  // namespace crossmux::mux::net::testing
