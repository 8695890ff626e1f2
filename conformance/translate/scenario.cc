// Scenario file parsing.
#include "conformance/translate/scenario.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

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
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case '\\': out += '\\'; break;
      case 'x':
        if (i + 2 < s.size()) {
          out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
          i += 2;
        }
        break;
      default: out += '\\'; out += c;
    }
  }
  return out;
}

static bool split_field(const std::string& v, Field& f) {
  auto colon = v.find(':', v.empty() || v[0] != ':' ? 0 : 1);  // ":authority: x" keeps its colon
  if (colon == std::string::npos) return false;
  f.first = unescape(v.substr(0, colon));
  std::string value = v.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  f.second = unescape(value);
  return true;
}

bool parse_scenario(const std::string& id, const std::string& text, Scenario& s, std::string& error) {
  s = Scenario{};
  s.id = id;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      error = "line " + std::to_string(n) + ": expected \"directive: value\"";
      return false;
    }
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    Field f;
    if (key == "title") s.title = value;
    else if (key == "class") s.klass = value;
    else if (key == "clients") {
      s.h1_client = value == "h1" || value == "both";
      s.h2_client = value == "h2" || value == "both";
      if (!s.h1_client && !s.h2_client) { error = "line " + std::to_string(n) + ": clients is h1, h2 or both"; return false; }
    } else if (key == "method") s.method = unescape(value);
    else if (key == "path") s.path = unescape(value);
    else if (key == "body") s.body += unescape(value);
    else if (key == "body-size") {
      const long n = std::atol(value.c_str());
      if (n <= 0 || n > (64 << 20)) { error = "line " + std::to_string(n) + ": body-size is 1..64 MiB"; return false; }
      for (long i = 0; i < n; ++i) s.body += static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    else if (key == "raw-h1") s.raw_h1 += unescape(value);
    else if (key == "status") s.status = std::atoi(value.c_str());
    else if (key == "backend-no-header") s.backend_absent.push_back(value);
    else if (key == "expect") {
      if (value == "rejected") s.expect = Expect::Rejected;
      else if (value == "forwarded") s.expect = Expect::Forwarded;
      else if (value == "rejected-or-forwarded") s.expect = Expect::RejectedOrForwarded;
      else if (value == "not-smuggled") s.expect = Expect::NotSmuggled;
      else { error = "line " + std::to_string(n) + ": unknown expect \"" + value + "\""; return false; }
    } else if (key == "header" || key == "trailer" || key == "backend-header") {
      if (!split_field(value, f)) { error = "line " + std::to_string(n) + ": expected \"name: value\""; return false; }
      (key == "header" ? s.headers : key == "trailer" ? s.trailers : s.backend_headers).push_back(f);
    } else {
      error = "line " + std::to_string(n) + ": unknown directive \"" + key + "\"";
      return false;
    }
  }
  if (s.title.empty()) { error = "missing title"; return false; }
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
