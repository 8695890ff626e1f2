// RFC 9113 §8 field validation and pseudo-header mapping between HPACK field lists and the IR.
#include "codecs/h2/header_semantics.h"

#include <array>

#include "codecs/base/content_length.h"
#include "codecs/base/field_table.h"
#include "codecs/base/swar.h"
#include "codecs/base/token.h"
#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {

namespace {

// RFC 9110 §5.6.2 tchar without uppercase letters (RFC 9113 §8.2.1 forbids uppercase names).
constexpr std::array<bool, 256> kNameChar = [] {
  std::array<bool, 256> t = kTokenChars;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = false;
  return t;
}();

Status malformed(const char* detail) {
  return unexpected(Error::h2(Scope::Stream, H2Code::ProtocolError, detail));
}

// Branch-free loops (no early exit) so the compiler can vectorize them; fields are short.
bool valid_name(std::string_view n) {
  bool good = !n.empty();
  for (char c : n) good &= kNameChar[static_cast<uint8_t>(c)];
  return good;
}

// §8.2.1: no NUL, CR or LF anywhere; no SP/HTAB at either end.
bool valid_value(std::string_view v) {
  if (!v.empty() &&
      (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t')) {
    return false;
  }
  // Words with an octet below 0x0e (NUL, LF and CR among them) are checked octet by octet.
  return swar::none_of(
      v, [](uint64_t w) { return swar::any_below(w, 0x0e); },
      [](uint8_t c) { return c == '\0' || c == '\r' || c == '\n'; });
}

// Clears a head for reuse, keeping the header list's capacity (no allocation per message).
void reset(MessageHead& h, MessageKind kind) {
  h.kind = kind;
  h.version = Version::Http2;
  h.method = h.scheme = h.authority = h.path = h.protocol = {};
  h.status = 0;
  h.headers.clear();
  h.framing = Framing::None;
  h.content_length = 0;
  h.violations = kViolationNone;
  h.keep_alive = true;
  h.expect_continue = false;
}

// The names check_regular looks at in heads and in trailers.
constexpr uint16_t kHeadChecked =
    kFieldConnectionSpecific | kFieldTrailersValueOnly | kFieldFraming;
constexpr uint16_t kTrailerChecked = kHeadChecked | kFieldNotInTrailers;

// Validates one regular field and tracks content-length (§8.2.1, §8.2.2, §8.1.1). In trailers,
// the fields the table marks kFieldNotInTrailers are malformed too (RFC 9110 §6.5.1).
Status check_regular(const hpack::Field& f, bool trailers, bool& has_cl, uint64_t& cl) {
  if (!valid_name(f.name)) return malformed(kBadFieldName);
  if (!valid_value(f.value)) return malformed(kBadFieldValue);
  const FieldId id =
      trailers ? find_field_with<kTrailerChecked>(f.name) : find_field_with<kHeadChecked>(f.name);
  if (id == FieldId::Unknown) return ok();
  const uint16_t props = field_info(id).properties;
  if (props & kFieldConnectionSpecific) return malformed(kConnectionSpecific);
  if ((props & kFieldTrailersValueOnly) && !iequals(f.value, "trailers")) return malformed(kBadTe);
  if (trailers && (props & kFieldNotInTrailers)) return malformed(kForbiddenTrailer);
  if (id == FieldId::ContentLength) {
    const ContentLength v = parse_content_length(f.value);
    if (!v.ok() || (has_cl && v.value != cl)) return malformed(kBadContentLength);
    has_cl = true;
    cl = v.value;
  }
  return ok();
}

// Sets one pseudo-header slot, rejecting duplicates (§8.3).
Status set_pseudo(std::string_view& slot, bool& seen, std::string_view value) {
  if (seen) return malformed(kDuplicatePseudo);
  if (!valid_value(value)) return malformed(kBadFieldValue);
  seen = true;
  slot = value;
  return ok();
}

struct RequestPseudo {
  bool method = false, scheme = false, authority = false, path = false, protocol = false;
};

Status request_pseudo(const hpack::Field& f, bool extended_connect, RequestPseudo& seen,
                      MessageHead& out) {
  std::string_view n = f.name;
  if (n == ":method") return set_pseudo(out.method, seen.method, f.value);
  if (n == ":scheme") return set_pseudo(out.scheme, seen.scheme, f.value);
  if (n == ":authority") return set_pseudo(out.authority, seen.authority, f.value);
  if (n == ":path") return set_pseudo(out.path, seen.path, f.value);
  if (n == ":protocol" && extended_connect) {
    return set_pseudo(out.protocol, seen.protocol, f.value);
  }
  return malformed(kUnknownPseudo);
}

// RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool scheme_ok(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))
      return false;
  }
  return true;
}

// RFC 3986 §3.2 authority octets: unreserved, pct-encoded, sub-delims, ':', '@', '[', ']'.
// Userinfo ('@') is refused later by the translation rules (RFC 9113 §8.3.1).
constexpr std::array<bool, 256> kAuthorityChar = [] {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("-._~%!$&'()*+,;=:@[]")) t[static_cast<uint8_t>(c)] = true;
  return t;
}();
bool authority_ok(std::string_view s) {
  bool good = !s.empty();
  for (char c : s) good &= kAuthorityChar[static_cast<uint8_t>(c)];
  return good;
}

