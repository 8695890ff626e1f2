// Translation rules between HTTP/1.1 and HTTP/2 heads: field filtering, Host/:authority, checks.
#include "codecs/message/translate.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/content_length.h"
#include "codecs/base/field_table.h"
#include "codecs/base/swar.h"
#include "codecs/base/token.h"

namespace crossmux::codecs {
namespace {

enum : uint8_t { kToken = 1, kPath = 2, kHost = 4, kHex = 8 };

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) t[c] |= kPath | kHost;
    if (is_tchar(static_cast<uint8_t>(c))) t[c] |= kToken;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) t[c] |= kHex;
  }
  // RFC 3986 pchar / query: unreserved, sub-delims, ':', '@', '/', '?', '%'.
  for (char c : std::string_view("-._~!$&'()*+,;=:@/?%")) t[static_cast<uint8_t>(c)] |= kPath;
  for (char c : std::string_view("-._~!$&'()*+,;=:%[]")) t[static_cast<uint8_t>(c)] |= kHost;
  return t;
}
constexpr std::array<uint8_t, 256> kTable = make_table();

bool all_of(std::string_view s, uint8_t cls) {
  for (char c : s) {
    if (!(kTable[static_cast<uint8_t>(c)] & cls)) return false;
  }
  return true;
}

bool valid_percents(std::string_view s) {
  for (size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 1)) {
    if (i + 2 >= s.size() || !(kTable[static_cast<uint8_t>(s[i + 1])] & kHex) ||
        !(kTable[static_cast<uint8_t>(s[i + 2])] & kHex)) {
      return false;
    }
  }
  return true;
}

// A bracket anywhere in `s` (one pass: string_view::find_first_of searches its set per octet).
bool has_bracket(std::string_view s) {
  bool found = false;
  for (char c : s) found |= (c == '[') | (c == ']');
  return found;
}

// uri-host [":" port]; IP-literals in brackets; no userinfo (RFC 9113 §8.3.1 forbids it for
// http/https, and '@' in an authority is the classic host-confusion vector).
bool valid_authority(std::string_view a) {
  if (a.empty() || !all_of(a, kHost) || !valid_percents(a)) return false;
  std::string_view port;
  if (a.front() == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    std::string_view rest = a.substr(close + 1);
    if (has_bracket(a.substr(1, close - 1))) return false;
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
  } else {
    size_t colon = a.find(':');
    std::string_view host = a.substr(0, colon);
    if (host.empty() || has_bracket(host)) return false;
    if (colon != std::string_view::npos) port = a.substr(colon + 1);
  }
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_scheme(std::string_view s) {
  if (s.empty()) return true;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Unexpected<Error> fail(MessageKind kind, const char* detail) {
  if (kind == MessageKind::Response) {
    return unexpected(Error::http(502, detail, Side::Backend, Scope::Stream));
  }
  return unexpected(Error::http(400, detail, Side::Client, Scope::Stream));
}

Status validate_field(const HeaderField& f, MessageKind kind) {
  if (!is_token(f.name)) return fail(kind, kErrTranslateBadFieldName);
  // RFC 9110 §5.5: no control octet but HTAB, no DEL (obs-text passes).
  const bool octets_ok = swar::none_of(
      f.value, [](uint64_t w) { return swar::any_below(w, 0x20) | swar::any_equal(w, 0x7f); },
      [](uint8_t c) { return (c < 0x20 && c != '\t') || c == 0x7f; });
  if (!octets_ok) return fail(kind, kErrTranslateBadFieldValue);
  if (!f.value.empty()) {
    char first = f.value.front(), last = f.value.back();
    if (first == ' ' || first == '\t' || last == ' ' || last == '\t') {
      return fail(kind, kErrTranslateValueWhitespace);
    }
  }
  return ok();
}

template <class Fn>
void for_each_element(std::string_view value, Fn&& fn) {
  size_t start = 0;
  while (true) {
    size_t comma = value.find(',', start);
    std::string_view e = value.substr(start, comma == value.npos ? value.npos : comma - start);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t')) e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t')) e.remove_suffix(1);
    if (!e.empty()) fn(e);
    if (comma == value.npos) return;
    start = comma + 1;
  }
}

// RFC 9110 §7.6.1 hop-by-hop fields other than te, whose fate depends on its value and direction.
bool is_fixed_hop_by_hop(FieldId id) {
  return id != FieldId::Te && (field_info(id).properties & kFieldHopByHop) != 0;
}

