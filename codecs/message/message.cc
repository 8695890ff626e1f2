// String forms of IR enums and heads.
#include "codecs/message/message.h"

namespace crossmux::codecs {

std::string_view to_string(MessageKind k) {
  return k == MessageKind::Request ? "request" : "response";
}

std::string_view to_string(Version v) {
  switch (v) {
    case Version::Http10:
      return "HTTP/1.0";
    case Version::Http11:
      return "HTTP/1.1";
    case Version::Http2:
      return "HTTP/2";
  }
  return "?";
}

std::string_view to_string(Framing f) {
  switch (f) {
    case Framing::None:
      return "none";
    case Framing::KnownLength:
      return "known";
    case Framing::Streaming:
      return "streaming";
    case Framing::CloseDelimited:
      return "close-delimited";
    case Framing::Tunnel:
      return "tunnel";
  }
  return "?";
}

void MessageHead::own_all() {
  size_t total = method.size() + scheme.size() + authority.size() + path.size() + protocol.size();
  for (const auto& f : headers) total += f.name.size() + f.value.size();
  headers.reserve_arena(total);
  method = headers.own(method);
  scheme = headers.own(scheme);
  authority = headers.own(authority);
  path = headers.own(path);
  protocol = headers.own(protocol);
  for (auto& f : headers) {
    f.name = headers.own(f.name);
    f.value = headers.own(f.value);
  }
}

void MessageHead::copy_owned(const MessageHead& from, size_t extra_fields, size_t extra_bytes) {
  size_t total = from.method.size() + from.scheme.size() + from.authority.size() +
                 from.path.size() + from.protocol.size();
  for (const auto& f : from.headers) total += f.name.size() + f.value.size();
  headers.clear();
  headers.reserve(from.headers.size() + extra_fields);
  headers.reserve_arena(total + extra_bytes);
  kind = from.kind;
  version = from.version;
  method = headers.own(from.method);
  scheme = headers.own(from.scheme);
  authority = headers.own(from.authority);
  path = headers.own(from.path);
  protocol = headers.own(from.protocol);
  status = from.status;
  for (const auto& f : from.headers) headers.add_copy(f);
  framing = from.framing;
  content_length = from.content_length;
  violations = from.violations;
  keep_alive = from.keep_alive;
  expect_continue = from.expect_continue;
}

static void append_or_dash(std::string& out, std::string_view s) {
  out += ' ';
  if (s.empty()) {
    out += '-';
  } else {
    out += s;
  }
}

std::string describe(const MessageHead& head) {
  std::string out(to_string(head.kind));
  out += ' ';
  out += to_string(head.version);
  if (head.is_request()) {
    append_or_dash(out, head.method);
    append_or_dash(out, head.scheme);
    append_or_dash(out, head.authority);
    append_or_dash(out, head.path);
    if (!head.protocol.empty()) {
      out += " protocol=";
      out += head.protocol;
    }
  } else {
    out += ' ';
    out += std::to_string(head.status);
  }
  out += " framing=";
  out += to_string(head.framing);
  if (head.framing == Framing::KnownLength) {
    out += '(';
    out += std::to_string(head.content_length);
    out += ')';
  }
  if (!head.keep_alive) out += " close";
  if (head.expect_continue) out += " expect-continue";
  if (head.violations != kViolationNone) {
    out += " violations=";
    out += std::to_string(head.violations);
  }
  return out;
}

}  // namespace crossmux::codecs
