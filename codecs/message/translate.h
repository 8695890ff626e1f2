// IR -> IR translation rules between HTTP/1.1 and HTTP/2 semantics, shared by the proxy and
// fuzzers.
#pragma once

#include "codecs/base/result.h"
#include "codecs/message/header_list.h"
#include "codecs/message/message.h"

namespace crossmux::codecs {

inline constexpr char kErrTranslateBadMethod[] = "translate: method is not a token";
inline constexpr char kErrTranslatePriMethod[] =
    "translate: PRI is the HTTP/2 connection preface, not a method for HTTP/1.1";
inline constexpr char kErrTranslateBadPath[] = "translate: path is not origin-form or asterisk";
inline constexpr char kErrTranslateEmptyPath[] = "translate: empty path";
inline constexpr char kErrTranslateBadAuthority[] = "translate: invalid authority";
inline constexpr char kErrTranslateBadScheme[] = "translate: invalid scheme";
inline constexpr char kErrTranslateBadStatus[] = "translate: status outside 100..599";
inline constexpr char kErrTranslateBadFieldName[] = "translate: field name is not a token";
inline constexpr char kErrTranslateBadFieldValue[] = "translate: CR, LF, NUL or CTL in field value";
inline constexpr char kErrTranslateValueWhitespace[] =
    "translate: field value starts or ends with whitespace";
inline constexpr char kErrTranslateHostMismatch[] = "translate: Host differs from the authority";
inline constexpr char kErrTranslateForbiddenTrailer[] =
    "translate: framing or routing field in trailers";

// Every error below is Error::http(400, detail, Side::Client, Scope::Stream) for a request and
// Error::http(502, detail, Side::Backend, Scope::Stream) for a response: one exchange fails, the
// connection may carry on.

// The checks a head must pass before any encoder sees it (RFC 9110 §5.1, §5.5, RFC 9113 §8.2.1,
// §8.3.1), whatever protocol it came from:
//   - request method is a token (class G); path is origin-form (`/` followed by RFC 3986 pchar,
//     '/', '?' and valid %XX) or "*" for OPTIONS, and is empty only for CONNECT (class H);
//     authority is uri-host [":" port] with no userinfo, spaces or controls (class I); scheme is
//     empty (origin-form H1: the listener decides) or an RFC 3986 scheme;
//   - an HTTP/2 request whose host field differs from :authority (kViolationHostAuthorityMismatch)
//     is refused with kErrTranslateHostMismatch (RFC 9113 §8.3.1, class I);
//   - response status is 100..599;
//   - every field name is a non-empty token (so no ":pseudo", spaces, controls, non-ASCII; class
//   E);
//   - every field value has no CR, LF, NUL or other control except HTAB (class C) and neither
//     starts nor ends with SP or HTAB (class D).
// Errors: kErrTranslateBadMethod, kErrTranslateBadPath, kErrTranslateEmptyPath,
// kErrTranslateBadAuthority, kErrTranslateBadScheme, kErrTranslateBadStatus,
// kErrTranslateBadFieldName, kErrTranslateBadFieldValue, kErrTranslateValueWhitespace,
// kErrTranslateHostMismatch.
Status validate_for_forwarding(const MessageHead& head);

// Trailers to forward: the same field rules, and no field the table marks kFieldNotInTrailers
// (codecs/base/field_table.h: Content-Length, Transfer-Encoding, Host, TE and the connection
// fields; RFC 9110 §6.5.1), as every decoder refuses them. Errors: as above plus
// kErrTranslateForbiddenTrailer.
Status validate_trailers(const HeaderList& trailers, MessageKind kind);

// H1 -> H2 (RFC 9113 §8.2.2, §8.3.1). Normalisations, in order:
//   1. Connection-specific fields are dropped: Connection and every field it names, and the
//      field table's kFieldHopByHop names (Keep-Alive, Proxy-Connection, Transfer-Encoding,
//      Upgrade, HTTP2-Settings), TE unless its value is exactly "trailers" (case-insensitive)
//      (classes F, N).
//   2. Requests: Host becomes the authority when the authority is empty; every Host is removed.
//   3. Field names are lowercased (copied into the head's arena when they had uppercase).
//   4. validate_for_forwarding.
// Framing, scheme and everything else are left alone (the H2 encoder maps framing to DATA frames;
// an empty scheme is filled in by the caller from the listener).
Status prepare_for_h2(MessageHead& head);

// H2 -> H1 (RFC 9113 §8.2.3, RFC 9110 §7.6.1). Normalisations, in order:
//   1. Cookie crumbs are joined with "; " into one `cookie` field at the first crumb's position
//      (class Q).
//   2. Hop-by-hop fields are dropped: Connection and every field it names, Keep-Alive,
//      Proxy-Connection, Transfer-Encoding, TE, Upgrade, HTTP2-Settings, and Host (the H1 encoder
//      writes Host from the authority). Before that, a request with an empty authority takes it
//      from Host; in an HTTP/2 request, a Host differing from a non-empty authority is
//      kErrTranslateHostMismatch (RFC 9113 §8.3.1, class I), while an HTTP/1.1 absolute-form
//      target wins over a differing Host (RFC 9112 §3.2.2), which is dropped. A Tunnel head (an
//      upgrade request, a 101) keeps its Upgrade field, moved last (RFC 9110 §7.8; the H1 encoder
//      adds `Connection: upgrade`).
//   3. validate_for_forwarding.
// Both: a 1xx or 204 response loses its Content-Length and any kept length (RFC 9110 §8.6). H2 ->
// H1 also refuses a request with method PRI (kErrTranslatePriMethod, RFC 9113 §3.4).
Status prepare_for_h1(MessageHead& head);

}  // namespace crossmux::codecs