// RFC 9110 §7.6.1: Connection names further hop-by-hop fields. Collected before anything is
// removed; a listed end-to-end name ("Connection: Content-Length") is removed too, as the
// sender asked, but never changes how the body is framed (framing lives in head.framing).
void remove_connection_specific(HeaderList& headers, bool keep_te_trailers) {
  std::vector<std::string> listed;
  for (const auto& f : headers) {
    if (iequals(f.name, "connection")) {
      for_each_element(f.value, [&](std::string_view e) { listed.emplace_back(e); });
    }
  }
  headers.remove_if([&](const HeaderField& f) {
    const FieldId id = find_field_with<kFieldHopByHop>(f.name);
    if (is_fixed_hop_by_hop(id)) return true;
    if (id == FieldId::Te) return !(keep_te_trailers && iequals(f.value, "trailers"));
    for (const auto& l : listed) {
      if (iequals(f.name, l)) return true;
    }
    return false;
  });
}

void lowercase_names(HeaderList& headers) {
  for (auto& f : headers) {
    if (swar::has_ascii_upper(f.name)) f.name = headers.own_lowercase(f.name);
  }
}

// RFC 9113 §8.2.3: crumbs are joined with "; " for HTTP/1.1. An empty crumb (valid in HTTP/2)
// carries no cookie-pair and is skipped: joined in, it left "a; " whose trailing space an HTTP/1.1
// parser strips (RFC 9110 §5.5), so the backend saw another value than the one we forwarded.
void join_cookies(HeaderList& headers) {
  if (headers.count("cookie") < 2) return;
  std::string joined;
  HeaderField* first = nullptr;
  for (auto& f : headers) {
    if (!iequals(f.name, "cookie")) continue;
    if (first == nullptr) first = &f;
    if (f.value.empty()) continue;
    if (!joined.empty()) joined += "; ";
    joined += f.value;
  }
  first->value = headers.own(joined);
  bool seen = false;
  headers.remove_if([&](const HeaderField& f) {
    if (!iequals(f.name, "cookie")) return false;
    if (!seen) {
      seen = true;
      return false;
    }
    return true;
  });
}

}  // namespace

Status validate_for_forwarding(const MessageHead& head) {
  const MessageKind kind = head.kind;
  if (head.is_request()) {
    if (!is_token(head.method)) return fail(kind, kErrTranslateBadMethod);
    bool connect = head.method == "CONNECT";
    if (head.path.empty()) {
      if (!connect) return fail(kind, kErrTranslateEmptyPath);
    } else if (head.path == "*") {
      if (head.method != "OPTIONS") return fail(kind, kErrTranslateBadPath);
    } else if (head.path.front() != '/' || !all_of(head.path, kPath) ||
               !valid_percents(head.path)) {
      return fail(kind, kErrTranslateBadPath);
    }
    if ((!head.authority.empty() || connect) && !valid_authority(head.authority)) {
      return fail(kind, kErrTranslateBadAuthority);
    }
    if (!valid_scheme(head.scheme)) return fail(kind, kErrTranslateBadScheme);
    // RFC 9113 §8.3.1: an HTTP/2 request whose host differs from :authority SHOULD be treated as
    // malformed (class I). HTTP/1.1 absolute-form is different: its authority wins and Host is
    // ignored (RFC 9112 §3.2.2), and the H1 encoder writes Host from the authority.
    if (head.version == Version::Http2 && (head.violations & kViolationHostAuthorityMismatch)) {
      return fail(kind, kErrTranslateHostMismatch);
    }
  } else if (head.status < 100 || head.status > 599) {
    return fail(kind, kErrTranslateBadStatus);
  }
  for (const auto& f : head.headers) {
    if (auto st = validate_field(f, kind); !st) return st;
  }
  return ok();
}

Status validate_trailers(const HeaderList& trailers, MessageKind kind) {
  for (const auto& f : trailers) {
    if (auto st = validate_field(f, kind); !st) return st;
    if (field_properties(f.name) & kFieldNotInTrailers) {
      return fail(kind, kErrTranslateForbiddenTrailer);
    }
  }
  return ok();
}

