// Reading what reached the origin behind a proxy: the JSON lines `crossmux origin --record FILE`
// appends (conformance/origin/origin_app.h record_line), new ones since a mark, normalised so
// two proxies' forwards compare.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace crossmux::fuzz::net {

struct RecordedRequest {
  std::string protocol;  // "HTTP/1.1" or "HTTP/2", as the origin received it
  std::string method, authority, path;
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t body_length = 0;
  std::string body_sha256;
  std::vector<std::pair<std::string, std::string>> trailers;
  // One line for comparisons and reports: method, path, body length and digest prefix, and the
  // header fields a proxy is expected to forward unchanged (names lowercased; hop-by-hop fields
  // and the ones proxies add or rewrite left out: see normalise_headers()).
  std::string normalised() const;
};

// Parses one record line; false when it is not one.
bool parse_record(const std::string& line, RecordedRequest& out);

// Names left out of RecordedRequest::normalised(): RFC 9110 §7.6.1 hop-by-hop fields, framing
// (content-length, transfer-encoding: the proxy reframes), host (becomes :authority and back),
// and what proxies add (via, forwarded, x-forwarded-*, x-real-ip, x-request-id).
bool ignored_in_comparison(const std::string& lowercase_name);

// The records appended to `path` since mark() (lines of the fuzzer's own liveness probes, which
// carry kProbeMarker, are skipped).
class RecordTail {
 public:
  explicit RecordTail(std::string path) : path_(std::move(path)) {}
  void mark();
  std::vector<RecordedRequest> read_new();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t offset_ = 0;
};

}  // namespace crossmux::fuzz::net
