// Scenario replay: send as an H1 or H2 client, read the origin's record, judge.
#include "conformance/translate/replay.h"

#include <openssl/evp.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "conformance/h1/suite.h"
#include "conformance/h2/probe.h"
#include "conformance/origin/origin_app.h"

namespace crossmux::conformance::translate {

namespace {

struct ClientSaw {
  bool rejected = false;  // an error status, a reset or a close
  int status = -1;
  std::string text;
};

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_framing(const Scenario& s) {
  for (const auto& [n, v] : s.headers) {
    if (lower(n) == "content-length" || lower(n) == "transfer-encoding") return true;
  }
  return false;
}

ClientSaw send_h1(const ProxyTarget& t, const Scenario& s, const std::string& authority, const std::string& target) {
  std::string bytes;
  if (!s.raw_h1.empty()) {
    bytes = s.raw_h1;
    for (auto [k, v] : {std::pair<std::string, std::string>{"{target}", target}, {"{host}", authority}}) {
      for (size_t at; (at = bytes.find(k)) != std::string::npos;) bytes.replace(at, k.size(), v);
    }
  } else {
    bytes = s.method + " " + target + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    for (const auto& [n, v] : s.headers) bytes += n + ": " + v + "\r\n";
    const bool chunked = !s.trailers.empty();
    if (chunked) bytes += "Transfer-Encoding: chunked\r\n";
    else if (!has_framing(s) && !s.body.empty()) bytes += "Content-Length: " + std::to_string(s.body.size()) + "\r\n";
    bytes += "\r\n";
    if (chunked) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", s.body.size());
      if (!s.body.empty()) bytes += size + s.body + "\r\n";
      bytes += "0\r\n";
      for (const auto& [n, v] : s.trailers) bytes += n + ": " + v + "\r\n";
      bytes += "\r\n";
    } else {
      bytes += s.body;
    }
  }
  h1::Target ht;
  ht.host = t.host;
  ht.port = t.port;
  ht.tls = t.tls;
  ht.insecure = t.insecure;
  ht.timeout_ms = t.timeout_ms;
  auto o = h1::exchange(ht, bytes, {s.method});
  ClientSaw saw;
  saw.text = "HTTP/1.1 client saw " + o.describe();
  if (!o.statuses.empty()) saw.status = o.statuses[0];
  saw.rejected = o.statuses.empty() || o.statuses[0] >= 400;
  return saw;
}

ClientSaw send_h2(const ProxyTarget& t, const Scenario& s, const std::string& authority, const std::string& target) {
  h2::Target pt;
  pt.host = t.host;
  pt.port = t.port;
  pt.tls = t.tls;
  pt.insecure = t.insecure;
  pt.timeout_ms = t.timeout_ms;
  ClientSaw saw;
  std::string error;
  auto p = h2::Probe::connect(pt, &error);
  if (!p || !p->handshake(&error)) {
    saw.rejected = true;
    saw.text = "HTTP/2 client could not connect: " + error;
    return saw;
  }
  std::vector<h2::Field> fields{{":method", s.method}, {":scheme", t.tls ? "https" : "http"},
                                {":authority", authority}, {":path", target}};
  fields.insert(fields.end(), s.headers.begin(), s.headers.end());
  const bool end_on_headers = s.body.empty() && s.trailers.empty();
  p->send_headers(1, p->fields_block(fields), h2::kEndHeaders | (end_on_headers ? h2::kEndStream : 0));
  if (!s.body.empty()) {
    h2::Event ended;
    if (!p->send_body(1, s.body, s.trailers.empty(), &ended)) {
      saw.text = "HTTP/2 client saw " + ended.describe() + " while sending the body";
      saw.rejected = ended.kind != h2::Event::Kind::Timeout;
      return saw;
    }
  }
  if (!s.trailers.empty()) p->send_headers(1, p->fields_block(s.trailers), h2::kEndHeaders | h2::kEndStream);
  h2::Event e = p->wait_for([](const h2::Frame& f) {
    return (f.type == h2::kHeaders && f.stream == 1 && (f.flags & h2::kEndHeaders)) ||
           (f.type == h2::kRstStream && f.stream == 1) || f.type == h2::kGoAway;
  });
  saw.text = "HTTP/2 client saw " + e.describe();
  if (e.kind != h2::Event::Kind::Frame || e.frame.type != h2::kHeaders) {
    saw.rejected = e.kind != h2::Event::Kind::Timeout;
    return saw;
  }
  saw.status = e.status();
  saw.text += " :status " + std::to_string(saw.status);
  saw.rejected = saw.status >= 400;
  return saw;
}

std::vector<std::string> record_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Does one record say the backend got exactly the request the scenario sent?
std::string mismatch(const Scenario& s, const std::string& target, const std::string& record) {
  if (record.find("\"method\":\"" + json_escape(s.method) + "\"") == std::string::npos) return "method differs";
  if (record.find("\"path\":\"" + json_escape(target) + "\"") == std::string::npos) return "path differs";
  if (record.find("\"body_sha256\":\"" + sha256_hex(s.body) + "\"") == std::string::npos) return "body differs";
  const std::string lowered = lower(record);
  for (const auto& [n, v] : s.backend_headers) {
    if (lowered.find("[\"" + lower(json_escape(n)) + "\",\"" + lower(json_escape(v)) + "\"]") == std::string::npos) {
      return "header \"" + n + ": " + v + "\" missing";
    }
  }
  for (const auto& n : s.backend_absent) {
    if (lowered.find("[\"" + lower(json_escape(n)) + "\",") != std::string::npos) return "header \"" + n + "\" present";
  }
  for (const auto& [n, v] : s.trailers) {
    if (lowered.find("\"trailers\":[") == std::string::npos ||
        lowered.find("[\"" + lower(json_escape(n)) + "\",\"" + lower(json_escape(v)) + "\"]", lowered.find("\"trailers\":[")) == std::string::npos) {
      return "trailer \"" + n + "\" missing";
    }
  }
  return "";
}

Outcome judge(const Scenario& s, const ClientSaw& saw, const std::vector<std::string>& fresh,
              const std::string& target) {
  const bool nothing = fresh.empty();
  std::string why = fresh.size() == 1 ? mismatch(s, target, fresh[0]) : "";
  const bool exact = fresh.size() == 1 && why.empty();
  const std::string backend = nothing ? "the backend received nothing"
                              : fresh.size() > 1 ? "the backend received " + std::to_string(fresh.size()) + " requests"
                              : exact ? "the backend received the request" : "the backend received a different request (" + why + ")";
  const std::string actual = saw.text + "; " + backend;
  const bool rejected_ok = saw.rejected && nothing;
  const bool forwarded_ok = exact && saw.status == s.status;
  switch (s.expect) {
    case Expect::Rejected:
      return rejected_ok ? Outcome::pass() : Outcome::fail({"a rejection (4xx, RST_STREAM or close) and nothing at the backend"}, actual);
    case Expect::Forwarded:
      return forwarded_ok ? Outcome::pass() : Outcome::fail({"status " + std::to_string(s.status) + " and exactly the sent request at the backend"}, actual);
    case Expect::NotSmuggled: {
      // The client may even see the backend's answer to the truncated request: what matters is
      // that no second (smuggled) request reached the backend.
      const bool same_request = fresh.size() == 1 && (why.empty() || why == "body differs");
      return nothing || same_request
                 ? Outcome::pass()
                 : Outcome::fail({"at the backend nothing, or the one request cut at its declared length"}, actual);
    }
    case Expect::RejectedOrForwarded:
      return rejected_ok || forwarded_ok ? Outcome::pass()
                                         : Outcome::fail({"a rejection and nothing at the backend", "or exactly the sent request at the backend"}, actual);
  }
  return Outcome::pass();
}

}  // namespace