namespace {

// Decoders accept a repeated or listed Content-Length only when every value is the same (RFC 9110
// §8.6, kViolationDuplicateContentLength), and leading zeros ("005"). The HTTP/2 side gets one
// field in canonical form: nghttp2, for one, resets a stream carrying two (found by the
// mux_session fuzzer, a client's "content-length: 0" twice), and a peer stricter than RFC 9110
// may refuse leading zeros.
void single_content_length(MessageHead& head) {
  const size_t n = head.headers.count("content-length");
  if (n == 0) return;
  const HeaderField* first = head.headers.find("content-length");
  const ContentLength cl = parse_content_length(first->value);
  if (!cl.ok()) return;  // the decoders refuse such a value; nothing sane to collapse it to
  std::string value = std::to_string(cl.value);
  if (n == 1 && value == first->value) return;
  // A known length is what the decoder framed the body with; otherwise the head's value (a
  // bodiless response's length: HEAD, 304).
  if (head.framing == Framing::KnownLength) value = std::to_string(head.content_length);
  head.headers.remove("content-length");
  head.headers.add_copy("content-length", value);
}

// RFC 9110 §8.6: "A server MUST NOT send a Content-Length header field in any response with a
// status code of 1xx (Informational) or 204 (No Content)." The decoders already frame such a
// response as bodiless whatever it says; a backend that sends one anyway must not make the proxy
// repeat it: HTTP/2 clients (nghttp2, so curl) reset a 204 stream whose content-length is not 0.
// 304 keeps it (it describes the selected representation), as does a response to HEAD. A length
// the proxy kept from the head (a HEAD response's KnownLength, an HTTP/2 204's content_length)
// goes too, or the HTTP/2 encoder would write it back.
void drop_content_length_where_forbidden(MessageHead& head) {
  if (head.kind == MessageKind::Response && (head.status < 200 || head.status == 204)) {
    head.headers.remove("content-length");
    if (head.framing == Framing::KnownLength) head.framing = Framing::None;
    head.content_length = 0;
  }
}

}  // namespace

Status prepare_for_h2(MessageHead& head) {
  remove_connection_specific(head.headers, true);
  drop_content_length_where_forbidden(head);
  single_content_length(head);
  if (head.is_request()) {
    if (head.authority.empty()) {
      if (const HeaderField* host = head.headers.find("host")) head.authority = host->value;
    }
    head.headers.remove("host");
  }
  lowercase_names(head.headers);
  return validate_for_forwarding(head);
}

Status prepare_for_h1(MessageHead& head) {
  join_cookies(head.headers);
  // RFC 9110 §7.8: the Upgrade of an upgrade request or of a 101 is what the tunnel speaks; it
  // survives (the H1 encoder writes it with `Connection: upgrade`), every other hop field goes.
  // RFC 9113 §3.1: h2c (the HTTP/1.1 upgrade to HTTP/2) is never forwarded, in any element of
  // the list: a backend switching to HTTP/2 behind us would read frames no check of ours saw.
  const HeaderField* upgrade =
      head.framing == Framing::Tunnel ? head.headers.find("upgrade") : nullptr;
  std::string kept;
  if (upgrade) {
    for_each_element(upgrade->value, [&](std::string_view e) {
      if (iequals(e, "h2c")) return;
      if (!kept.empty()) kept += ", ";
      kept += e;
    });
  }
  const std::string_view protocols = kept.empty() ? std::string_view() : head.headers.own(kept);
  // RFC 9113 §3.4, §11.6: PRI only starts the HTTP/2 preface; an HTTP/2 client's :method PRI
  // must not reach an HTTP/1.1 backend (one sniffing "PRI " would switch protocols). The H1
  // decoder refuses it the same way (kErrPriMethod).
  if (head.is_request() && head.method == "PRI") return fail(head.kind, kErrTranslatePriMethod);
  remove_connection_specific(head.headers, false);
  drop_content_length_where_forbidden(head);
  if (!protocols.empty()) head.headers.add_view("upgrade", protocols);
  if (head.is_request()) {
    for (const auto& f : head.headers) {
      if (!iequals(f.name, "host")) continue;
      if (head.authority.empty()) {
        head.authority = f.value;
      } else if (head.version == Version::Http2 && !iequals(f.value, head.authority)) {
        return fail(head.kind, kErrTranslateHostMismatch);
      }
      // An HTTP/1.1 absolute-form target wins over Host (RFC 9112 §3.2.2): the Host goes, and the
      // H1 encoder writes one from the authority.
    }
    head.headers.remove("host");
  }
  return validate_for_forwarding(head);
}

}  // namespace crossmux::codecs
