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

std::string_view to_string(Scope s);
std::string_view to_string(Side s);
// Returns the RFC name (e.g. "PROTOCOL_ERROR"), or "UNKNOWN" for codes outside RFC 9113 §7.
std::string_view to_string(H2Code c);

// An error is a small value with no heap allocation. `code` is the RFC wire code: an H2Code for
// HTTP/2 and HPACK errors, an HTTP status (400, 413, 414, 431, 501, 505, 502) for HTTP/1.1 errors.
// `detail` always points at a named static string (see each module's *_errors.h), so tests compare
// identity and logs are greppable.
struct Error {
  Scope scope = Scope::Connection;
  uint32_t code = 0;
  Side side = Side::Internal;
  const char* detail = "";
  uint32_t stream_id = 0;

  static constexpr Error h2(Scope scope, H2Code code, const char* detail, uint32_t stream_id = 0,
                            Side side = Side::Client) {
    return Error{scope, static_cast<uint32_t>(code), side, detail, stream_id};
  }
  static constexpr Error http(uint32_t status, const char* detail, Side side = Side::Client,
                              Scope scope = Scope::Connection) {
    return Error{scope, status, side, detail, 0};
  }

  H2Code h2_code() const { return static_cast<H2Code>(code); }
  bool operator==(const Error&) const = default;
};

// "connection PROTOCOL_ERROR (client): detail [stream 3]" — for traces and test failures.
std::string to_string(const Error& e);

}  // namespace crossmux::codecs
