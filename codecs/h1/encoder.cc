// HTTP/1.1 encoding: start lines, field filtering and framing choice, chunked bodies (RFC 9112).
#include "codecs/h1/encoder.h"

#include <charconv>
#include <cstring>

#include "codecs/base/field_table.h"
#include "codecs/h1/chars.h"
#include "codecs/h1/field_facts.h"
#include "codecs/h1/framing.h"
#include "codecs/h1/h1_errors.h"
#include "codecs/h1/reason_phrase.h"

namespace crossmux::codecs::h1 {

std::string_view to_string(BodyMode m) {
  static constexpr std::string_view kNames[] = {"none", "content-length", "chunked",
                                                "close-delimited", "tunnel"};
  return kNames[static_cast<uint8_t>(m)];
}

static Unexpected<Error> encode_error(const char* detail) {
  return unexpected(Error::http(500, detail, Side::Internal));
}

static bool valid_value(std::string_view v) {
  auto p = reinterpret_cast<const uint8_t*>(v.data());
  return find_value_stop(p, p + v.size()) == v.size();
}

// origin-form: "/" then RFC 3986 path / query characters, '%' only as pct-encoded.
static bool valid_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  for (size_t i = 0; i < path.size(); ++i) {
    auto c = static_cast<uint8_t>(path[i]);
    if (is_class(c, kCharTarget)) continue;
    if (c != '%' || i + 2 >= path.size() ||
        !is_class(static_cast<uint8_t>(path[i + 1]), kCharHex) ||
        !is_class(static_cast<uint8_t>(path[i + 2]), kCharHex)) {
      return false;
    }
    i += 2;
  }
  return true;
}

static void append_number(ByteBuffer& out, uint64_t v, int base = 10) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, v, base);
  out.append(digits, static_cast<size_t>(r.ptr - digits));
}

Status Encoder::write_start_line(const MessageHead& head, ByteBuffer& out) {
  if (kind_ == MessageKind::Response) {
    if (head.status < 100 || head.status > 599) return encode_error(kErrEncodeBadStatus);
    out.append("HTTP/1.1 ");
    append_number(out, head.status);
    out.push_back(' ');
    out.append(reason_phrase(head.status));
    out.append("\r\n");
    return ok();
  }
  if (!is_token(head.method)) return encode_error(kErrEncodeBadMethod);
  bool connect = head.method == "CONNECT";
  if (head.authority.empty()) return encode_error(kErrEncodeMissingAuthority);
  if (!valid_authority(head.authority, false)) return encode_error(kErrEncodeBadAuthority);
  std::string_view target = head.path;
  if (connect) {
    target = head.authority;
  } else if (head.path == "*") {
    if (head.method != "OPTIONS") return encode_error(kErrEncodeBadTarget);
  } else if (!valid_path(head.path)) {
    return encode_error(kErrEncodeBadTarget);
  }
  out.append(head.method);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\nHost: ");
  out.append(head.authority);
  out.append("\r\n");
  return ok();
}

// RFC 9112 §6.3 decides what the peer will read; we pick the framing that makes it unambiguous.
BodyMode Encoder::choose_mode(const MessageHead& head, std::string_view request_method,
                              bool& length_only) {
  length_only = false;
  if (head.framing == Framing::Tunnel) return BodyMode::Tunnel;
  if (kind_ == MessageKind::Response) {
    if (head.status < 200 || head.status == 204) return BodyMode::None;
    if (request_method == "HEAD" || head.status == 304) {
      length_only = head.framing == Framing::KnownLength;
      return BodyMode::None;
    }
  }
  switch (head.framing) {
    case Framing::None:
    case Framing::Tunnel:
      // A bodiless response still needs an explicit empty length, or the peer reads until close.
      return kind_ == MessageKind::Response ? BodyMode::ContentLength : BodyMode::None;
    case Framing::KnownLength:
      return BodyMode::ContentLength;
    case Framing::Streaming:
    case Framing::CloseDelimited:
      return options_.peer_http11 ? BodyMode::Chunked : BodyMode::CloseDelimited;
  }
  return BodyMode::None;
}

void Encoder::collect_connection_options(const HeaderList& fields) {
  connection_options_.clear();
  for (const auto& f : fields) {
    if (!iequals(f.name, "connection")) continue;
    for_each_element(f.value, [this](std::string_view e) {
      if (!e.empty()) connection_options_.push_back(e);
    });
  }
}

// RFC 9110 §7.6.1 hop-by-hop fields, plus the fields whose value this encoder writes itself
// (framing: Content-Length, Transfer-Encoding; routing: Host), from the field table.
bool Encoder::hop_by_hop(std::string_view name, bool keep_upgrade) const {
  constexpr uint16_t kOwn = kFieldHopByHop | kFieldFraming | kFieldRouting;
  if (const FieldId id = find_field_with<kOwn>(name); id != FieldId::Unknown) {
    return id == FieldId::Upgrade ? !keep_upgrade : true;
  }
  for (std::string_view option : connection_options_) {
    if (iequals(name, option)) return true;
  }
  return false;
}