// §8.3.1 presence rules, §8.5 CONNECT, RFC 8441 §4 extended CONNECT.
Status check_request_pseudo(const RequestPseudo& seen, const MessageHead& out) {
  if (!seen.method || out.method.empty()) return malformed(kMissingPseudo);
  if (!is_token(out.method)) return malformed(kBadMethod);  // RFC 9110 §9.1
  if (seen.authority && !authority_ok(out.authority)) return malformed(kBadAuthority);  // §8.3.1
  bool connect = out.method == "CONNECT";
  if (connect && !seen.protocol) {
    if (seen.scheme || seen.path || !seen.authority) return malformed(kConnectPseudo);
    return ok();
  }
  if (seen.protocol && !connect) return malformed(kUnknownPseudo);
  if (!seen.scheme || !seen.path) return malformed(kMissingPseudo);
  if (!scheme_ok(out.scheme)) return malformed(kBadScheme);
  if (seen.protocol && !seen.authority) return malformed(kConnectPseudo);
  bool origin_form = !out.path.empty() && out.path[0] == '/';
  bool asterisk = out.path == "*" && out.method == "OPTIONS";
  if (!origin_form && !asterisk) return malformed(kBadPath);
  // §8.3.1: :path is absolute-path [ "?" query ] (RFC 3986), which has no space or control
  // character (nghttp2 resets those too). The finer charset (no '#', '{', ...) is the translation
  // layer's (translate.cc), which refuses it before any backend sees it.
  for (char c : out.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return malformed(kBadPath);
  }
  return ok();
}

Framing body_framing(bool end_stream, bool has_cl, uint64_t cl, MessageHead& out) {
  if (end_stream) return Framing::None;
  if (has_cl) {
    out.content_length = cl;
    return Framing::KnownLength;
  }
  return Framing::Streaming;
}

}  // namespace

Status to_request(std::span<const hpack::Field> fields, bool end_stream, bool extended_connect,
                  MessageHead& out) {
  reset(out, MessageKind::Request);
  RequestPseudo seen;
  bool regular = false, has_cl = false;
  uint64_t cl = 0;
  for (const hpack::Field& f : fields) {
    if (!f.name.empty() && f.name[0] == ':') {
      // §8.3: pseudo-headers only before regular fields.
      if (regular) return malformed(kPseudoAfterRegular);
      if (Status s = request_pseudo(f, extended_connect, seen, out); !s) return s;
      continue;
    }
    regular = true;
    if (Status s = check_regular(f, false, has_cl, cl); !s) return s;
    out.headers.add_view(f.name, f.value, f.sensitive);
  }
  if (Status s = check_request_pseudo(seen, out); !s) return s;
  // §8.3.1: a scheme with a mandatory authority (http, https) needs :authority or Host, and
  // whichever is present must not be empty (RFC 9110 §4.2.1-4.2.2 forbid an empty host).
  if (!out.scheme.empty()) {
    const HeaderField* host = out.headers.find("host");
    const bool needs_authority = iequals(out.scheme, "http") || iequals(out.scheme, "https");
    // (An empty :authority was already refused by check_request_pseudo.)
    if ((host && host->value.empty()) || (needs_authority && !seen.authority && !host)) {
      return malformed(kMissingAuthority);
    }
    // RFC 9110 §7.2: Host is uri-host [":" port], held to the same octets as :authority (it
    // stands in for it when :authority is absent, and is what an HTTP/1.1 backend receives).
    if (host && !authority_ok(host->value)) return malformed(kBadAuthority);
  }
  // §8.1.1: END_STREAM on HEADERS means a zero-length body.
  if (end_stream && has_cl && cl != 0) return malformed(kContentLengthMismatch);
  if (const HeaderField* host = out.headers.find("host");
      host && seen.authority && !iequals(host->value, out.authority)) {
    out.violations |= kViolationHostAuthorityMismatch;
  }
  if (out.method == "CONNECT" && !end_stream) {
    out.framing = Framing::Tunnel;
  } else {
    out.framing = body_framing(end_stream, has_cl, cl, out);
  }
  return ok();
}

