// Scenario file parsing.
#include "conformance/translate/scenario.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/origin/origin_app.h"

namespace crossmux::conformance::translate {

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x':
        if (i + 2 < s.size()) {
          out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        }
        break;
      default:
        out += '\\';
        out += c;
    }
  }
  return out;
}

static bool split_field(const std::string& v, Field& f) {
  // ":authority: x" keeps its colon; ": x" (colon, space) is an empty name.
  const bool pseudo = v.size() > 1 && v[0] == ':' && v[1] != ' ';
  auto colon = v.find(':', pseudo ? 1 : 0);
  if (colon == std::string::npos) return false;
  f.first = unescape(v.substr(0, colon));
  std::string value = v.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  f.second = unescape(value);
  return true;
}

std::string generated_body(uint64_t n) {
  std::string out(n, '\0');
  for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<char>(generated_byte(i));
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

namespace {

constexpr long kMaxGenerated = 64L << 20;

bool parse_size(const std::string& value, long& n) {
  char* end = nullptr;
  n = std::strtol(value.c_str(), &end, 10);
  return !value.empty() && end && *end == '\0' && n >= 0 && n <= kMaxGenerated;
}

bool lower_hex64(const std::string& v) {
  return v.size() == 64 && v.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// One directive of the `expect response:` section; false with `error` set.
bool response_directive(const std::string& key, const std::string& value, Scenario& s,
                        std::string& error) {
  ResponseExpectation& r = s.response;
  Field f;
  long n = 0;
  if (key == "status") {
    s.status = std::atoi(value.c_str());
  } else if (key == "interim") {
    const int code = std::atoi(value.c_str());
    if (code < 100 || code > 199) {
      error = "interim is a 1xx status";
      return false;
    }
    r.interim.push_back({code, {}});
  } else if (key == "interim-header") {
    if (r.interim.empty()) {
      error = "interim-header before any interim";
      return false;
    }
    if (!split_field(value, f)) {
      error = "expected \"name: value\"";
      return false;
    }
    r.interim.back().headers.push_back(f);
  } else if (key == "header" || key == "trailer") {
    if (!split_field(value, f)) {
      error = "expected \"name: value\"";
      return false;
    }
    (key == "header" ? r.headers : r.trailers).push_back(f);
  } else if (key == "no-header") {
    r.absent.push_back(value);
  } else if (key == "no-trailer") {
    r.absent_trailers.push_back(value);
  } else if (key == "headers") {
    if (value != "only-listed") {
      error = "headers takes only-listed";
      return false;
    }
    r.only_listed = true;
  } else if (key == "body") {
    if (r.body_by_digest) {
      error = "body after body-size or body-sha256";
      return false;
    }
    r.check_body = true;
    r.body += unescape(value);
  } else if (key == "body-size") {
    if (!parse_size(value, n)) {
      error = "body-size is 0..64 MiB";
      return false;
    }
    const std::string b = generated_body(static_cast<uint64_t>(n));
    r.check_body = r.body_by_digest = true;
    r.body_length = static_cast<uint64_t>(n);
    r.body_sha256 = sha256_hex(b);
  } else if (key == "body-sha256") {
    if (!lower_hex64(value)) {
      error = "body-sha256 is 64 lowercase hex digits";
      return false;
    }
    r.check_body = r.body_by_digest = true;
    r.body_sha256 = value;
  } else if (key == "body-length") {
    if (!parse_size(value, n)) {
      error = "body-length is 0..64 MiB";
      return false;
    }
    r.check_body = true;
    r.body_length = static_cast<uint64_t>(n);
    if (n == 0)
      r.body.clear();
    else
      r.body_by_digest = true;
  } else {
    error = "unknown directive \"" + key + "\" in the response section";
    return false;
  }
  return true;
}

}  // namespace

bool parse_scenario(const std::string& id, const std::string& text, Scenario& s,
                    std::string& error) {
  s = Scenario{};
  s.id = id;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  bool in_response = false;
  auto fail = [&](const std::string& why) {
    error = "line " + std::to_string(n) + ": " + why;
    return false;
  };
  while (std::getline(in, line)) {
    ++n;
    const size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line.erase(0, start);
    auto colon = line.find(':');
    if (colon == std::string::npos) return fail("expected \"directive: value\"");
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (key == "expect response") {
      if (in_response) return fail("a second expect response section");
      in_response = s.response.present = true;
      continue;
    }
    if (in_response) {
      std::string why;
      if (!response_directive(key, value, s, why)) return fail(why);
      continue;
    }
    Field f;
    if (key == "title")
      s.title = value;
    else if (key == "class")
      s.klass = value;
    else if (key == "rfc")
      s.rfc += (s.rfc.empty() ? "" : " ") + value;
    else if (key == "clients" || key == "backends") {
      const bool h1 = value == "h1" || value == "both";
      const bool h2 = value == "h2" || value == "both";
      if (!h1 && !h2) return fail(key + " is h1, h2 or both");
      (key == "clients" ? s.h1_client : s.h1_backend) = h1;
      (key == "clients" ? s.h2_client : s.h2_backend) = h2;
    } else if (key == "method")
      s.method = unescape(value);
    else if (key == "path")
      s.path = unescape(value);
    else if (key == "body")
      s.body += unescape(value);
    else if (key == "body-size") {
      long size = 0;
      if (!parse_size(value, size) || size == 0) return fail("body-size is 1..64 MiB");
      s.body += generated_body(static_cast<uint64_t>(size));
    } else if (key == "raw-h1")
      s.raw_h1 += unescape(value);
    else if (key == "status")
      s.status = std::atoi(value.c_str());
    else if (key == "or-status")
      s.or_statuses.push_back(std::atoi(value.c_str()));
    else if (key == "backend-no-header")
      s.backend_absent.push_back(value);
    else if (key == "no-pseudo")
      s.no_pseudo.push_back(value);
    else if (key == "pseudo") {
      if (value.empty() || value[0] != ':' || !split_field(value, f))
        return fail("expected \":name: value\"");
      s.pseudo.push_back(f);
    } else if (key == "expect") {
      if (value == "rejected")
        s.expect = Expect::Rejected;
      else if (value == "forwarded")
        s.expect = Expect::Forwarded;
      else if (value == "rejected-or-forwarded")
        s.expect = Expect::RejectedOrForwarded;
      else if (value == "not-smuggled")
        s.expect = Expect::NotSmuggled;
      else if (value == "rejected-or-cut")
        s.expect = Expect::RejectedOrCut;
      else
        return fail("unknown expect \"" + value + "\"");
    } else if (key == "header" || key == "trailer" || key == "backend-header") {
      if (!split_field(value, f)) return fail("expected \"name: value\"");
      (key == "header"    ? s.headers
       : key == "trailer" ? s.trailers
                          : s.backend_headers)
          .push_back(f);
    } else {
      return fail("unknown directive \"" + key + "\"");
    }
  }
  if (s.title.empty()) {
    error = "missing title";
    return false;
  }
  if (s.response.present && s.expect == Expect::Rejected) {
    error = "an expect response section needs a verdict that forwards";
    return false;
  }
  return true;
}

std::vector<Scenario> load_scenarios(const std::string& dir, std::vector<std::string>& errors) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".scenario") files.push_back(e.path());
  }
  if (ec) errors.push_back(dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<Scenario> out;
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    Scenario s;
    std::string error;
    if (parse_scenario(f.stem().string(), ss.str(), s, error)) {
      out.push_back(std::move(s));
    } else {
      errors.push_back(f.filename().string() + ": " + error);
    }
  }
  return out;
}

}  // namespace crossmux::conformance::translate
