// Named static detail strings for every HTTP/1.1 decoder and encoder error (compared by identity).
#pragma once

namespace crossmux::codecs::h1 {

// Decoder: start line (RFC 9112 §3, §4, §2.3).
inline constexpr char kErrBadRequestLine[] = "h1: malformed request line";
inline constexpr char kErrBadMethod[] = "h1: method is not a token";
inline constexpr char kErrPriMethod[] = "h1: PRI is the HTTP/2 connection preface, not a method";
inline constexpr char kErrBadTarget[] = "h1: invalid request target";
inline constexpr char kErrAsteriskNotOptions[] =
    "h1: asterisk-form target on a method other than OPTIONS";
inline constexpr char kErrConnectTarget[] = "h1: CONNECT target is not authority-form";
inline constexpr char kErrBadScheme[] = "h1: absolute-form scheme is not http or https";
inline constexpr char kErrBadVersion[] = "h1: malformed HTTP version";
inline constexpr char kErrUnsupportedVersion[] = "h1: HTTP version not supported";
inline constexpr char kErrRequestLineTooLong[] = "h1: request line too long";
inline constexpr char kErrBadStatusLine[] = "h1: malformed status line";
inline constexpr char kErrBadStatus[] = "h1: status code outside 100..599";

// Decoder: field section (RFC 9112 §2.2, §5; RFC 9110 §5).
inline constexpr char kErrBareLf[] = "h1: bare LF";
inline constexpr char kErrBareCr[] = "h1: bare CR";
inline constexpr char kErrBadFieldName[] = "h1: field name is not a token";
inline constexpr char kErrSpaceBeforeColon[] = "h1: whitespace between field name and colon";
inline constexpr char kErrBadFieldValue[] = "h1: control character in field value";
inline constexpr char kErrObsFold[] = "h1: obs-fold line folding";
inline constexpr char kErrLeadingWhitespace[] = "h1: whitespace before the first field line";
inline constexpr char kErrHeadersTooLarge[] = "h1: header section too large";
inline constexpr char kErrTooManyFields[] = "h1: too many header fields";

// Decoder: framing (RFC 9112 §6, RFC 9110 §8.6).
inline constexpr char kErrBadContentLength[] = "h1: invalid Content-Length";
inline constexpr char kErrConflictingContentLength[] = "h1: conflicting Content-Length values";
inline constexpr char kErrContentLengthOverflow[] = "h1: Content-Length overflows";
inline constexpr char kErrBadTransferEncoding[] = "h1: malformed Transfer-Encoding";
inline constexpr char kErrChunkedTwice[] = "h1: chunked applied more than once";
inline constexpr char kErrChunkedNotFinal[] = "h1: chunked is not the final transfer coding";
inline constexpr char kErrUnknownTransferCoding[] = "h1: unsupported transfer coding";
inline constexpr char kErrContentLengthWithTransferEncoding[] =
    "h1: both Content-Length and Transfer-Encoding";
inline constexpr char kErrHttp10TransferEncoding[] = "h1: Transfer-Encoding in an HTTP/1.0 message";
inline constexpr char kErrBodyTooLarge[] = "h1: body larger than the configured limit";

// Decoder: Host (RFC 9112 §3.2).
inline constexpr char kErrMissingHost[] = "h1: HTTP/1.1 request without Host";
inline constexpr char kErrDuplicateHost[] = "h1: more than one Host field";
inline constexpr char kErrBadHost[] = "h1: invalid Host value";

// Decoder: chunked coding (RFC 9112 §7.1).
inline constexpr char kErrBadChunkSize[] = "h1: invalid chunk size";
inline constexpr char kErrChunkSizeOverflow[] = "h1: chunk size overflows";
inline constexpr char kErrBadChunkExtension[] = "h1: malformed chunk extension";
inline constexpr char kErrChunkExtensionTooLong[] = "h1: chunk extensions too long";
inline constexpr char kErrBadChunkTerminator[] = "h1: chunk data not followed by CRLF";
inline constexpr char kErrForbiddenTrailer[] =
    "h1: framing, routing or connection field in trailers";

// Decoder: message sequencing.
inline constexpr char kErrUnsolicitedResponse[] = "h1: response without an outstanding request";
inline constexpr char kErrUnexpectedSwitch[] = "h1: 101 response to a request without Upgrade";
inline constexpr char kErrIncompleteMessage[] = "h1: connection closed inside a message";

// Encoder (nothing it writes may carry CR, LF or NUL, RFC 9110 §5.5).
inline constexpr char kErrEncodeBadMethod[] = "h1 encoder: method is not a token";
inline constexpr char kErrEncodeBadTarget[] = "h1 encoder: path is not origin-form or asterisk";
inline constexpr char kErrEncodeBadAuthority[] = "h1 encoder: invalid authority";
inline constexpr char kErrEncodeMissingAuthority[] = "h1 encoder: request without authority";
inline constexpr char kErrEncodeBadFieldName[] = "h1 encoder: field name is not a token";
inline constexpr char kErrEncodeBadFieldValue[] = "h1 encoder: CR, LF, NUL or CTL in field value";
inline constexpr char kErrEncodeBadStatus[] = "h1 encoder: status outside 100..599";
inline constexpr char kErrEncodeNoFraming[] =
    "h1 encoder: request body of unknown length to an HTTP/1.0 peer";
inline constexpr char kErrEncodeBodyAfterEnd[] = "h1 encoder: data outside a message body";
inline constexpr char kErrEncodeLengthMismatch[] =
    "h1 encoder: body length differs from Content-Length";

}  // namespace crossmux::codecs::h1
