// The documented differences between our H2 server and nghttp2 (codecs/reference/nghttp2_adapter.h)
// that the h2_diff oracle forgives. Keep it small: every entry is a known, intended difference.
#pragma once

#include <cstdint>
#include <string_view>

#include "codecs/base/field_table.h"
#include "codecs/h2/h2_errors.h"

namespace crossmux::fuzz {

// What one side saw of a request stream, in a form both sides can produce.
struct StreamView {
  std::string_view method, scheme, authority, path;
  size_t content_length_fields = 0;
  size_t host_fields = 0;
  bool host_mismatch = false;      // kViolationHostAuthorityMismatch
  bool forbidden_trailer = false;  // a kFieldNotInTrailers field in the trailers
  bool ctl_in_value = false;       // a field value with a control byte other than NUL, CR, LF
};

inline bool hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 3986 §3.2: unreserved, sub-delims, pct-encoded, ':' and IP-literal brackets.
inline bool authority_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:[]%@").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

// We reset a request that nghttp2 delivered. Allowed only when we are the stricter one.
inline bool allowed_ours_reset(const StreamView& theirs) {
  // nghttp2's :path charset admits '#', '"', '\', '{', '}', '|' and 0x80-0xff; RFC 3986 does not
  // (attacks-and-fuzzing.md §3.1 H), and we refuse them, as we refuse invalid %XX escapes.
  for (size_t i = 0; i < theirs.path.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(theirs.path[i]);
    if (c == '#' || c == '"' || c == '\\' || c == '{' || c == '}' || c == '|' || c >= 0x80 ||
        c == '^' || c == '`' || c == '<' || c == '>') {
      return true;
    }
    if (c == '%' &&
        (i + 2 >= theirs.path.size() || !hex(theirs.path[i + 1]) || !hex(theirs.path[i + 2]))) {
      return true;
    }
  }
  // ":path: *" is only for OPTIONS (RFC 9113 §8.3.1, RFC 9110 §7.1); nghttp2 takes it for any
  // method.
  if (theirs.path == "*" && theirs.method != "OPTIONS") return true;
  // We take only origin-form paths (leading '/'), whatever the scheme; nghttp2 checks the
  // charset only.
  if (!theirs.path.empty() && theirs.path[0] != '/' && theirs.path != "*") return true;
  // Framing, routing and connection fields in trailers (codecs/base/field_table.h
  // kFieldNotInTrailers, RFC 9110 §6.5.1): we reset, as our HTTP/1.1 decoder and translation refuse
  // them; nghttp2 resets only a content-length or host the head already had, and takes te.
  if (theirs.forbidden_trailer) return true;
  // nghttp2 admits '@' (userinfo) in :authority; RFC 9113 §8.3.1 forbids userinfo (§3.1 I).
  return theirs.authority.find('@') != std::string_view::npos;
}

// nghttp2 reset a request that we delivered.
inline bool allowed_theirs_reset(const StreamView& ours) {
  // nghttp2 rejects any repeated content-length, and a list ("5, 5"); identical values collapse
  // per RFC 9110 §8.6 (codecs/base/content_length.h, as in HTTP/1.1). content_length_fields
  // counts list elements.
  if (ours.content_length_fields > 1) return true;
  // A Host differing from :authority, or repeated, is a soft violation bit for us (the
  // translation layer refuses it, kErrTranslateHostMismatch); nghttp2 resets (RFC 9113 §8.3.1
  // SHOULD).
  if (ours.host_mismatch || ours.host_fields > 1) return true;
  // Control bytes other than NUL, CR, LF and leading/trailing whitespace rules aside, RFC 9113
  // §8.2.1 lets a field value carry them; nghttp2 resets, the translation layer refuses them
  // (validate_for_forwarding, class C).
  if (ours.ctl_in_value) return true;
  // No :authority and no Host: nghttp2 resets every such request; RFC 9113 §8.3.1 requires an
  // authority only for schemes that have a mandatory one (http, https), which we refuse too.
  // (Another scheme's request cannot be routed by the proxy, which answers it 404.)
  const bool http_scheme = ours.scheme == "http" || ours.scheme == "https";
  return ours.authority.empty() && ours.host_fields == 0 && !http_scheme;
}

// nghttp2 failed the connection and we did not.
inline bool allowed_theirs_connection_error(uint32_t code) {
  // Frames on a stream the peer already ended (and we reset) may be a connection error of type
  // STREAM_CLOSED or ignored (RFC 9113 §5.1 "closed": MAY); nghttp2 chooses the former.
  return code == 0x5;  // STREAM_CLOSED
}

// We failed the connection and nghttp2 did not.
inline bool allowed_ours_connection_error(std::string_view detail) {
  // RFC 8441 §3 forbids withdrawing SETTINGS_ENABLE_CONNECT_PROTOCOL; we enforce it from either
  // peer, nghttp2 ignores the setting when a client sends it.
  if (detail == codecs::h2::kEnableConnectWithdrawn) return true;
  // Our unread-control-frame cap (max_queued_control, 1,000 like nghttp2's) counts the
  // RST_STREAMs a peer's stream errors make us queue as well as PING/SETTINGS ACKs; nghttp2's
  // flood counter counts only the ACKs. This detail is used only when the ACKs alone stayed
  // within the cap (fuzz finding ours-control-queue-full-where-nghttp2-is-not).
  if (detail == codecs::h2::kControlQueueFullWithResets) return true;
  // HEADERS on a stream the peer closed: after END_STREAM RFC 9113 §5.1 requires a connection
  // error STREAM_CLOSED, after the peer's own RST_STREAM a stream error; our stream table keeps
  // only "closed" for a forgotten stream, so we answer both with the connection error, which
  // §5.4.1 allows for any stream error ("MAY choose to treat a stream error as a connection
  // error"). nghttp2 resets the stream (fuzz finding headers-after-client-rst-connection-error).
  return detail == codecs::h2::kHeadersOnClosedStream;
}

}  // namespace crossmux::fuzz