std::vector<Section> build_suite(const ProxyTarget& t, const std::vector<Scenario>& scenarios) {
  Section root{"translate", "", "Translation through the proxy (client protocol - backend protocol)", {}, {}};
  for (bool h2_client : {false, true}) {
    for (bool h2_backend : {false, true}) {
      std::string pairing = std::string(h2_client ? "h2" : "h1") + "-" + (h2_backend ? "h2" : "h1");
      auto& sec = root.child(pairing, std::string(h2_client ? "HTTP/2" : "HTTP/1.1") + " client, " +
                                          (h2_backend ? "h2c" : "HTTP/1.1") + " backend");
      for (const auto& s : scenarios) {
        if ((h2_client && !s.h2_client) || (!h2_client && !s.h1_client)) continue;
        sec.add(s.title + " [" + s.id + "]", "class " + s.klass, [t, s, h2_client, h2_backend, pairing] {
          const std::string authority = h2_backend ? t.h2_authority : t.h1_authority;
          const std::string target = s.path + (s.path.find('?') == std::string::npos ? "?" : "&") +
                                     "scenario=" + s.id + "-" + pairing;
          const size_t before = record_lines(t.record_path).size();
          ClientSaw saw = h2_client ? send_h2(t, s, authority, target) : send_h1(t, s, authority, target);
          if (saw.rejected) std::this_thread::sleep_for(std::chrono::milliseconds(150));
          auto lines = record_lines(t.record_path);
          std::vector<std::string> fresh(lines.begin() + static_cast<long>(std::min(before, lines.size())), lines.end());
          return judge(s, saw, fresh, target);
        });
      }
    }
  }
  return {root};
}

}  // namespace crossmux::conformance::translate
