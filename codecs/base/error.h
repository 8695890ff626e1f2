// Error values shared by every codec: who misbehaved, how far the damage reaches, the wire code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace crossmux::codecs {

// How far an error reaches. A stream error ends one exchange (RST_STREAM, or a 4xx/5xx answer on
// HTTP/1.1 followed by close when framing is in doubt); a connection error ends the connection
// (GOAWAY on HTTP/2, close on HTTP/1.1).
enum class Scope : uint8_t { Stream = 0, Connection = 1 };

// Which party caused the error (pingora's error provenance).
enum class Side : uint8_t { Client = 0, Backend = 1, Internal = 2 };

// RFC 9113 §7 error codes, as they go on the wire.
enum class H2Code : uint32_t {
  NoError = 0x0,
  ProtocolError = 0x1,
  InternalError = 0x2,
  FlowControlError = 0x3,
  SettingsTimeout = 0x4,
  StreamClosed = 0x5,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
  ConnectError = 0xa,
  EnhanceYourCalm = 0xb,
  InadequateSecurity = 0xc,
  Http11Required = 0xd,
};

// What Error::code holds. Nothing prints or interprets a code without looking at its kind: an
// errno is never read as an HTTP/2 code nor an HTTP status, and the reverse.
enum class CodeKind : uint8_t {
  None = 0,        // no code: the detail says everything
  H2 = 1,          // an RFC 9113 §7 error code (H2Code), also for HPACK errors
  HttpStatus = 2,  // an HTTP status the error is answered with (400, 413, 502, ...)
  Errno = 3,       // a system errno (socket, file and TLS setup errors); 0 when none was given
};

std::string_view to_string(Scope s);
std::string_view to_string(Side s);
std::string_view to_string(CodeKind k);
// Returns the RFC name (e.g. "PROTOCOL_ERROR"), or "UNKNOWN" for codes outside RFC 9113 §7.
std::string_view to_string(H2Code c);

// An error is a small value with no heap allocation. `code` is interpreted by `kind`: an H2Code
// for HTTP/2 and HPACK errors (h2()), an HTTP status (400, 413, 414, 431, 501, 505, 502) for
// HTTP/1.1 and translation errors (http()), an errno for system calls (sys()), or nothing
// (none()). `detail` always points at a named static string (see each module's *_errors.h), so
// tests compare identity and logs are greppable.
struct Error {
  Scope scope = Scope::Connection;
  uint32_t code = 0;
  Side side = Side::Internal;
  const char* detail = "";
  uint32_t stream_id = 0;
  CodeKind kind = CodeKind::None;

  static constexpr Error h2(Scope scope, H2Code code, const char* detail, uint32_t stream_id = 0,
                            Side side = Side::Client) {
    return Error{scope, static_cast<uint32_t>(code), side, detail, stream_id, CodeKind::H2};
  }
  static constexpr Error http(uint32_t status, const char* detail, Side side = Side::Client,
                              Scope scope = Scope::Connection) {
    return Error{scope, status, side, detail, 0, CodeKind::HttpStatus};
  }
  // A failed system call; `err` is its errno (0 when there was none, e.g. an OpenSSL failure).
  static constexpr Error sys(const char* detail, int err, Side side = Side::Internal) {
    return Error{Scope::Connection, static_cast<uint32_t>(err), side, detail, 0, CodeKind::Errno};
  }
  // An error whose detail says everything (no code to carry).
  static constexpr Error none(const char* detail, Side side = Side::Internal) {
    return Error{Scope::Connection, 0, side, detail, 0, CodeKind::None};
  }

  // The code as an H2 error code; INTERNAL_ERROR when the code is of another kind (what an HTTP/2
  // peer is told about a failure that is not a protocol error).
  H2Code h2_code() const {
    return kind == CodeKind::H2 ? static_cast<H2Code>(code) : H2Code::InternalError;
  }
  // The status to answer this error with: `code` when it is an HTTP status of class 4xx or 5xx,
  // else `fallback`.
  uint16_t answer_status(uint16_t fallback) const {
    return kind == CodeKind::HttpStatus && code >= 400 && code < 600 ? static_cast<uint16_t>(code)
                                                                     : fallback;
  }
  // The errno of a sys() error, 0 otherwise.
  int sys_errno() const { return kind == CodeKind::Errno ? static_cast<int>(code) : 0; }
  bool operator==(const Error&) const = default;
};

// For traces and test failures, the code printed as its kind says:
//   "connection PROTOCOL_ERROR (client): detail [stream 3]"   (H2; unknown codes as 0x1f)
//   "stream 400 (client): detail"                            (HTTP status)
//   "connection EADDRINUSE (internal): net: bind() failed: Address already in use"   (errno)
//   "connection (internal): detail"                          (none, and errno 0)
std::string to_string(const Error& e);

// For operators: the detail, followed by the errno's description when it has one
// ("net: bind() failed: Address already in use"); the HTTP/2 code name or the HTTP status in
// parentheses for those kinds ("... (PROTOCOL_ERROR)", "... (status 502)").
std::string describe(const Error& e);

}  // namespace crossmux::codecs
