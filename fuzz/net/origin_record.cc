// A reader for the origin's JSON record lines (only the shape record_line() writes).
#include "fuzz/net/origin_record.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

#include "fuzz/net/target.h"

namespace crossmux::fuzz::net {

namespace {

// Reads a JSON string at s[at] == '"'; json_escape() writes \" \\ and \u00NN only.
bool read_string(const std::string& s, size_t& at, std::string& out) {
  out.clear();
  if (at >= s.size() || s[at] != '"') return false;
  for (++at; at < s.size(); ++at) {
    char c = s[at];
    if (c == '"') {
      ++at;
      return true;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++at >= s.size()) return false;
    if (s[at] == 'u' && at + 4 < s.size()) {
      out += static_cast<char>(std::strtol(s.substr(at + 1, 4).c_str(), nullptr, 16));
      at += 4;
    } else {
      out += s[at];
    }
  }
  return false;
}

size_t value_at(const std::string& s, const char* key) {
  std::string k = std::string("\"") + key + "\":";
  size_t at = s.find(k);
  return at == std::string::npos ? at : at + k.size();
}

bool string_field(const std::string& s, const char* key, std::string& out) {
  size_t at = value_at(s, key);
  return at != std::string::npos && read_string(s, at, out);
}

bool pairs_field(const std::string& s, const char* key,
                 std::vector<std::pair<std::string, std::string>>& out) {
  size_t at = value_at(s, key);
  if (at == std::string::npos || s[at] != '[') return false;
  ++at;
  while (at < s.size() && s[at] != ']') {
    if (s[at] == ',') ++at;
    if (s[at] != '[') return false;
    ++at;
    std::string name, value;
    if (!read_string(s, at, name) || s[at] != ',') return false;
    ++at;
    if (!read_string(s, at, value) || s[at] != ']') return false;
    ++at;
    out.emplace_back(std::move(name), std::move(value));
  }
  return at < s.size();
}

}  // namespace

bool ignored_in_comparison(const std::string& n) {
  static const char* kIgnored[] = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
      "te",         "trailer",    "http2-settings",   "content-length",    "host",
      "via",        "forwarded",  "x-real-ip",        "x-request-id"};
  for (const char* i : kIgnored) {
    if (n == i) return true;
  }
  return n.starts_with("x-forwarded-");
}

std::string RecordedRequest::normalised() const {
  std::string out = method + " " + path + " body=" + std::to_string(body_length);
  if (body_length > 0) out += ":" + body_sha256.substr(0, 12);
  for (const auto& [n, v] : headers) {
    std::string lower = n;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ignored_in_comparison(lower)) continue;
    out += " | " + lower + ": " + v;
  }
  for (const auto& [n, v] : trailers) out += " | trailer " + n + ": " + v;
  return out;
}

bool parse_record(const std::string& line, RecordedRequest& out) {
  out = RecordedRequest{};
  if (!string_field(line, "method", out.method) || !string_field(line, "path", out.path)) {
    return false;
  }
  string_field(line, "protocol", out.protocol);
  string_field(line, "authority", out.authority);
  string_field(line, "body_sha256", out.body_sha256);
  pairs_field(line, "headers", out.headers);
  pairs_field(line, "trailers", out.trailers);
  if (size_t at = value_at(line, "body_length"); at != std::string::npos) {
    out.body_length = std::strtoull(line.c_str() + at, nullptr, 10);
  }
  return true;
}

void RecordTail::mark() {
  std::ifstream f(path_, std::ios::binary | std::ios::ate);
  offset_ = f ? static_cast<uint64_t>(f.tellg()) : 0;
}

std::vector<RecordedRequest> RecordTail::read_new() {
  std::vector<RecordedRequest> out;
  std::ifstream f(path_, std::ios::binary);
  if (!f) return out;
  f.seekg(static_cast<std::streamoff>(offset_));
  std::string line;
  while (std::getline(f, line)) {
    if (f.eof()) break;  // a line still being written: read it next time
    offset_ += line.size() + 1;
    RecordedRequest r;
    if (parse_record(line, r) && r.path.find(kProbeMarker) == std::string::npos) {
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace crossmux::fuzz::net
