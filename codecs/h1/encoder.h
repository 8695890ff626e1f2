// HTTP/1.1 encoder: IR heads, bodies and trailers to RFC 9112 bytes in a caller-owned ByteBuffer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/byte_chain.h"
#include "codecs/base/bytes.h"
#include "codecs/base/result.h"
#include "codecs/message/message.h"

namespace crossmux::codecs::h1 {

struct EncoderOptions {
  bool peer_http11 = true;  // false: the peer spoke HTTP/1.0, so no chunked coding
};

// How the body of the message being encoded is delimited on the wire (chosen by the encoder).
enum class BodyMode : uint8_t {
  None = 0,
  ContentLength = 1,
  Chunked = 2,
  CloseDelimited = 3,
  Tunnel = 4
};
std::string_view to_string(BodyMode m);

// Encodes one message at a time: encode_head, any encode_data, optional encode_trailers, then
// encode_end (encode_trailers ends the message itself).
//
// Normalisations (what a decoder of our output sees differently from the IR we were given):
//  - Requests always carry `Host: <authority>` first; every Host field in the IR is dropped.
//    The request target is the IR path (origin-form or "*"), or the authority for CONNECT.
//  - Exactly one framing field, chosen here from head.framing: Content-Length when KnownLength;
//    `Transfer-Encoding: chunked` for Streaming (and CloseDelimited) to an HTTP/1.1 peer; for a
//    response to an HTTP/1.0 peer, no framing field plus `Connection: close`; `Content-Length: 0`
//    for a response with Framing::None whose status allows a body. IR Content-Length
//    and Transfer-Encoding fields are always dropped. Responses to HEAD, 1xx, 204 and 304 carry no
//    body; HEAD and 304 keep Content-Length when the IR length is known.
//  - Hop-by-hop fields are dropped (RFC 9110 §7.6.1): Connection and every field it names,
//    Keep-Alive, Proxy-Connection, TE, Transfer-Encoding, HTTP2-Settings, and Upgrade unless the
//    head is a Tunnel (then `Connection: upgrade` is written with it). `Connection: close` is
//    written when head.keep_alive is false or the body is close-delimited.
//  - All Cookie fields are joined with "; " into one field at the first one's position (RFC 9113
//    §8.2.3). Other field names keep their case and order.
//  - The status line is `HTTP/1.1 <code> <reason phrase>`; requests are sent as HTTP/1.1.
// Trailers are written only with the chunked coding; otherwise they are dropped and counted.
//
// On error nothing is appended to `out` (it is truncated back) and the message is abandoned.
class Encoder {
 public:
  explicit Encoder(MessageKind kind, EncoderOptions options = {})
      : kind_(kind), options_(options) {}

  // `request_method` (responses only) is the method of the request being answered.
  // Errors: kErrEncodeBadMethod, kErrEncodeBadTarget, kErrEncodeBadAuthority,
  // kErrEncodeMissingAuthority, kErrEncodeBadStatus, kErrEncodeBadFieldName (not a token, which
  // includes ":pseudo" names and empty names), kErrEncodeBadFieldValue (CR, LF, NUL or another
  // CTL except HTAB), kErrEncodeNoFraming (a request body of unknown length to an HTTP/1.0 peer).
  // All Error::http(500, ..., Side::Internal).
  Status encode_head(const MessageHead& head, ByteBuffer& out,
                     std::string_view request_method = {});
  // Errors: kErrEncodeBodyAfterEnd (no body expected), kErrEncodeLengthMismatch (past
  // Content-Length).
  Status encode_data(Bytes data, ByteBuffer& out);
  // As encode_data, with a body buffer the output takes (ByteChain::adopt: from kMinAdopt octets
  // on its storage goes out as it is, framed around by the chunk line when chunked). `data` is
  // left empty either way.
  Status encode_data(ByteBuffer& data, ByteChain& out);
  // Ends a chunked message with its trailer section. Errors: as encode_head's field errors.
  Status encode_trailers(const HeaderList& trailers, ByteBuffer& out);
  // Errors: kErrEncodeLengthMismatch (fewer bytes than Content-Length).
  Status encode_end(ByteBuffer& out);

  BodyMode body_mode() const { return mode_; }
  size_t dropped_trailers() const { return dropped_trailers_; }

 private:
  // Accounts `n` body octets of the message (errors as encode_data).
  Status take_body(size_t n);
  Status write_start_line(const MessageHead& head, ByteBuffer& out);
  BodyMode choose_mode(const MessageHead& head, std::string_view request_method, bool& length_only);
  Status write_fields(const HeaderList& fields, bool keep_upgrade, ByteBuffer& out);
  void collect_connection_options(const HeaderList& fields);
  bool hop_by_hop(std::string_view name, bool keep_upgrade) const;

  MessageKind kind_;
  EncoderOptions options_;
  BodyMode mode_ = BodyMode::None;
  bool in_message_ = false;
  uint64_t remaining_ = 0;
  size_t dropped_trailers_ = 0;
  std::vector<std::string_view> connection_options_;
};

}  // namespace crossmux::codecs::h1
