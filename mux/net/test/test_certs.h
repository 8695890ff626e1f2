// Test helper: self-signed certificates generated at run time with the OpenSSL API (no keys in
// git).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mux/net/tls.h"

namespace crossmux::mux::net::testing {

// A fresh P-256 key and a self-signed X.509 v3 certificate for `dns_names` (subjectAltName; the
// first name is also the subject CN), valid from an hour ago for a day. Aborts the test binary
// on an OpenSSL failure (test setup, not a data path).
CertificatePem make_self_signed(const std::vector<std::string>& dns_names);

// A file under $TMPDIR holding `text`, removed on destruction.
class TempFile {
 public:
  explicit TempFile(std::string_view text);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace crossmux::mux::net::testing
