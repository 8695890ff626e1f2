// The HTTP/1.1 request grammar: vocabularies chosen to reach the ambiguous corners of RFC 9112
// (attacks-and-fuzzing.md §3.2) as often as the plain ones.
#include "fuzz/net/h1_grammar.h"

#include <array>
#include <cstdio>

#include "fuzz/common/h2_wire.h"

namespace crossmux::fuzz::net {

namespace {

using namespace std::string_view_literals;

// Each choice is mostly one of the usual values and now and then (one in 16) an odd one, or
// raw input bytes: a request stays parseable often enough to reach the server's deeper code.
constexpr std::array<std::string_view, 6> kMethods = {"GET",     "POST",   "HEAD",
                                                      "OPTIONS", "DELETE", "PUT"};
constexpr std::array<std::string_view, 7> kOddMethods = {"CONNECT", "PATCH", "TRACE",    "get",
                                                         "G ET",    "PRI",   "GET\x00"sv};
constexpr std::array<std::string_view, 4> kTargets = {"/", "/", "/a?b=c", "/index.html"};
constexpr std::array<std::string_view, 9> kOddTargets = {
    "*", "http://example.com/x", "/%00", "example.com:443", "/a b", "//x", "", "/\x7f", "/a#f"};
constexpr std::array<std::string_view, 4> kVersions = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1",
                                                       "HTTP/1.0"};
constexpr std::array<std::string_view, 6> kOddVersions = {"HTTP/1.2",  "HTTP/2.0", "http/1.1",
                                                          "HTTP/1.1 ", "HTTP/1",   "HTTP/01.1"};
constexpr std::array<std::string_view, 1> kLength = {"5"};
constexpr std::array<std::string_view, 11> kOddLengths = {
    " 5", "5 ", "+5", "05", "5, 5", "5,6", "-1", "99999999999999999999", "0x5", "", "0"};
constexpr std::array<std::string_view, 1> kChunked = {"chunked"};
constexpr std::array<std::string_view, 9> kOddCodings = {
    "Chunked",     "chunked, identity", "identity, chunked", "gzip, chunked", "xchunked",
    "chunked\x0b", "\tchunked",         "chunked, chunked",  "identity"};
constexpr std::array<std::string_view, 1> kTeName = {"Transfer-Encoding"};
constexpr std::array<std::string_view, 6> kOddTeNames = {
    "transfer-encoding",  "Transfer-Encoding ",      "Transfer_Encoding",
    " Transfer-Encoding", "Transfer-Encoding\x00"sv, "TRANSFER-ENCODING"};
constexpr std::array<std::string_view, 1> kClName = {"Content-Length"};
constexpr std::array<std::string_view, 4> kOddClNames = {"content-length", "Content-Length ",
                                                         "Content_Length", "Content-Length\x0b"};
constexpr std::array<std::string_view, 11> kFields = {"Connection: close",
                                                      "Connection: keep-alive",
                                                      "Connection: Upgrade, HTTP2-Settings",
                                                      "Upgrade: h2c",
                                                      "HTTP2-Settings: AAMAAABkAAQAAP__",
                                                      "Upgrade: websocket",
                                                      "Expect: 100-continue",
                                                      "TE: trailers",
                                                      "Trailer: X-T",
                                                      "Cookie: a=1",
                                                      "Accept: */*"};
constexpr std::array<std::string_view, 5> kOddFields = {"X-A: b\r\n c", "X-A: a\rb", "X-A: \x00"sv,
                                                        "X-A : b", ": empty"};
constexpr std::array<std::string_view, 1> kChunkSize = {"5"};
constexpr std::array<std::string_view, 7> kOddChunkSizes = {
    "05", "5;ext=1", "5 ", "0x5", "-5", "fffffffffffffffff5", "5\t"};
constexpr std::array<std::string_view, 4> kEols = {"\n", "\r", "\r\r\n", "\n\r"};

template <size_t N, size_t M>
std::string_view choose(FuzzInput& in, const std::array<std::string_view, N>& usual,
                        const std::array<std::string_view, M>& odd) {
  const uint8_t b = in.u8();
  if (b % 16 != 0) return usual[(b >> 4) % N];
  return pick_view(in, odd);
}

// Almost always CRLF; a bare LF, a bare CR or a doubled CR now and then (RFC 9112 §2.2).
std::string_view eol(FuzzInput& in) {
  const uint8_t b = in.u8();
  return b < 254 ? std::string_view("\r\n") : kEols[b % 4];
}

void chunked_body(FuzzInput& in, std::string& s) {
  const size_t n = in.range(0, 3);
  for (size_t i = 0; i < n; ++i) {
    s += choose(in, kChunkSize, kOddChunkSizes);
    s += eol(in);
    s += "hello";
    if (in.u8() % 16 != 0) s += eol(in);  // sometimes no terminator: the data spills
  }
  s += "0";
  s += eol(in);
  if (in.u8() % 4 == 0) {
    s += "X-T: 1";
    s += eol(in);
  }
  s += eol(in);
}

void field(FuzzInput& in, std::string_view name, std::string_view value, std::string& s) {
  s += name;
  s += ": ";
  s += value;
  s += eol(in);
}

void request(FuzzInput& in, std::string_view authority, std::string& s) {
  s += choose(in, kMethods, kOddMethods);
  s += ' ';
  s += choose(in, kTargets, kOddTargets);
  s += ' ';
  s += choose(in, kVersions, kOddVersions);
  s += eol(in);
  // Host: usually the target's; sometimes absent, empty, a list or doubled.
  const uint8_t host = in.u8() % 32;
  if (host != 0) field(in, "Host", host == 1 ? "" : authority, s);
  if (host == 2) s.insert(s.size() - 2, ", other.example");
  if (host == 3) field(in, "Host", "other.example", s);
  const size_t extra = in.range(0, 3);
  for (size_t i = 0; i < extra; ++i) {
    s += choose(in, kFields, kOddFields);
    s += eol(in);
  }
  // Framing: none, Content-Length, chunked, and now and then both or one of them twice.
  const uint8_t framing = in.u8() % 32;
  const bool cl = (framing >= 12 && framing <= 21) || framing == 29 || framing == 30;
  const bool te = (framing >= 22 && framing <= 29) || framing == 31;
  if (cl) field(in, choose(in, kClName, kOddClNames), choose(in, kLength, kOddLengths), s);
  if (framing == 30) field(in, "Content-Length", "6", s);
  if (te) field(in, choose(in, kTeName, kOddTeNames), choose(in, kChunked, kOddCodings), s);
  if (framing == 31) field(in, "Transfer-Encoding", "chunked", s);
  s += eol(in);
  if (te) {
    chunked_body(in, s);
  } else if (cl) {
    s += "hello";
  }
}

}  // namespace

