// Conform cases and translation scenarios written from findings.
#include "fuzz/net/export.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

#include "codecs/base/byte_buffer.h"
#include "codecs/h1/decoder.h"
#include "codecs/h2/frame.h"

namespace crossmux::fuzz::net {

namespace h2 = codecs::h2;

namespace {

// The RFC sentence a rule rests on, for the case's requirement text.
std::string requirement(const Finding& f, Proto p) {
  static const std::pair<const char*, const char*> kRules[] = {
      {"frame-on-idle-stream",
       "A server sends nothing but PRIORITY on a stream the client never "
       "opened (RFC 9113 §5.1)"},
      {"rst-on-idle-stream", "RST_STREAM is never sent for an idle stream (RFC 9113 §6.4)"},
      {"frame-after-stream-end",
       "Nothing but PRIORITY, RST_STREAM and WINDOW_UPDATE follows a stream's end (RFC 9113 §5.1)"},
      {"data-before-response", "DATA follows the response HEADERS (RFC 9113 §8.1)"},
      {"extra-response", "One response per request (RFC 9112 §9.3.2)"},
      {"response-unparseable", "Responses follow the HTTP/1.1 message grammar (RFC 9112)"},
  };
  for (const auto& [rule, text] : kRules) {
    if (f.rule == rule) return text;
  }
  return p == Proto::H2 ? "Every complete request is answered (a response, a reset, GOAWAY or a "
                          "close) and the server still serves a fresh connection (RFC 9113 §8.1)"
                        : "Every complete request is answered (a response or a close) and the "
                          "server still serves a fresh connection (RFC 9112 §9.3)";
}

std::string cpp_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

std::string comment_header(const std::string& id, const Finding& f, Proto p) {
  return "  // crossmux fuzz finding " + id + " (" + std::string(to_string(f.kind)) + ", " +
         f.target + "): " + f.summary.substr(0, 160) + "\n  // Replay: crossmux fuzz " +
         std::string(to_string(p)) + " --replay " + id + ".case -p PORT\n";
}

// The body of the first request in `wire` as our strict decoder reads it (de-chunked): what the
// translate runner compares with what reached the backend.
std::string first_request_body(const std::string& wire) {
  struct Sink : codecs::EventSink {
    std::string body;
    bool done = false;
    void on_head(codecs::StreamId, codecs::MessageHead&) override {}
    void on_data(codecs::StreamId, codecs::Bytes b) override {
      if (!done) body += codecs::as_chars(b);
    }
    void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
    void on_end_of_message(codecs::StreamId) override { done = true; }
    void on_reset(codecs::StreamId, uint32_t) override {}
    void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
    void on_connection_error(const codecs::Error&) override {}
  } sink;
  codecs::h1::Decoder decoder(codecs::MessageKind::Request);
  (void)decoder.feed(codecs::as_bytes(wire), sink);
  return sink.body;
}

std::string h2_case(const std::string& id, const Finding& f, const NetCase& c,
                    const Observation& o) {
  static constexpr std::array<uint8_t, 8> kMarker{'c', 'm', 'x', 'c', 'o', 'n', 'f', '!'};
  codecs::ByteBuffer ping;
  h2::write_ping(ping, false, kMarker);
  const std::string bytes = c.wire() + std::string(ping.view());
  std::string owed, named;
  for (const auto& s : o.x.streams) {
    if (s.owed) owed += (owed.empty() ? "" : ", ") + std::to_string(s.id);
  }
  std::set<uint32_t> ids;
  for (const auto& u : split_units(Proto::H2, c.wire())) {
    if (u.size() >= h2::kFrameHeaderSize && u != kH2ClientPreface) {
      ids.insert(h2::parse_frame_header(reinterpret_cast<const uint8_t*>(u.data())).stream_id);
    }
  }
  for (uint32_t id : ids) named += (named.empty() ? "" : ", ") + std::to_string(id);
  // The rule the case can state on its own, as the body of `breaks` (true: broken again).
  std::string check;
  if (f.rule == "frame-on-idle-stream") {
    check =
        "            return f.stream != 0 && !named.count(f.stream) &&\n"
        "                   (f.type == kHeaders || f.type == kData || f.type == kWindowUpdate);\n";
  } else if (f.rule == "rst-on-idle-stream") {
    check = "            return f.type == kRstStream && !named.count(f.stream);\n";
  } else if (f.rule == "frame-after-stream-end") {
    check =
        "            return (f.type == kHeaders || f.type == kData) && ended.count(f.stream);\n";
  } else if (f.rule == "data-before-response") {
    check =
        "            if (f.type == kHeaders) heads.insert(f.stream);\n"
        "            return f.type == kData && !heads.count(f.stream);\n";
  }
  std::string out = comment_header(id, f, Proto::H2);
  out += "  // Paste into a build_*() of conformance/h2/cases_*.cc (needs <set> and verdicts.h).\n";
  out += "  s.add(" + cpp_quoted("Fuzz finding " + id + ": " + f.rule) + ",\n        " +
         cpp_quoted(requirement(f, Proto::H2)) + ", [t] {\n";
  out += "          const std::string bytes = " + cpp_bytes(bytes) + ";\n";
  out += "          const std::set<uint32_t> named = {" + named + "};\n";
  out += "          std::set<uint32_t> owed = {" + owed + "}, ended, heads;\n";
  out += "          bool acked = false, barrier = false, goaway = false;\n";
  if (check.empty()) {
    out += "          auto breaks = [](const Frame&) { return false; };\n";
  } else {
    out += "          auto breaks = [&](const Frame& f) {\n" + check + "          };\n";
  }
  out += "          Outcome o = with_connection(\n";
  out += "              t,\n";
  out += "              [&](Probe& p) {\n";
  out += "                p.send_raw(bytes);\n";
  out += "                Outcome w = wait(\n";
  out +=
      "                    p, {\"an answer to every request, then the PING ACK\", "
      "\"GOAWAY or a close\"}, true,\n";
  out += "                    [&](const Frame& f) -> std::optional<bool> {\n";
  out += "                      if (breaks(f)) return false;\n";
  out += "                      if (f.type == kGoAway) return goaway = true;\n";
  out += "                      if (f.type == kRstStream ||\n";
  out +=
      "                          ((f.type == kHeaders || f.type == kData) && "
      "(f.flags & kEndStream))) {\n";
  out += "                        owed.erase(f.stream);\n";
  out += "                        ended.insert(f.stream);\n";
  out += "                      }\n";
  out +=
      "                      if (f.type == kPing && (f.flags & kAck) && f.payload == "
      "\"cmxconf!\") acked = true;\n";
  // Settled is not the end: frames the server wrote behind its last answer (a DATA frame after
  // END_STREAM) may still be in flight. A second PING is the barrier: whatever the server sent
  // before reading it is judged too.
  out +=
      "                      if (f.type == kPing && (f.flags & kAck) && f.payload == "
      "\"cmxdone!\") return true;\n";
  out += "                      if (acked && owed.empty() && !barrier) {\n";
  out += "                        barrier = true;\n";
  out += "                        p.send_ping(\"cmxdone!\");\n";
  out += "                      }\n";
  out += "                      return std::nullopt;\n";
  out += "                    });\n";
  if (!check.empty()) {
    // A GOAWAY ends the wait, not what the server writes behind it before it closes.
    out += "                if (w.verdict != Verdict::Pass || !goaway) return w;\n";
    out += "                for (Event e = p.next_event(); e.kind == Event::Kind::Frame;\n";
    out += "                     e = p.next_event()) {\n";
    out += "                  if (breaks(e.frame))\n";
    out +=
        "                    return Outcome::fail({\"nothing that breaks the rule after "
        "GOAWAY\"}, e.describe());\n";
    out += "                }\n";
  }
  out += "                return w;\n";
  out += "              },\n";
  out += "              false);\n";
  out += "          if (o.verdict != Verdict::Pass) return o;\n";
  out += "          return with_connection(t, [](Probe& p) {\n";
  out += "            p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);\n";
  out += "            return expect_response(p, 1);\n";
  out += "          });\n";
  out += "        });\n";
  return out;
}

std::string h1_case(const std::string& id, const Finding& f, const NetCase& c, const Observation& o,
                    const std::string& authority) {
  std::string bytes = c.wire();
  // The Host the fuzzer used becomes {host}, so the case runs against any target.
  if (!authority.empty()) replace_all(bytes, authority, "{host}");
  std::string methods;
  for (const auto& m : o.x.methods) methods += (methods.empty() ? "" : ", ") + cpp_quoted(m);
  // Where our strict decoder read every byte as requests, a response more (or one that does not
  // parse) is the target's; past bytes it rejected a lenient target may have read a request we
  // did not, as the fuzzer's own oracles allow.
  const bool strict = !o.x.request_error && !o.x.request_tail;
  const std::string n = std::to_string(o.x.requests);
  std::string out = comment_header(id, f, Proto::H1);
  out += "  // Paste into build_suite() of conformance/h1/cases.cc (s9 and t in scope).\n";
  out += "  s9.add(" + cpp_quoted("Fuzz finding " + id + ": " + f.rule) + ",\n         " +
         cpp_quoted(requirement(f, Proto::H1)) + ", [t] {\n";
  out += "           std::string bytes = " + cpp_bytes(bytes) + ";\n";
  out += "           for (size_t at; (at = bytes.find(\"{host}\")) != std::string::npos;)\n";
  out += "             bytes.replace(at, 6, t.authority());\n";
  out += "           const Observed o = exchange(t, bytes, {" + methods + "});\n";
  out += "           if (!o.error.empty()) return Outcome::error_out(o.error, true);\n";
  // Any status is an answer (targets serve different content); fewer answers pass only with a
  // close (a rejection).
  out += "           if ((o.statuses.size() < " + n + " && !o.closed)" +
         (strict ? " || o.statuses.size() > " + n + " || o.garbage" : std::string()) + ")\n";
  out += "             return Outcome::fail({\"" + n + " response(s) with any status" +
         (strict ? ", no more," : "") + " or fewer and the connection closed\"},\n";
  out += "                                  o.describe());\n";
  out += "           const Observed fresh = exchange(\n";
  out +=
      "               t, \"GET \" + t.path + \" HTTP/1.1\\r\\nHost: \" + t.authority() + "
      "\"\\r\\n\\r\\n\", {\"GET\"});\n";
  out += "           if (fresh.statuses.empty() || fresh.statuses[0] >= 500)\n";
  out +=
      "             return Outcome::fail({\"a fresh connection is still served\"}, "
      "fresh.describe());\n";
  out += "           return Outcome::pass();\n";
  out += "         });\n";
  return out;
}

}  // namespace

std::string cpp_bytes(std::string_view bytes) {
  std::string out = "std::string(\"";
  for (unsigned char ch : bytes) {
    if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '?') {
      out += static_cast<char>(ch);
    } else {
      char oct[8];
      std::snprintf(oct, sizeof oct, "\\%03o", ch);
      out += oct;
    }
  }
  return out + "\", " + std::to_string(bytes.size()) + ")";
}

