// Endpoint logic and request recording for the origin.
#include "conformance/origin/origin_app.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace crossmux::conformance {

namespace {

constexpr uint64_t kMaxEcho = 16 << 20;

// Splits "/a/b/c" after a known prefix into numeric parts; false when a part is not a number.
bool numbers_after(std::string_view path, std::string_view prefix, std::vector<uint64_t>& out) {
  path = path.substr(0, path.find('?'));
  if (!path.starts_with(prefix)) return false;
  path.remove_prefix(prefix.size());
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || p != part.data() + part.size() || part.empty()) return false;
    out.push_back(v);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return !out.empty();
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

ResponsePlan text(uint16_t status, std::string body) {
  ResponsePlan p;
  p.status = status;
  p.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  p.body = std::move(body);
  return p;
}

}  // namespace

std::string json_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

struct OriginExchange::Hash {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Hash() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Hash() { EVP_MD_CTX_free(ctx); }
};

OriginExchange::OriginExchange(std::string_view protocol, std::string_view peer)
    : protocol_(protocol), peer_(peer), hash_(std::make_unique<Hash>()) {}

OriginExchange::~OriginExchange() = default;

void OriginExchange::on_head(const codecs::MessageHead& head) {
  method_ = head.method;
  scheme_ = head.scheme;
  authority_ = head.authority;
  path_ = head.path;
  for (const auto& f : head.headers)
    headers_.emplace_back(std::string(f.name), std::string(f.value));
  keep_body_ = path_.substr(0, path_.find('?')) == "/echo";
  // HTTP/1.1 decoders set expect_continue; HTTP/2 heads carry the field as it came.
  bool expects = head.expect_continue;
  for (const auto& f : head.headers) {
    expects = expects || (iequals(f.name, "expect") && iequals(f.value, "100-continue"));
  }
  wants_continue_ = expects && head.framing != codecs::Framing::None;
}

void OriginExchange::on_data(codecs::Bytes data) {
  body_length_ += data.size();
  EVP_DigestUpdate(hash_->ctx, data.data(), data.size());
  if (keep_body_) {
    if (body_.size() + data.size() > kMaxEcho) {
      body_too_large_ = true;
      body_.clear();
      keep_body_ = false;
    } else {
      body_.append(codecs::as_chars(data));
    }
  }
}

void OriginExchange::on_trailers(const codecs::HeaderList& trailers) {
  for (const auto& f : trailers) trailers_.emplace_back(std::string(f.name), std::string(f.value));
}

