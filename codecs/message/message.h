// The protocol-neutral HTTP message head (the IR): request or response, fields, body framing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codecs/message/header_list.h"

namespace crossmux::codecs {

enum class MessageKind : uint8_t { Request = 0, Response = 1 };

// Wire version the message arrived with; encoders decide their own.
enum class Version : uint8_t { Http10 = 0, Http11 = 1, Http2 = 2 };

// How the body is delimited, as metadata. Chunk boundaries never appear in the IR: the H1 encoder
// alone picks Content-Length vs chunked, the H2 encoder alone splits into DATA frames.
enum class Framing : uint8_t {
  None = 0,            // no body (GET without body, HEAD response, 204, 304, 1xx)
  KnownLength = 1,     // exactly `content_length` bytes follow
  Streaming = 2,       // length unknown; ends with EndOfMessage
  CloseDelimited = 3,  // HTTP/1.x response ended by connection close
  Tunnel = 4,          // after a successful Upgrade or CONNECT: raw bytes both ways
};

std::string_view to_string(MessageKind k);
std::string_view to_string(Version v);
std::string_view to_string(Framing f);

// Tolerable oddities a codec saw; a policy above the codec decides what to do with them.
enum Violation : uint32_t {
  kViolationNone = 0,
  kViolationObsFold = 1u << 0,                 // obs-fold replaced by SP (responses only)
  kViolationDuplicateContentLength = 1u << 1,  // identical CL values collapsed
  kViolationHostAuthorityMismatch = 1u << 2,
  kViolationHttp10TransferEncoding = 1u << 3,  // HTTP/1.0 with TE: must close after
};

// The head of one request or response. String fields are views: into the codec's input buffer
// (zero-copy) or into `headers`' arena (call headers.own() to copy something there). An
// empty view means absent.
struct MessageHead {
  MessageKind kind = MessageKind::Request;
  Version version = Version::Http11;

  // Request (RFC 9113 §8.3.1 pseudo-headers as first-class fields).
  std::string_view method;
  std::string_view scheme;
  std::string_view authority;
  std::string_view path;      // origin-form path+query, "*" for OPTIONS, empty for CONNECT
  std::string_view protocol;  // RFC 8441 extended CONNECT `:protocol`

  // Response.
  uint16_t status = 0;

  HeaderList headers;  // regular fields only, no pseudo-headers, in arrival order

  Framing framing = Framing::None;
  uint64_t content_length = 0;  // meaningful when framing == KnownLength
  uint32_t violations = kViolationNone;
  bool keep_alive = true;  // HTTP/1.x persistence as received (informational for H2)
  bool expect_continue = false;

  bool is_request() const { return kind == MessageKind::Request; }
  bool is_informational() const { return kind == MessageKind::Response && status < 200; }

  // Copies every view into `headers`' arena so the head outlives the input buffer.
  void own_all();
  // Makes this head a copy of `from` whose views all point into this head's own arena, leaving
  // `from` as it was (a decoder keeps its field storage for its next message). Room is made up
  // front for `extra_fields` more fields and `extra_bytes` more owned bytes, so a caller that adds
  // a few (a proxy's Via, a request id, lowercased names) adds no allocation: a head arriving
  // whole costs two (its field list and one arena chunk).
  void copy_owned(const MessageHead& from, size_t extra_fields, size_t extra_bytes);
  void clear() { *this = MessageHead(); }
};

// One-line summary for traces: "request GET https example.com /a framing=known(5)".
std::string describe(const MessageHead& head);

}  // namespace crossmux::codecs
