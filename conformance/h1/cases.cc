// The HTTP/1.1 catalogue: each case is bytes to send and the verdicts that pass.
#include <algorithm>
#include <functional>

#include "conformance/h1/suite.h"

namespace crossmux::conformance::h1 {

namespace {

enum class Expect : uint8_t {
  Ok,            // exactly `requests` responses, none an error (status < 400)
  OkClose,       // as Ok, then the connection closed
  RejectClose,   // an error status from `statuses` (or no response) and the connection closed
  RejectOrOk,    // either of the above: the RFC allows both (a documented safe normalisation)
  OkThenReject,  // the first request answered normally, the second rejected, then closed
  NoDesync,      // rejected and closed, or exactly `requests` normal responses: never an extra one
};

struct Spec {
  std::string title;
  std::string requirement;
  std::function<std::string(const Target&)> bytes;
  Expect expect;
  std::vector<uint16_t> statuses = {400};
  int requests = 1;
  std::vector<std::string> methods = {"GET"};
};

bool all_ok(const Observed& o) {
  return std::all_of(o.statuses.begin(), o.statuses.end(), [](uint16_t s) { return s < 400; });
}

bool rejected(const Observed& o, const Spec& s) {
  if (!o.closed || o.garbage || o.statuses.size() > 1) return false;
  return o.statuses.empty() ||
         std::find(s.statuses.begin(), s.statuses.end(), o.statuses[0]) != s.statuses.end();
}

bool ok(const Observed& o, const Spec& s) {
  return !o.garbage && o.statuses.size() == static_cast<size_t>(s.requests) && all_ok(o);
}

std::vector<std::string> expected_text(const Spec& s) {
  std::string codes;
  for (auto c : s.statuses) codes += (codes.empty() ? "" : " or ") + std::to_string(c);
  const std::string reject = codes + " (or no response), then the connection closed";
  const std::string normal = std::to_string(s.requests) + " normal response(s), no more";
  switch (s.expect) {
    case Expect::Ok:
      return {normal};
    case Expect::OkClose:
      return {normal + ", then the connection closed"};
    case Expect::RejectClose:
      return {reject};
    case Expect::RejectOrOk:
      return {reject, normal};
    case Expect::OkThenReject:
      return {"a normal response, then " + reject};
    case Expect::NoDesync:
      return {reject, normal + " (a second response means a smuggled request)"};
  }
  return {};
}

Outcome judge(const Spec& s, const Observed& o) {
  if (!o.error.empty()) return Outcome::error_out(o.error, true);
  bool pass = false;
  switch (s.expect) {
    case Expect::Ok:
      pass = ok(o, s);
      break;
    case Expect::OkClose:
      pass = ok(o, s) && o.closed;
      break;
    case Expect::RejectClose:
      pass = rejected(o, s);
      break;
    case Expect::RejectOrOk:
    case Expect::NoDesync:
      pass = rejected(o, s) || ok(o, s);
      break;
    case Expect::OkThenReject:
      pass = o.closed && !o.garbage && !o.statuses.empty() && o.statuses[0] < 400 &&
             (o.statuses.size() == 1 ||
              (o.statuses.size() == 2 &&
               std::find(s.statuses.begin(), s.statuses.end(), o.statuses[1]) != s.statuses.end()));
      break;
  }
  return pass ? Outcome::pass() : Outcome::fail(expected_text(s), o.describe());
}

void add(Section& sec, const Target& t, Spec s) {
  sec.add(s.title, s.requirement, [t, s] {
    std::vector<std::string> methods = s.methods;
    while (methods.size() < static_cast<size_t>(s.requests)) methods.push_back("GET");
    return judge(s, exchange(t, s.bytes(t), methods));
  });
}

// A request with the target's path and Host, plus `fields` (each ending in CRLF) and `body`.
std::function<std::string(const Target&)> req(std::string method, std::string fields,
                                              std::string body = "",
                                              std::string version = "HTTP/1.1") {
  return [=](const Target& t) {
    return method + " " + t.path + " " + version + "\r\nHost: " + t.authority() + "\r\n" + fields +
           "\r\n" + body;
  };
}
std::function<std::string(const Target&)> raw(std::string bytes) {
  return [=](const Target& t) {
    std::string out = bytes;
    for (auto [key, value] :
         {std::pair<std::string, std::string>{"{path}", t.path}, {"{host}", t.authority()}}) {
      for (size_t at; (at = out.find(key)) != std::string::npos;)
        out.replace(at, key.size(), value);
    }
    return out;
  };
}
const std::string kNext = "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n";

// "X-Test: a<CR>Content-Length: N" is one field to a server that treats the bare CR as invalid or
// as SP, and two to one that ends a line there: that server reads the next request as this one's
// body and answers once, so the verdict sees what the server did with the value without an echo.
std::function<std::string(const Target&)> bare_cr_hides_length() {
  return [](const Target& t) {
    const std::string next = raw(kNext)(t);
    return req("GET", "X-Test: a\rContent-Length: " + std::to_string(next.size()) + "\r\n")(t) +
           next;
  };
}

}  // namespace

std::vector<Section> build_suite(const Target& t) {
  Section root{
      "http1", "", "HTTP/1.1 message syntax, framing and smuggling (RFC 9112, RFC 9110)", {}, {}};
  auto& s2 = root.child("2.2", "Message Parsing");
  add(s2, t, {"Sends a request", "A valid request MUST be answered", req("GET", ""), Expect::Ok});
  add(s2, t,
      {"Sends a request with bare LF line endings",
       "A recipient MAY accept LF; it MUST NOT forward it",
       raw("GET {path} HTTP/1.1\nHost: {host}\n\n"), Expect::RejectOrOk});
  add(s2, t,
      {"Sends a header line whose bare CR hides a Content-Length",
       "A bare CR MUST be treated as invalid or replaced by SP, never as a line end (RFC 9112 "
       "§2.2)",
       bare_cr_hides_length(),
       Expect::NoDesync,
       {400},
       2});
  add(s2, t,
      {"Sends a whitespace-prefixed line after the request line",
       "MUST reject or ignore such lines",
       raw("GET {path} HTTP/1.1\r\n X-Test: y\r\nHost: {host}\r\n\r\n"), Expect::RejectOrOk});

  auto& s3 = root.child("3", "Request Line");
  add(s3, t,
      {"Sends two spaces after the method", "The request line uses single SP separators",
       raw("GET  {path} HTTP/1.1\r\nHost: {host}\r\n\r\n"), Expect::RejectClose});
  add(s3, t,
      {"Sends a tab as the separator", "The request line uses single SP separators",
       raw("GET\t{path} HTTP/1.1\r\nHost: {host}\r\n\r\n"), Expect::RejectClose});
  add(s3, t,
      {"Sends HTTP/1.1x",
       "HTTP-version is exact",
       raw("GET {path} HTTP/1.1x\r\nHost: {host}\r\n\r\n"),
       Expect::RejectClose,
       {400, 505}});
  add(s3, t,
      {"Sends HTTP/1.10",
       "HTTP-version is one digit . one digit",
       raw("GET {path} HTTP/1.10\r\nHost: {host}\r\n\r\n"),
       Expect::RejectClose,
       {400, 505}});
  add(s3, t,
      {"Sends a lowercase http/1.1",
       "HTTP-name is case-sensitive",
       raw("GET {path} http/1.1\r\nHost: {host}\r\n\r\n"),
       Expect::RejectClose,
       {400, 505}});
  add(s3, t,
      {"Sends an HTTP/0.9 request",
       "HTTP/0.9 is not supported",
       raw("GET {path}\r\n\r\n"),
       Expect::RejectClose,
       {400, 505}});
  add(s3, t,
      {"Sends HTTP/3.0",
       "An unsupported major version gets 505",
       raw("GET {path} HTTP/3.0\r\nHost: {host}\r\n\r\n"),
       Expect::RejectClose,
       {505, 400}});
  add(s3, t,
      {"Sends a target containing a space", "The request target has no whitespace",
       raw("GET /a b HTTP/1.1\r\nHost: {host}\r\n\r\n"), Expect::RejectClose});
  add(s3, t,
      {"Sends OPTIONS *",
       "The asterisk form MUST be accepted for OPTIONS",
       raw("OPTIONS * HTTP/1.1\r\nHost: {host}\r\n\r\n"),
       Expect::Ok,
       {},
       1,
       {"OPTIONS"}});
  add(s3, t,
      {"Sends HTTP/1.2",
       "A higher minor version SHOULD be processed as the highest one implemented (RFC 9110 "
       "§2.5)",
       raw("GET {path} HTTP/1.2\r\nHost: {host}\r\n\r\n"), Expect::Ok});
  auto& s32 = s3.child("3.2", "Request Target and Host");
  add(s32, t,
      {"Sends an HTTP/1.1 request without Host", "MUST respond 400 to a request lacking Host",
       raw("GET {path} HTTP/1.1\r\n\r\n"), Expect::RejectClose});
  add(s32, t,
      {"Sends two Host fields", "MUST respond 400 to more than one Host",
       req("GET", "Host: other.example\r\n"), Expect::RejectClose});
  add(s32, t,
      {"Sends a Host list", "MUST respond 400 to an invalid Host",
       raw("GET {path} HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n"), Expect::RejectClose});
  add(s32, t,
      {"Sends a Host with a space", "MUST respond 400 to an invalid Host",
       raw("GET {path} HTTP/1.1\r\nHost: a b\r\n\r\n"), Expect::RejectClose});
  add(s32, t,
      {"Sends an HTTP/1.0 request without Host", "Host is optional in HTTP/1.0",
       raw("GET {path} HTTP/1.0\r\n\r\n"), Expect::Ok});
  add(s32, t,
      {"Sends an absolute-form target whose authority differs from Host",
       "The target's authority wins and Host is ignored (RFC 9112 §3.2.2): not a 400",
       raw("GET http://{host}{path} HTTP/1.1\r\nHost: other.example\r\n\r\n"), Expect::Ok});

  auto& s5 = root.child("5", "Field Syntax");
  add(s5, t,
      {"Sends whitespace between a field name and the colon", "MUST respond 400 (RFC 9112 §5.1)",
       req("GET", "X-Test : a\r\n"), Expect::RejectClose});
  add(s5, t,
      {"Sends a header line without a colon", "A field line is name \":\" value",
       req("GET", "X-Test\r\n"), Expect::RejectClose});
  add(s5, t,
      {"Sends an empty field name", "A field name is a token", req("GET", ": empty\r\n"),
       Expect::RejectClose});
  add(s5, t,
      {"Sends a field name with a parenthesis", "A field name is a token",
       req("GET", "X(Test): a\r\n"), Expect::RejectClose});
  add(s5, t,
      {"Sends a field value containing NUL", "NUL MUST be rejected (RFC 9110 §5.5)",
       req("GET", std::string("X-Test: a\0b\r\n", 13)), Expect::RejectClose});
  add(s5, t,
      {"Sends an obs-fold line in a request",
       "A server MUST reject obs-fold with 400 or replace it with SP",
       req("GET", "X-Test: a\r\n b\r\n"), Expect::RejectOrOk});

  auto& s6 = root.child("6", "Message Body Length");
  add(s6, t,
      {"Sends Content-Length and Transfer-Encoding (CL.TE)",
       "Such a message ought to be handled as an error, then close",
       req("POST", "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG" + kNext),
       Expect::RejectClose,
       {400},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding before Content-Length (TE.CL)",
       "Such a message ought to be handled as an error, then close",
       req("POST", "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
           "5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n"),
       Expect::RejectClose,
       {400},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding: xchunked",
       "An unknown coding gets 501",
       req("POST", "Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"),
       Expect::RejectClose,
       {400, 501},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding: chunked, chunked",
       "chunked MUST NOT be applied twice",
       req("POST", "Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"),
       Expect::RejectClose,
       {400, 501},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding: chunked, gzip",
       "chunked MUST be the final coding of a request",
       req("POST", "Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"),
       Expect::RejectClose,
       {400, 501},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding: chunked;x=y",
       "chunked has no parameters",
       req("POST", "Transfer-Encoding: chunked;x=y\r\n", "0\r\n\r\n"),
       Expect::RejectClose,
       {400, 501},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding obfuscated with obs-fold",
       "obs-fold MUST NOT make a second framing header",
       req("POST", "Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n"),
       Expect::RejectClose,
       {400, 501},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding in HTTP/1.0",
       "TE in HTTP/1.0 is faulty framing: reject, or process then close",
       req("POST", "Transfer-Encoding: chunked\r\n", "0\r\n\r\n", "HTTP/1.0"),
       Expect::RejectOrOk,
       {400, 501},
       1,
       {"POST"}});
  for (const char* cl : {"+5", "-1", "0x5", "5, 6", "", "5 5", "18446744073709551621"}) {
    add(s6, t,
        {std::string("Sends Content-Length: \"") + cl + "\"",
         "An invalid Content-Length is unrecoverable: 400 and close",
         req("POST", std::string("Content-Length: ") + cl + "\r\n", "hello"),
         Expect::RejectClose,
         {400, 413},
         1,
         {"POST"}});
  }
  add(s6, t,
      {"Sends Content-Length: 5, 5",
       "Identical list values MAY be collapsed or rejected",
       req("POST", "Content-Length: 5, 5\r\n", "hello"),
       Expect::RejectOrOk,
       {400},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends a body hiding a request behind Content-Length",
       "Body bytes MUST NOT be parsed as a request",
       req("POST", "Content-Length: " + std::to_string(kNext.size()) + "\r\n", kNext),
       Expect::NoDesync,
       {400},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Content-Length: 005",
       "Content-Length = 1*DIGIT (RFC 9110 §8.6): leading zeros are a valid length",
       req("POST", "Content-Length: 005\r\n", "hello"),
       Expect::Ok,
       {},
       1,
       {"POST"}});
  add(s6, t,
      {"Sends Transfer-Encoding: , chunked",
       "A recipient MUST ignore a reasonable number of empty list elements (RFC 9110 §5.6.1)",
       req("POST", "Transfer-Encoding: , chunked\r\n", "5\r\nhello\r\n0\r\n\r\n"),
       Expect::Ok,
       {},
       1,
       {"POST"}});

  auto& s7 = root.child("7.1", "Chunked Transfer Coding");
  struct Chunk {
    const char* title;
    const char* body;
  };
  for (Chunk c :
       {Chunk{"Sends a chunk size with 0x", "0x5\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends a chunk size with +", "+5\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends a chunk size with a leading space", " 5\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends an empty chunk size", "\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends a chunk size of 17 significant digits (past 2^64)",
              "10000000000000005\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends a chunk size with an underscore", "5_\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends chunk data longer than its size (TERM.SPILL)", "5\r\nhelloXX\r\n0\r\n\r\n"},
        Chunk{"Sends a bare LF after the chunk size", "5\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends a bare LF after chunk data", "5\r\nhello\n0\r\n\r\n"},
        Chunk{"Sends a chunk extension with a bare CR", "5;a\rb\r\nhello\r\n0\r\n\r\n"},
        Chunk{"Sends a chunk extension without a name", "5;\r\nhello\r\n0\r\n\r\n"}}) {
    add(s7, t,
        {c.title,
         "Chunked framing errors MUST be rejected (400 and close)",
         req("POST", "Transfer-Encoding: chunked\r\n", c.body),
         Expect::RejectClose,
         {400},
         1,
         {"POST"}});
  }
  add(s7, t,
      {"Sends a chunked body with an extension and trailers",
       "Valid chunked bodies MUST be accepted",
       req("POST", "Transfer-Encoding: chunked\r\n",
           "5;name=value\r\nhello\r\n0\r\nX-Trailer: ok\r\n\r\n"),
       Expect::Ok,
       {},
       1,
       {"POST"}});
  add(s7, t,
      {"Sends a chunk size with leading zeros",
       "chunk-size = 1*HEXDIG (RFC 9112 §7.1): leading zeros are a valid size",
       req("POST", "Transfer-Encoding: chunked\r\n", "00000000000000005\r\nhello\r\n0\r\n\r\n"),
       Expect::Ok,
       {},
       1,
       {"POST"}});
  add(s7, t,
      {"Sends chunk extensions with whitespace around \";\" and \"=\"",
       "chunk-ext allows BWS before \";\" and around \"=\" (RFC 9112 §7.1.1)",
       req("POST", "Transfer-Encoding: chunked\r\n", "5 ; a = b\r\nhello\r\n0\r\n\r\n"),
       Expect::Ok,
       {},
       1,
       {"POST"}});

  auto& s9 = root.child("9.3", "Persistence and Pipelining");
  add(s9, t,
      {"Sends two pipelined requests",
       "Pipelined requests MUST be answered in order",
       raw(kNext + kNext),
       Expect::Ok,
       {},
       2});
  add(s9, t,
      {"Sends a valid request followed by an invalid one",
       "An invalid later request MUST NOT corrupt the earlier response",
       raw(kNext + "GET  / HTTP/1.1\r\n\r\n"),
       Expect::OkThenReject,
       {400},
       2});
  add(s9, t,
      {"Sends Connection: close", "The server MUST close after the response",
       req("GET", "Connection: close\r\n"), Expect::OkClose});
  add(s9, t,
      {"Sends Expect: 100-continue with the body",
       "A server MUST answer the request (interim 100 optional)",
       req("POST", "Expect: 100-continue\r\nContent-Length: 5\r\n", "hello"),
       Expect::Ok,
       {},
       1,
       {"POST"}});
  return {root};
}

}  // namespace crossmux::conformance::h1
