// RFC 9113 §8 header semantics: decoded HPACK field lists <-> the IR MessageHead, both ways.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/result.h"
#include "codecs/hpack/field.h"
#include "codecs/message/message.h"

namespace crossmux::codecs::h2 {

// What the response parser needs to know about the request it answers.
struct RequestFacts {
  bool head = false;     // HEAD: the response has no body whatever it says (§8.1.1)
  bool connect = false;  // CONNECT: a 2xx opens a tunnel (§8.5)
};

// Fills `out` (cleared first) from a request header block. Pseudo-headers become first-class
// fields; regular fields are added as views into `fields` (valid as long as they are). Cookie
// crumbs (§8.2.3) are kept as separate fields, in order, each charged by the HPACK decoder;
// joining is left to the H1 encoder. Framing: None when `end_stream`, Tunnel for CONNECT (and
// extended CONNECT when `extended_connect`), KnownLength with a content-length, else Streaming.
// content-length goes through codecs/base/content_length.h, like HTTP/1.1's: leading zeros and a
// list of identical values are accepted, anything past 2^63-1 is not.
// A host field differing from :authority sets kViolationHostAuthorityMismatch.
// Errors, all Error{Stream, PROTOCOL_ERROR, detail} (stream id left 0 for the caller):
//   kPseudoAfterRegular, kUnknownPseudo, kDuplicatePseudo, kMissingPseudo, kConnectPseudo,
//   kBadPath, kBadFieldName, kBadFieldValue, kConnectionSpecific, kBadTe, kBadContentLength
Status to_request(std::span<const hpack::Field> fields, bool end_stream, bool extended_connect,
                  MessageHead& out);

// Same for a response; 1xx heads have framing None and must not end the stream.
// Errors: as to_request, plus kBadStatus, kInterimWithEndStream.
Status to_response(std::span<const hpack::Field> fields, bool end_stream, RequestFacts request,
                   MessageHead& out);

// Trailers (§8.1): regular fields only, the block must end the stream, and none the field table
// marks kFieldNotInTrailers (content-length, host, te, connection fields; RFC 9110 §6.5.1).
// Errors: kPseudoInTrailers, kTrailersWithoutEndStream, kBadFieldName, kBadFieldValue,
//   kConnectionSpecific, kBadTe, kForbiddenTrailer.
Status to_trailers(std::span<const hpack::Field> fields, bool end_stream, HeaderList& out);

// Encoder side: the HPACK field list for `head`: pseudo-headers first from the head's fields
// (request: :method :scheme :authority :path [:protocol]; CONNECT omits :scheme/:path; a missing
// :authority is taken from host), then regular fields with lowercased names. Connection-specific
// fields (kFieldConnectionSpecific: connection, keep-alive, proxy-connection, transfer-encoding,
// upgrade) and a te other than "trailers" are dropped; host is dropped when it became :authority; a
// content-length is added when framing is KnownLength and none is present. `scratch` holds
// lowercased names and formatted numbers; `out` views point into it and into `head`.
void from_head(const MessageHead& head, std::vector<hpack::Field>& out, std::string& scratch);
// Regular fields only, lowercased; connection-specific and other kFieldNotInTrailers fields
// dropped.
void from_trailers(const HeaderList& trailers, std::vector<hpack::Field>& out,
                   std::string& scratch);

}  // namespace crossmux::codecs::h2