Status Encoder::write_fields(const HeaderList& fields, bool keep_upgrade, ByteBuffer& out) {
  bool cookies_done = false;
  for (const auto& f : fields) {
    if (!is_token(f.name)) return encode_error(kErrEncodeBadFieldName);
    if (!valid_value(f.value)) return encode_error(kErrEncodeBadFieldValue);
    if (hop_by_hop(f.name, keep_upgrade)) continue;
    if (f.name.size() == 6 && iequals(f.name, "cookie")) {
      if (cookies_done) continue;
      cookies_done = true;
      out.append(f.name);
      out.append(": ");
      // Crumbs joined as join_cookies (translate.cc) joins them: empty ones skipped.
      bool first = true;
      for (const auto& c : fields) {
        if (!iequals(c.name, "cookie")) continue;
        if (!valid_value(c.value)) return encode_error(kErrEncodeBadFieldValue);
        if (c.value.empty()) continue;
        if (!first) out.append("; ");
        out.append(c.value);
        first = false;
      }
      out.append("\r\n");
      continue;
    }
    // One reservation per field line.
    const size_t n = f.name.size(), v = f.value.size();
    uint8_t* line = out.prepare(n + v + 4);
    std::memcpy(line, f.name.data(), n);
    std::memcpy(line + n, ": ", 2);
    if (v > 0) std::memcpy(line + n + 2, f.value.data(), v);
    std::memcpy(line + n + 2 + v, "\r\n", 2);
    out.commit(n + v + 4);
  }
  return ok();
}

Status Encoder::encode_head(const MessageHead& head, ByteBuffer& out,
                            std::string_view request_method) {
  size_t mark = out.size();
  in_message_ = false;
  if (kind_ == MessageKind::Request && !options_.peer_http11 &&
      (head.framing == Framing::Streaming || head.framing == Framing::CloseDelimited)) {
    return encode_error(kErrEncodeNoFraming);
  }
  if (auto st = write_start_line(head, out); !st) {
    out.resize(mark);
    return st;
  }
  bool length_only = false;
  mode_ = choose_mode(head, request_method, length_only);
  bool upgrade = mode_ == BodyMode::Tunnel && head.headers.find("upgrade") != nullptr;
  collect_connection_options(head.headers);
  if (auto st = write_fields(head.headers, upgrade, out); !st) {
    out.resize(mark);
    return st;
  }
  uint64_t length = head.framing == Framing::KnownLength ? head.content_length : 0;
  if (mode_ == BodyMode::ContentLength || length_only) {
    out.append("Content-Length: ");
    append_number(out, length);
    out.append("\r\n");
  } else if (mode_ == BodyMode::Chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (upgrade) {
    out.append("Connection: upgrade\r\n");
  } else if (!head.keep_alive || mode_ == BodyMode::CloseDelimited) {
    out.append("Connection: close\r\n");
  }
  out.append("\r\n");
  remaining_ = mode_ == BodyMode::ContentLength ? length : 0;
  in_message_ = true;
  return ok();
}

Status Encoder::take_body(size_t n) {
  if (!in_message_ || mode_ == BodyMode::None) return encode_error(kErrEncodeBodyAfterEnd);
  if (mode_ == BodyMode::ContentLength) {
    if (n > remaining_) return encode_error(kErrEncodeLengthMismatch);
    remaining_ -= n;
  }
  return ok();
}

Status Encoder::encode_data(Bytes data, ByteBuffer& out) {
  if (data.empty()) return ok();
  if (auto st = take_body(data.size()); !st) return st;
  if (mode_ != BodyMode::Chunked) {
    out.append(data);
    return ok();
  }
  // RFC 9112 §7.1: chunk = chunk-size CRLF chunk-data CRLF.
  append_number(out, data.size(), 16);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
  return ok();
}

Status Encoder::encode_data(ByteBuffer& data, ByteChain& out) {
  if (data.empty()) return ok();
  if (auto st = take_body(data.size()); !st) return st;
  if (mode_ != BodyMode::Chunked) {
    out.adopt(data);
    return ok();
  }
  ByteBuffer& line = out.tail();
  append_number(line, data.size(), 16);
  line.append("\r\n");
  out.adopt(data);
  out.append(std::string_view("\r\n"));
  return ok();
}

Status Encoder::encode_trailers(const HeaderList& trailers, ByteBuffer& out) {
  if (!in_message_) return encode_error(kErrEncodeBodyAfterEnd);
  if (mode_ != BodyMode::Chunked) {
    if (!trailers.empty()) ++dropped_trailers_;
    return encode_end(out);
  }
  size_t mark = out.size();
  out.append("0\r\n");
  collect_connection_options(trailers);
  if (auto st = write_fields(trailers, false, out); !st) {
    out.resize(mark);
    return st;
  }
  out.append("\r\n");
  in_message_ = false;
  return ok();
}

Status Encoder::encode_end(ByteBuffer& out) {
  if (!in_message_) return encode_error(kErrEncodeBodyAfterEnd);
  if (mode_ == BodyMode::ContentLength && remaining_ != 0) {
    return encode_error(kErrEncodeLengthMismatch);
  }
  if (mode_ == BodyMode::Chunked) out.append("0\r\n\r\n");
  in_message_ = false;
  return ok();
}

}  // namespace crossmux::codecs::h1
