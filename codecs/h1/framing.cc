// Request-target forms, Host rules and body framing decisions for HTTP/1.1 (RFC 9112 §3.2, §6).
#include "codecs/h1/framing.h"

#include "codecs/h1/chars.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {

// Every '%' must start a pct-encoded triplet (RFC 3986 §2.1).
static bool valid_percents(std::string_view s) {
  for (size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 1)) {
    if (i + 2 >= s.size() || !is_class(static_cast<uint8_t>(s[i + 1]), kCharHex) ||
        !is_class(static_cast<uint8_t>(s[i + 2]), kCharHex)) {
      return false;
    }
  }
  return true;
}

static bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// General form: IP-literals, pct-encoded reg-names.
static bool valid_authority_slow(std::string_view a) {
  for (char c : a) {
    if (!is_class(static_cast<uint8_t>(c), kCharHost)) return false;
  }
  if (!valid_percents(a)) return false;
  std::string_view host = a, port;
  if (a.front() == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    host = a.substr(0, close + 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port = rest.substr(1);
    if (host.substr(1).find('[') != std::string_view::npos) return false;
  } else {
    size_t colon = a.find(':');
    if (colon != std::string_view::npos) {
      host = a.substr(0, colon);
      port = a.substr(colon + 1);
    }
    if (host.empty() || host.find_first_of("[]") != std::string_view::npos) return false;
  }
  return port.find_first_of(":[]") == std::string_view::npos && all_digits(port);
}

bool valid_authority(std::string_view a, bool allow_empty) {
  if (a.empty()) return allow_empty;
  // Fast path, one pass: reg-name or IPv4 then an optional ":" port.
  size_t i = 0, n = a.size();
  while (i < n && is_class(static_cast<uint8_t>(a[i]), kCharRegName)) ++i;
  if (i == n) return true;
  if (a[i] != ':' || i == 0) return valid_authority_slow(a);
  return all_digits(a.substr(i + 1));
}

static constexpr std::string_view kRootPath = "/";
static constexpr std::string_view kAsteriskPath = "*";

// RFC 9112 §3.2.2: absolute-form = absolute-URI; for http/https, scheme "://" authority
// path-abempty [ "?" query ]. The authority wins over Host (§3.2.2).
static Status apply_absolute_form(std::string_view target, MessageHead& head) {
  constexpr MessageKind kReq = MessageKind::Request;
  size_t sep = target.find("://");
  if (sep == std::string_view::npos) return unexpected(decode_error(kReq, 400, kErrBadTarget));
  std::string_view scheme = target.substr(0, sep);
  if (iequals(scheme, "http")) {
    head.scheme = "http";
  } else if (iequals(scheme, "https")) {
    head.scheme = "https";
  } else {
    return unexpected(decode_error(kReq, 400, kErrBadScheme));
  }
  std::string_view rest = target.substr(sep + 3);
  size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  if (!valid_authority(authority, false)) return unexpected(decode_error(kReq, 400, kErrBadTarget));
  head.authority = authority;
  if (path_at == std::string_view::npos) {
    head.path = kRootPath;
  } else if (rest[path_at] == '?') {
    std::string joined = "/";
    joined += rest.substr(path_at);
    head.path = head.headers.own(joined);
  } else {
    head.path = rest.substr(path_at);
  }
  return ok();
}

static Status apply_target(std::string_view target, MessageHead& head) {
  constexpr MessageKind kReq = MessageKind::Request;
  if (head.method == "CONNECT") {
    // RFC 9112 §3.2.3: authority-form only, and it needs a port: a colon after the host, an
    // IP-literal's closing bracket included (the colons inside "[::1]" name no port).
    size_t colon = target.rfind(':');
    size_t host_end = !target.empty() && target.front() == '[' ? target.find(']') : 0;
    if (!valid_authority(target, false) || colon == std::string_view::npos || colon < host_end ||
        colon + 1 == target.size()) {
      return unexpected(decode_error(kReq, 400, kErrConnectTarget));
    }
    head.authority = target;
    return ok();
  }
  if (target.front() == '/') {
    head.path = target;
    return ok();
  }
  if (target == "*") {
    if (head.method != "OPTIONS")
      return unexpected(decode_error(kReq, 400, kErrAsteriskNotOptions));
    head.path = kAsteriskPath;
    return ok();
  }
  return apply_absolute_form(target, head);
}

// Shared CL/TE verdict. RFC 9112 §6.1: TE in HTTP/1.0 is faulty framing; §6.3: CL with TE ought to
// be an error (we reject rather than let TE win, and the connection closes); chunked at most once
// and last; codings other than chunked are not implemented (501 on requests, RFC 9112 §6.1).
static Status check_transfer_encoding(MessageKind kind, const FieldFacts& f,
                                      const MessageHead& head) {
  if (f.transfer_encoding_lines == 0) return ok();
  if (head.version == Version::Http10)
    return unexpected(decode_error(kind, 400, kErrHttp10TransferEncoding));
  if (f.content_length_lines > 0) {
    return unexpected(decode_error(kind, 400, kErrContentLengthWithTransferEncoding));
  }
  if (f.chunked_count > 1) return unexpected(decode_error(kind, 400, kErrChunkedTwice));
  if (f.chunked_count == 1 && !f.chunked_last) {
    return unexpected(decode_error(kind, 400, kErrChunkedNotFinal));
  }
  if (f.unknown_coding) return unexpected(decode_error(kind, 501, kErrUnknownTransferCoding));
  return ok();
}

static Status set_body_framing(MessageKind kind, const FieldFacts& f, const Limits& limits,
                               MessageHead& head) {
  if (f.transfer_encoding_lines > 0) {
    head.framing = Framing::Streaming;
  } else if (f.content_length_lines > 0) {
    if (limits.max_body != 0 && f.content_length > limits.max_body) {
      return unexpected(decode_error(kind, 413, kErrBodyTooLarge));
    }
    head.framing = Framing::KnownLength;
    head.content_length = f.content_length;
  }
  return ok();
}

// RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 persists only with "keep-alive".
static bool persistent(const FieldFacts& f, Version v) {
  if (f.connection_close) return false;
  return v == Version::Http11 || f.connection_keep_alive;
}

static void set_common(const FieldFacts& f, MessageHead& head) {
  head.keep_alive = persistent(f, head.version);
  if (f.content_length_duplicate) head.violations |= kViolationDuplicateContentLength;
  if (f.obs_fold) head.violations |= kViolationObsFold;
}

// Host values inside a complete head are followed by CRLF CRLF, so the unrolled class scan may
// read past them; the common "name[:port]" shape is decided in one pass.
static bool valid_host_field(std::string_view host) {
  auto p = reinterpret_cast<const uint8_t*>(host.data());
  auto end = p + host.size();
  const uint8_t* stop = skip_class(p, kCharRegName);
  if (stop >= end) return true;
  if (*stop != ':' || stop == p) return valid_authority(host, true);
  for (++stop; stop < end; ++stop) {
    if (*stop < '0' || *stop > '9') return false;
  }
  return true;
}

Status finish_request(std::string_view target, const FieldFacts& f, const Limits& limits,
                      MessageHead& head) {
  constexpr MessageKind kReq = MessageKind::Request;
  if (auto st = apply_target(target, head); !st) return st;
  // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1 (at most one in 1.0).
  if (f.host_count > 1) return unexpected(decode_error(kReq, 400, kErrDuplicateHost));
  if (f.host_count == 0 && head.version == Version::Http11) {
    return unexpected(decode_error(kReq, 400, kErrMissingHost));
  }
  if (f.host_count == 1) {
    if (!valid_host_field(f.host)) return unexpected(decode_error(kReq, 400, kErrBadHost));
    if (head.authority.empty()) {
      head.authority = f.host;
    } else if (!iequals(head.authority, f.host)) {
      head.violations |= kViolationHostAuthorityMismatch;
    }
  }
  if (f.transfer_encoding_lines != 0 || f.content_length_lines != 0) {
    if (auto st = check_transfer_encoding(kReq, f, head); !st) return st;
    if (auto st = set_body_framing(kReq, f, limits, head); !st) return st;
  }
  set_common(f, head);
  head.expect_continue = f.expect_continue && head.version == Version::Http11;
  bool bodiless = head.framing == Framing::None ||
                  (head.framing == Framing::KnownLength && head.content_length == 0);
  // RFC 9110 §9.3.6 CONNECT and §7.8 Upgrade: what follows the head is the tunnel, once accepted.
  if (head.method == "CONNECT" ||
      (bodiless && f.has_upgrade && f.connection_upgrade && head.version == Version::Http11)) {
    head.framing = Framing::Tunnel;
    head.content_length = 0;
  }
  return ok();
}

Status finish_response(const RequestInfo& request, const FieldFacts& f, const Limits& limits,
                       MessageHead& head) {
  constexpr MessageKind kResp = MessageKind::Response;
  if (head.status == 101 && !request.upgrade) {
    return unexpected(decode_error(kResp, 502, kErrUnexpectedSwitch));
  }
  if (auto st = check_transfer_encoding(kResp, f, head); !st) return st;
  set_common(f, head);
  // RFC 9112 §6.3 rules 1-2: HEAD, 1xx, 204, 304 have no body; 2xx to CONNECT and 101 tunnel.
  if (head.status == 101 || (request.connect && head.status >= 200 && head.status < 300)) {
    head.framing = Framing::Tunnel;
    return ok();
  }
  if (request.head || head.status < 200 || head.status == 204 || head.status == 304) {
    head.framing = Framing::None;
    return ok();
  }
  if (auto st = set_body_framing(kResp, f, limits, head); !st) return st;
  if (head.framing == Framing::None) {
    // Rule 8: no CL, no TE — the body runs until the connection closes.
    head.framing = Framing::CloseDelimited;
    head.keep_alive = false;
  }
  return ok();
}

}  // namespace crossmux::codecs::h1