ResponsePlan OriginExchange::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(hash_->ctx, md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    digest_hex_ += kHex[md[i] >> 4];
    digest_hex_ += kHex[md[i] & 15];
  }

  const std::string_view path = std::string_view(path_).substr(0, path_.find('?'));
  std::vector<uint64_t> n;
  ResponsePlan p;
  if (method_ == "OPTIONS" && path_ == "*") {
    p = text(200, "");
    p.headers.emplace_back("allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
  } else if (path.ends_with("/")) {
    std::string via;
    for (const auto& [k, v] : headers_) {
      if (k == "via" || k == "Via") via += via.empty() ? v : ", " + v;
    }
    p = text(200, "hello from crossmux origin\nprotocol: " + protocol_ + "\nmethod: " + method_ +
                      "\nauthority: " + authority_ + "\npath: " + path_ + "\n" +
                      (via.empty() ? "" : "via: " + via + "\n"));
  } else if (path == "/echo") {
    if (body_too_large_) return text(413, "echo keeps at most 16 MiB; use /sha256\n");
    p.status = 200;
    for (const auto& [k, v] : headers_) {
      if (k == "content-type" || k == "Content-Type") p.headers.emplace_back("content-type", v);
    }
    p.body = body_;
  } else if (path == "/sha256") {
    p = text(200, digest_hex_ + " " + std::to_string(body_length_) + "\n");
  } else if (path == "/headers") {
    std::string out = ":method: " + method_ + "\n:scheme: " + scheme_ +
                      "\n:authority: " + authority_ + "\n:path: " + path_ + "\n";
    for (const auto& [k, v] : headers_) out += k + ": " + v + "\n";
    p = text(200, out);
  } else if (numbers_after(path, "/bytes/", n) && n.size() == 1) {
    p.headers.emplace_back("content-type", "application/octet-stream");
    p.body_bytes = n[0];
  } else if (numbers_after(path, "/chunked/", n) && n.size() <= 2) {
    p.headers.emplace_back("content-type", "application/octet-stream");
    p.body_bytes = n[0];
    p.streaming = true;
    p.chunk_size =
        n.size() == 2 && n[1] > 0 ? static_cast<uint32_t>(std::min<uint64_t>(n[1], 1 << 20)) : 4096;
  } else if (numbers_after(path, "/slow/", n) && n.size() <= 2) {
    uint32_t ms = static_cast<uint32_t>(std::min<uint64_t>(n[0], 600000));
    p.headers.emplace_back("content-type", "application/octet-stream");
    p.delay_ms = ms;
    p.interval_ms = ms;
    p.body_bytes = n.size() == 2 ? n[1] : 16;
    p.chunk_size = 1;
    p.streaming = true;
  } else if (path == "/trailers") {
    p = text(200, "trailers follow\n");
    p.streaming = true;
    p.trailers = {{"grpc-status", "0"}, {"x-checksum", digest_hex_.substr(0, 16)}};
  } else if (numbers_after(path, "/status/", n) && n.size() == 1 && n[0] >= 200 && n[0] <= 599) {
    uint16_t s = static_cast<uint16_t>(n[0]);
    p = text(s, (s == 204 || s == 304) ? "" : "status " + std::to_string(s) + "\n");
    if (s == 204 || s == 304) p.headers.clear();
    if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
      p.headers.emplace_back("location",
                             "https://www.example.com/landing?from=" + std::to_string(s));
    }
  } else if (path.starts_with("/raw/")) {
    using namespace std::string_view_literals;
    static const std::pair<std::string_view, std::string_view> kRaw[] = {
        {"head-with-body",
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"},
        {"204-with-body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"},
        {"cl-te",
         "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
         "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
        {"duplicate-cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
        {"obs-fold", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Folded: a\r\n b\r\n\r\nok"},
        {"bare-cr", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\rb\r\n\r\nok"},
        {"nul",
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Bad: a\0b\r\n\r\nok"sv},  // sv: keeps the NUL
    };
    p = text(404, "no such raw response: " + std::string(path) + "\n");
    for (const auto& [name, bytes] : kRaw) {
      if (path.substr(5) != name) continue;
      if (protocol_ != "HTTP/1.1") {
        p = text(501, "raw responses are HTTP/1.1 only\n");
      } else {
        p = ResponsePlan{};
        p.raw = bytes;
      }
    }
  } else if (path == "/early-hints") {
    p = text(200, "early hints sent\n");
    p.interim.push_back({103,
                         {{"link", "</style.css>; rel=preload; as=style"},
                          {"link", "</app.js>; rel=preload; as=script"}}});
  } else if (path == "/cookies") {
    // One line with every cookie field joined by "; " (RFC 9113 §8.2.3: crumbs an HTTP/2 hop
    // split are concatenated before anything outside HTTP/2 reads them).
    std::string joined;
    for (const auto& [k, v] : headers_) {
      if (iequals(k, "cookie")) joined += (joined.empty() ? "" : "; ") + v;
    }
    p = text(200, joined.empty() ? "" : "cookie: " + joined + "\n");
    p.headers.emplace_back("set-cookie", "session=abc123; Path=/; HttpOnly");
    p.headers.emplace_back("set-cookie", "theme=dark; Path=/; Max-Age=3600");
    p.headers.emplace_back("set-cookie", "seen=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
  } else {
    p = text(404, "no such endpoint: " + std::string(path) + "\n");
  }
  p.headers.emplace_back("x-origin-protocol", protocol_);
  if (method_ == "HEAD") p.head_only = true;
  return p;
}

std::string OriginExchange::record_line() const {
  std::string out = "{\"protocol\":\"" + json_escape(protocol_) + "\",\"peer\":\"" +
                    json_escape(peer_) + "\",\"method\":\"" + json_escape(method_) +
                    "\",\"scheme\":\"" + json_escape(scheme_) + "\",\"authority\":\"" +
                    json_escape(authority_) + "\",\"path\":\"" + json_escape(path_) +
                    "\",\"headers\":[";
  for (size_t i = 0; i < headers_.size(); ++i) {
    out += (i ? ",[\"" : "[\"") + json_escape(headers_[i].first) + "\",\"" +
           json_escape(headers_[i].second) + "\"]";
  }
  out += "],\"body_length\":" + std::to_string(body_length_) + ",\"body_sha256\":\"" + digest_hex_ +
         "\",\"trailers\":[";
  for (size_t i = 0; i < trailers_.size(); ++i) {
    out += (i ? ",[\"" : "[\"") + json_escape(trailers_[i].first) + "\",\"" +
           json_escape(trailers_[i].second) + "\"]";
  }
  out += "]}\n";
  return out;
}

}  // namespace crossmux::conformance
