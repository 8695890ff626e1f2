// LlhttpDecoder: llhttp (the HTTP/1.1 oracle) with every lenient flag off, emitting the same IR
// events as codecs/h1's Decoder. Linked only by tests, fuzzers and benchmarks — never by the proxy.
//
// Intentional differences from h1::Decoder (the differential oracles allowlist these; our decoder
// is the stricter one in every case but the first and the RFC leniencies at the end):
// - Methods: llhttp accepts only the methods it knows; we accept any token (RFC 9110 §9.1), so an
//   unknown method is a request llhttp rejects and we accept.
// - Content-Length: llhttp rejects every duplicate, where we collapse identical values ("5, 5",
//   repeated lines) with kViolationDuplicateContentLength (both accept leading zeros, "005").
// - Transfer-Encoding: llhttp accepts unknown codings before chunked ("gzip, chunked") and TE in
//   HTTP/1.0 messages; we answer 501 for any coding but chunked, 400 for chunked twice or not
//   last, and 400 for TE in HTTP/1.0 (RFC 9112 §6.1).
// - Request targets: llhttp accepts '#' fragments and several bytes outside RFC 3986 (`"`, `<`,
//   `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, 0x80-0xff) and does not check %XX; we refuse them.
// - Host: llhttp does not require Host in HTTP/1.1, does not limit it to one, and does not validate
//   it; we answer 400 (RFC 9112 §3.2).
// - Obs-fold in responses: we replace it with one SP (kViolationObsFold) or reject, by policy;
//   the adapter does not normalise llhttp's handling of it.
// - Trailers: llhttp accepts Content-Length, Transfer-Encoding and Host in trailers; we reject.
// - 204 / 304: llhttp reads a Content-Length body after them; the adapter skips it (as for HEAD,
//   via on_headers_complete returning 1) because RFC 9112 §6.3 says they have none.
// - 1xx: llhttp reports each interim response as a complete message; this adapter maps it to our
//   shape (head without end, same stream id) so traces compare.
// - 101: llhttp starts a tunnel only when the 101 carries Upgrade plus Connection: upgrade; we
//   start it on any 101 to a request that asked for an upgrade, and reject an unsolicited 101.
// - Tunnels: on a request tunnel (CONNECT, or Upgrade without body) this adapter stops consuming,
//   like our decoder awaiting resolve_tunnel(); on a response tunnel the rest is data. A request
//   with Upgrade and content is no tunnel for us (RFC 9110 §7.8: a server MAY ignore Upgrade):
//   llhttp pauses after its body, and the adapter resumes, parsing what follows as requests.
// - Values: llhttp keeps trailing whitespace in field values; the adapter trims it (RFC 9110 §5.5)
//   so values compare.
// - Limits: llhttp has no header size, count or line limits; ours give 414 / 431.
// - RFC leniencies llhttp refuses and we accept: BWS before ";" and around "=" in chunk extensions
//   (RFC 9112 §7.1.1; llhttp: HPE_INVALID_CHUNK_SIZE / HPE_STRICT), an empty list element after
//   the last transfer coding, "chunked," (RFC 9110 §5.6.1; HPE_INVALID_TRANSFER_ENCODING), and
//   HTTP/1.2 and up, processed as HTTP/1.1 (RFC 9110 §2.5; HPE_INVALID_VERSION).
// - Errors carry Error::http(400, <llhttp errno name>) for requests and 502 for responses; the
//   status and detail do not match ours, only the fact of rejection does.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "codecs/base/bytes.h"
#include "codecs/base/result.h"
#include "codecs/message/events.h"
#include "codecs/message/message.h"

namespace crossmux::codecs::reference {

class LlhttpDecoder {
 public:
  explicit LlhttpDecoder(MessageKind kind);
  ~LlhttpDecoder();
  LlhttpDecoder(const LlhttpDecoder&) = delete;
  LlhttpDecoder& operator=(const LlhttpDecoder&) = delete;

  // llhttp buffers partial tokens itself, so it consumes every byte it does not reject (except
  // bytes after a request tunnel head or after a message that closes the connection).
  // Errors: Error::http(400 or 502, llhttp_errno_name(...)) — also sent to on_connection_error.
  Result<size_t> feed(Bytes input, EventSink& sink);
  // The peer closed: ends a close-delimited response or tunnel; error when cut mid-message.
  Status finish(EventSink& sink);
  // Response decoders: the method of the next outstanding request (HEAD, CONNECT matter).
  void expect_response(std::string_view method);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossmux::codecs::reference