Status to_response(std::span<const hpack::Field> fields, bool end_stream, RequestFacts request,
                   MessageHead& out) {
  reset(out, MessageKind::Response);
  bool regular = false, has_cl = false, seen_status = false;
  uint64_t cl = 0;
  for (const hpack::Field& f : fields) {
    if (!f.name.empty() && f.name[0] == ':') {
      if (regular) return malformed(kPseudoAfterRegular);
      if (f.name != ":status") return malformed(kUnknownPseudo);
      if (seen_status) return malformed(kDuplicatePseudo);
      seen_status = true;
      std::string_view v = f.value;
      if (v.size() != 3 || v[0] < '1' || v[0] > '9' || v[1] < '0' || v[1] > '9' || v[2] < '0' ||
          v[2] > '9') {
        return malformed(kBadStatus);
      }
      out.status = static_cast<uint16_t>((v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0'));
      continue;
    }
    regular = true;
    if (Status s = check_regular(f, false, has_cl, cl); !s) return s;
    out.headers.add_view(f.name, f.value, f.sensitive);
  }
  if (!seen_status) return malformed(kMissingPseudo);
  // §8.6: 101 Switching Protocols does not exist in HTTP/2.
  if (out.status == 101) return malformed(kBadStatus);
  if (out.status < 200) {
    if (end_stream) return malformed(kInterimWithEndStream);
    out.framing = Framing::None;
    return ok();
  }
  bool bodiless = request.head || out.status == 204 || out.status == 304;
  if (request.connect && out.status < 300 && !end_stream) {
    out.framing = Framing::Tunnel;
  } else if (bodiless) {
    out.framing = Framing::None;
    if (has_cl) out.content_length = cl;
  } else {
    if (end_stream && has_cl && cl != 0) return malformed(kContentLengthMismatch);
    out.framing = body_framing(end_stream, has_cl, cl, out);
  }
  return ok();
}

Status to_trailers(std::span<const hpack::Field> fields, bool end_stream, HeaderList& out) {
  out.clear();
  if (!end_stream) return malformed(kTrailersWithoutEndStream);
  bool has_cl = false;
  uint64_t cl = 0;
  for (const hpack::Field& f : fields) {
    if (!f.name.empty() && f.name[0] == ':') return malformed(kPseudoInTrailers);
    if (Status s = check_regular(f, true, has_cl, cl); !s) return s;
    out.add_view(f.name, f.value, f.sensitive);
  }
  return ok();
}

namespace {

// Appends `s` lowercased to `scratch` (capacity reserved by the caller) and returns the view.
std::string_view lowered(std::string_view s, std::string& scratch) {
  size_t at = scratch.size();
  for (char c : s) scratch.push_back(swar::ascii_lower(c));
  return std::string_view(scratch).substr(at, s.size());
}

// What the encoder leaves out: connection-specific fields and a te other than "trailers"
// (§8.2.2), so no peer that checks them finds a malformed message; in trailers also every
// kFieldNotInTrailers field (RFC 9110 §6.5.1), which our own decoder refuses there.
bool drop_on_encode(std::string_view lower_name, std::string_view value, bool trailers) {
  const FieldId id = find_field_with<kTrailerChecked>(lower_name);
  if (id == FieldId::Unknown) return false;
  const uint16_t props = field_info(id).properties;
  if (props & kFieldConnectionSpecific) return true;
  if (trailers && (props & kFieldNotInTrailers)) return true;
  return (props & kFieldTrailersValueOnly) && !iequals(value, "trailers");
}

void add_regular(const HeaderList& list, bool drop_host, bool trailers,
                 std::vector<hpack::Field>& out, std::string& scratch) {
  for (const HeaderField& f : list) {
    std::string_view name = swar::has_ascii_upper(f.name) ? lowered(f.name, scratch) : f.name;
    if (drop_on_encode(name, f.value, trailers) || (drop_host && name == "host")) continue;
    out.push_back(hpack::Field{name, f.value, f.sensitive, f.unique});
  }
}

}  // namespace

void from_head(const MessageHead& head, std::vector<hpack::Field>& out, std::string& scratch) {
  out.clear();
  scratch.clear();
  size_t need = 32;
  for (const HeaderField& f : head.headers) need += f.name.size();
  scratch.reserve(need);  // views into scratch stay valid: it never reallocates below
  bool drop_host = false;
  if (head.is_request()) {
    std::string_view authority = head.authority;
    if (authority.empty()) {
      if (const HeaderField* host = head.headers.find("host")) authority = host->value;
    }
    drop_host = !authority.empty();
    out.push_back({":method", head.method});
    bool plain_connect = head.method == "CONNECT" && head.protocol.empty();
    if (!plain_connect) out.push_back({":scheme", head.scheme.empty() ? "https" : head.scheme});
    if (!authority.empty()) out.push_back({":authority", authority});
    if (!plain_connect) out.push_back({":path", head.path.empty() ? "/" : head.path});
    if (!head.protocol.empty()) out.push_back({":protocol", head.protocol});
  } else {
    size_t at = scratch.size();
    scratch += std::to_string(head.status);
    out.push_back({":status", std::string_view(scratch).substr(at)});
  }
  add_regular(head.headers, drop_host, false, out, scratch);
  if (head.framing == Framing::KnownLength && !head.headers.find("content-length")) {
    size_t at = scratch.size();
    scratch += std::to_string(head.content_length);
    out.push_back({"content-length", std::string_view(scratch).substr(at)});
  }
}

void from_trailers(const HeaderList& trailers, std::vector<hpack::Field>& out,
                   std::string& scratch) {
  out.clear();
  scratch.clear();
  size_t need = 0;
  for (const HeaderField& f : trailers) need += f.name.size();
  scratch.reserve(need);
  add_regular(trailers, false, true, out, scratch);
}

}  // namespace crossmux::codecs::h2
