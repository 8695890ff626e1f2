// NetCase: unit splitting, descriptions and the replayable file form.
#include "fuzz/net/net_case.h"

#include <cctype>
#include <cstdio>

#include "codecs/base/bytes.h"
#include "codecs/h2/frame.h"

namespace crossmux::fuzz::net {

namespace h2 = codecs::h2;

std::string_view to_string(Proto p) {
  return p == Proto::H1 ? "h1" : "h2";
}

std::string NetCase::wire() const {
  std::string out;
  out.reserve(size());
  for (const auto& u : units) out += u;
  return out;
}

size_t NetCase::size() const {
  size_t n = 0;
  for (const auto& u : units) n += u.size();
  return n;
}

std::vector<std::string> split_units(Proto proto, std::string_view wire) {
  std::vector<std::string> out;
  if (proto == Proto::H1) {
    while (!wire.empty()) {
      size_t lf = wire.find('\n');
      size_t n = lf == std::string_view::npos ? wire.size() : lf + 1;
      out.emplace_back(wire.substr(0, n));
      wire.remove_prefix(n);
    }
    return out;
  }
  if (wire.starts_with(kH2ClientPreface)) {
    out.emplace_back(kH2ClientPreface);
    wire.remove_prefix(kH2ClientPreface.size());
  }
  while (!wire.empty()) {
    size_t n = wire.size();
    if (wire.size() >= h2::kFrameHeaderSize) {
      size_t len = codecs::load_u24be(reinterpret_cast<const uint8_t*>(wire.data()));
      if (h2::kFrameHeaderSize + len <= wire.size()) n = h2::kFrameHeaderSize + len;
    }
    out.emplace_back(wire.substr(0, n));
    wire.remove_prefix(n);
  }
  return out;
}

namespace {

// Flag names that matter for the frame type (RFC 9113 §6), short form for shapes.
std::string flag_names(uint8_t type, uint8_t flags, bool short_form) {
  struct Bit {
    uint8_t bit;
    const char* name;
    const char* abbrev;
  };
  static constexpr Bit kEs{h2::kFlagEndStream, "END_STREAM", "ES"};
  static constexpr Bit kAck{h2::kFlagAck, "ACK", "ACK"};
  static constexpr Bit kEh{h2::kFlagEndHeaders, "END_HEADERS", "EH"};
  static constexpr Bit kPad{h2::kFlagPadded, "PADDED", "PAD"};
  static constexpr Bit kPri{h2::kFlagPriority, "PRIORITY", "PRI"};
  std::vector<Bit> bits;
  switch (static_cast<h2::FrameType>(type)) {
    case h2::FrameType::Data:
      bits = {kEs, kPad};
      break;
    case h2::FrameType::Headers:
      bits = {kEs, kEh, kPad, kPri};
      break;
    case h2::FrameType::Settings:
    case h2::FrameType::Ping:
      bits = {kAck};
      break;
    case h2::FrameType::PushPromise:
      bits = {kEh, kPad};
      break;
    case h2::FrameType::Continuation:
      bits = {kEh};
      break;
    default:
      break;
  }
  std::string out;
  uint8_t known = 0;
  for (const Bit& b : bits) {
    known |= b.bit;
    if (flags & b.bit)
      out += std::string(out.empty()  ? ""
                         : short_form ? ","
                                      : "|") +
             (short_form ? b.abbrev : b.name);
  }
  if ((flags & ~known) != 0 && !short_form) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", flags & ~known);
    out += std::string(out.empty() ? "" : "|") + hex;
  }
  return out;
}

bool is_frame(std::string_view unit, h2::FrameHeader& h) {
  if (unit.size() < h2::kFrameHeaderSize) return false;
  h = h2::parse_frame_header(reinterpret_cast<const uint8_t*>(unit.data()));
  return h.length + h2::kFrameHeaderSize == unit.size();
}

std::string type_name(uint8_t type) {
  std::string_view name = h2::to_string(static_cast<h2::FrameType>(type));
  if (name != "UNKNOWN") return std::string(name);
  char buf[24];
  std::snprintf(buf, sizeof buf, "UNKNOWN(0x%02x)", type);
  return buf;
}

// What an HTTP/1.1 line is, for shapes: the field name of a header line, "empty" for the end of
// a head, "request-line", "chunk-size", or "body".
std::string h1_kind(std::string_view line, bool& in_head) {
  std::string_view body = line;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.empty()) {
    in_head = false;
    return "empty";
  }
  if (!in_head) {
    if (body.find(" HTTP/") != std::string_view::npos) {
      in_head = true;
      return "request-line";
    }
    std::string_view size = body.substr(0, body.find(';'));
    bool hex =
        !size.empty() && size.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    return hex ? "chunk-size" : "body";
  }
  size_t colon = body.find(':');
  if (colon == std::string_view::npos) return "no-colon";
  if (body[0] == ' ' || body[0] == '\t') return "obs-fold";
  std::string name(body.substr(0, colon));
  for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return "header:" + escape(name);
}

}  // namespace