void build_h1_wire(FuzzInput& in, std::string_view authority, std::string& out) {
  const size_t n = in.range(1, 3);
  for (size_t i = 0; i < n; ++i) request(in, authority, out);
}

const std::vector<std::string_view>& h1_tokens() {
  using namespace std::string_view_literals;
  static const std::vector<std::string_view> kTokens = [] {
    std::vector<std::string_view> t = {" ",
                                       "\t",
                                       "\r",
                                       "\n",
                                       "\r\n",
                                       "\x00"sv,
                                       "\x0b",
                                       "\x0c",
                                       "\x7f",
                                       "\x80",
                                       "\xff",
                                       ":",
                                       ";",
                                       ",",
                                       "=",
                                       "\"",
                                       "0",
                                       "-1",
                                       "65536",
                                       "4294967296",
                                       "ffffffff",
                                       "chunked",
                                       "close",
                                       "identity",
                                       "HTTP/1.1",
                                       "HTTP/1.0",
                                       "Host: ",
                                       "Content-Length: ",
                                       "Transfer-Encoding: ",
                                       "0\r\n\r\n",
                                       "GET / HTTP/1.1\r\n\r\n",
                                       "%00",
                                       "%0d%0a",
                                       "..",
                                       "/"};
    for (auto v : kMethods) t.push_back(v);
    for (auto v : kOddMethods) t.push_back(v);
    for (auto v : kOddCodings) t.push_back(v);
    return t;
  }();
  return kTokens;
}

}  // namespace crossmux::fuzz::net
