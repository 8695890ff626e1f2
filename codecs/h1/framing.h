// HTTP/1.1 message semantics after tokenizing: request target forms, Host, body framing,
// persistence.
#pragma once

#include <string_view>

#include "codecs/base/result.h"
#include "codecs/h1/head_parser.h"
#include "codecs/message/message.h"

namespace crossmux::codecs::h1 {

// What the response decoder must know about the request a response answers (RFC 9112 §6.3).
struct RequestInfo {
  bool head = false;     // HEAD: the response has no body whatever its fields say
  bool connect = false;  // CONNECT: a 2xx response turns the connection into a tunnel
  bool upgrade = false;  // the request carried Upgrade: a 101 response starts a tunnel
};

// Request semantics. Sets scheme/authority/path from the target form (RFC 9112 §3.2):
//   origin-form "/p?q"        -> path = target, authority = Host value, scheme empty
//   absolute-form "http://a/p" -> scheme, authority from the target (it wins over Host; a different
//                                Host sets kViolationHostAuthorityMismatch), path = "/p" ("/" if
//                                empty)
//   authority-form (CONNECT)  -> authority = target, path empty
//   asterisk-form (OPTIONS)   -> path = "*", authority = Host value
// then framing (Tunnel for CONNECT and for a bodiless HTTP/1.1 request carrying Upgrade plus
// Connection: upgrade), keep_alive, expect_continue and violation bits.
// Errors: kErrBadTarget, kErrAsteriskNotOptions, kErrConnectTarget, kErrBadScheme, kErrMissingHost,
// kErrDuplicateHost, kErrBadHost, kErrHttp10TransferEncoding,
// kErrContentLengthWithTransferEncoding, kErrChunkedTwice, kErrChunkedNotFinal (all 400),
// kErrUnknownTransferCoding (501), kErrBodyTooLarge (413).
Status finish_request(std::string_view target, const FieldFacts& facts, const Limits& limits,
                      MessageHead& head);

// Response semantics: framing per RFC 9112 §6.3 given the request, keep_alive, violation bits.
// Errors (all 502): kErrUnexpectedSwitch, kErrHttp10TransferEncoding,
// kErrContentLengthWithTransferEncoding, kErrChunkedTwice, kErrChunkedNotFinal,
// kErrUnknownTransferCoding, kErrBodyTooLarge.
Status finish_response(const RequestInfo& request, const FieldFacts& facts, const Limits& limits,
                       MessageHead& head);

// True when `authority` is uri-host [":" port] with no userinfo (RFC 3986 §3.2, RFC 9112 §3.2);
// an empty authority is allowed only when `allow_empty`.
bool valid_authority(std::string_view authority, bool allow_empty);

}  // namespace crossmux::codecs::h1