std::string conform_case(const std::string& id, const Finding& f, const NetCase& c,
                         const Observation& o, const std::string& authority) {
  return c.proto == Proto::H2 ? h2_case(id, f, c, o) : h1_case(id, f, c, o, authority);
}

std::string translate_scenario(const std::string& id, const Finding& f, const NetCase& c,
                               const Observation& o, const std::string& authority,
                               int origin_status) {
  std::string out = "# Written by crossmux fuzz from finding " + id + " (" + f.target + ").\n";
  out += "title: fuzz finding " + id + ": " + escape(f.summary.substr(0, 120)) + "\n";
  out += "class: fuzz\n";
  if (c.proto == Proto::H1) {
    std::string bytes = c.wire();
    // The first request-target becomes {target} (the runner tags it), the Host {host}. Empty
    // lines before the request-line (RFC 9112 §2.2) stay.
    const size_t start = bytes.find_first_not_of("\r\n");
    const size_t sp = start == std::string::npos ? start : bytes.find(' ', start);
    const size_t sp2 = sp == std::string::npos ? sp : bytes.find(' ', sp + 1);
    const size_t eol = start == std::string::npos ? start : bytes.find('\n', start);
    if (sp2 == std::string::npos || (eol != std::string::npos && sp2 > eol)) return "";
    // The runner expects one request at the backend: a case our strict decoder reads as more
    // is no scenario.
    if (o.x.requests > 1) return "";
    // The runner frames the response by the scenario's method (HEAD has no body) and compares
    // the method and path that reach the backend: both are the first request-line's. The target
    // keeps its own path and query; the runner appends its tag.
    const std::string method = bytes.substr(start, sp - start);
    const std::string path = bytes.substr(sp + 1, sp2 - sp - 1);
    bytes.replace(sp + 1, sp2 - sp - 1, "{target}");
    if (!authority.empty()) replace_all(bytes, authority, "{host}");
    out += "clients: h1\n";
    if (!method.empty()) out += "method: " + escape(method) + "\n";
    if (path.starts_with("/")) out += "path: " + escape(path) + "\n";
    out += "raw-h1: " + escape(bytes) + "\n";
    const std::string body = first_request_body(c.wire());
    if (!body.empty()) out += "body: " + escape(body) + "\n";
  } else {
    if (o.x.streams.size() != 1 || !o.x.streams[0].request_decoded) return "";
    const StreamOutcome& s = o.x.streams[0];
    out += "clients: h2\n";
    std::string body;
    for (const auto& u : split_units(Proto::H2, c.wire())) {
      if (u.size() < h2::kFrameHeaderSize || u == kH2ClientPreface) continue;
      auto h = h2::parse_frame_header(reinterpret_cast<const uint8_t*>(u.data()));
      if (h.type != 0 || h.stream_id != s.id) continue;
      auto fr =
          h2::parse_frame(h, codecs::as_bytes(std::string_view(u).substr(9)), h2::kMaxMaxFrameSize);
      if (fr) body += codecs::as_chars(std::get<h2::DataFrame>(fr->payload).data);
    }
    for (const auto& [n, v] : s.request) {
      if (n == ":method") {
        out += "method: " + escape(v) + "\n";
      } else if (n == ":path" && v.starts_with("/")) {  // the runner tags it after '?' or '&'
        out += "path: " + escape(v) + "\n";
      } else if (n == ":path" ||
                 (!n.empty() && n[0] == ':' && n != ":authority" && n != ":scheme")) {
        out += "pseudo: " + escape(n) + ": " + escape(v) + "\n";
      } else if (n.empty() || n[0] != ':') {
        out += "header: " + escape(n) + ": " + escape(v) + "\n";
      }
    }
    if (!body.empty()) out += "body: " + escape(body) + "\n";
  }
  if (origin_status > 0 && origin_status != 200) {
    out += "status: " + std::to_string(origin_status) + "\n";
  }
  out += std::string("expect: ") +
         (f.kind == Kind::Origin ? "not-smuggled" : "rejected-or-forwarded") + "\n";
  return out;
}

}  // namespace crossmux::fuzz::net