std::string describe_unit(Proto proto, std::string_view unit) {
  if (unit.empty()) return "pause";
  if (proto == Proto::H1) return escape(unit);
  if (unit == kH2ClientPreface) return "PREFACE";
  h2::FrameHeader h;
  if (!is_frame(unit, h)) return "raw " + std::to_string(unit.size()) + " bytes";
  std::string out = type_name(h.type) + " stream=" + std::to_string(h.stream_id);
  std::string flags = flag_names(h.type, h.flags, false);
  if (!flags.empty()) out += " flags=" + flags;
  return out + " length=" + std::to_string(h.length);
}

std::string shape(const NetCase& c) {
  std::string out;
  bool in_head = false;
  for (const auto& u : c.units) {
    std::string piece;
    if (u.empty()) {
      piece = "pause";
    } else if (c.proto == Proto::H1) {
      piece = h1_kind(u, in_head);
    } else if (u == kH2ClientPreface) {
      piece = "PREFACE";
    } else if (h2::FrameHeader h; is_frame(u, h)) {
      piece = type_name(h.type);
      std::string flags = flag_names(h.type, h.flags, true);
      if (!flags.empty()) piece += "[" + flags + "]";
    } else {
      piece = "raw";
    }
    out += (out.empty() ? "" : " ") + piece;
  }
  return out;
}

std::string escape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char ch : bytes) {
    switch (ch) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (ch >= 0x20 && ch < 0x7f && ch != '#') {
          out += static_cast<char>(ch);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", ch);
          out += hex;
        }
    }
  }
  return out;
}

bool unescape(std::string_view text, std::string& out) {
  out.clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (++i >= text.size()) return false;
    switch (text[i]) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case 'x': {
        if (i + 2 >= text.size()) return false;
        auto hex = [](char ch) -> int {
          if (ch >= '0' && ch <= '9') return ch - '0';
          if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
          if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
          return -1;
        };
        int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi << 4 | lo);
        i += 2;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

std::string to_file(const NetCase& c, const std::vector<std::string>& comments) {
  std::string out;
  for (const auto& line : comments) out += "# " + line + "\n";
  out += "proto: " + std::string(to_string(c.proto)) + "\n";
  for (const auto& u : c.units) {
    if (u.empty()) {
      out += "pause\n";
      continue;
    }
    if (c.proto == Proto::H2) out += "# " + describe_unit(c.proto, u) + "\n";
    std::string e = escape(u);
    // A trailing blank would not survive editors that trim lines.
    if (e.back() == ' ') e.replace(e.size() - 1, 1, "\\x20");
    out += "unit: " + e + "\n";
  }
  return out;
}

bool from_file(std::string_view text, NetCase& out, std::string& error) {
  out = NetCase{};
  bool have_proto = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t lf = text.find('\n');
    std::string_view line = text.substr(0, lf);
    text.remove_prefix(lf == std::string_view::npos ? text.size() : lf + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(line_no) + ": " + why;
      return false;
    };
    if (line == "pause") {
      out.units.emplace_back();
    } else if (line.starts_with("proto: ")) {
      std::string_view p = line.substr(7);
      if (p != "h1" && p != "h2") return fail("proto must be h1 or h2");
      out.proto = p == "h1" ? Proto::H1 : Proto::H2;
      have_proto = true;
    } else if (line.starts_with("unit: ")) {
      std::string bytes;
      if (!unescape(line.substr(6), bytes)) return fail("malformed escape");
      if (bytes.empty()) return fail("empty unit (write \"pause\" for a pause)");
      out.units.push_back(std::move(bytes));
    } else {
      return fail("unknown directive \"" + std::string(line.substr(0, 20)) + "\"");
    }
  }
  if (!have_proto) {
    error = "no \"proto:\" line";
    return false;
  }
  return true;
}

}  // namespace crossmux::fuzz::net
