// String forms of the error enums and values.
#include "codecs/base/error.h"

#include <cstdio>
#include <cstring>

namespace crossmux::codecs {

std::string_view to_string(Scope s) {
  return s == Scope::Stream ? "stream" : "connection";
}

std::string_view to_string(Side s) {
  switch (s) {
    case Side::Client:
      return "client";
    case Side::Backend:
      return "backend";
    case Side::Internal:
      return "internal";
  }
  return "unknown";
}

std::string_view to_string(CodeKind k) {
  switch (k) {
    case CodeKind::None:
      return "none";
    case CodeKind::H2:
      return "h2";
    case CodeKind::HttpStatus:
      return "http";
    case CodeKind::Errno:
      return "errno";
  }
  return "unknown";
}

std::string_view to_string(H2Code c) {
  static constexpr std::string_view kNames[] = {"NO_ERROR",
                                                "PROTOCOL_ERROR",
                                                "INTERNAL_ERROR",
                                                "FLOW_CONTROL_ERROR",
                                                "SETTINGS_TIMEOUT",
                                                "STREAM_CLOSED",
                                                "FRAME_SIZE_ERROR",
                                                "REFUSED_STREAM",
                                                "CANCEL",
                                                "COMPRESSION_ERROR",
                                                "CONNECT_ERROR",
                                                "ENHANCE_YOUR_CALM",
                                                "INADEQUATE_SECURITY",
                                                "HTTP_1_1_REQUIRED"};
  auto i = static_cast<uint32_t>(c);
  return i < std::size(kNames) ? kNames[i] : "UNKNOWN";
}

namespace {

// The code as its kind says; empty when there is none.
std::string code_text(const Error& e) {
  switch (e.kind) {
    case CodeKind::H2: {
      std::string_view name = to_string(static_cast<H2Code>(e.code));
      if (name != "UNKNOWN") return std::string(name);
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%x", e.code);
      return hex;
    }
    case CodeKind::HttpStatus:
      return std::to_string(e.code);
    case CodeKind::Errno: {
      if (e.code == 0) return {};
      // strerrorname_np/strerrordesc_np (glibc 2.32) are thread-safe, unlike strerror.
      const char* name = strerrorname_np(static_cast<int>(e.code));
      return name ? name : "errno " + std::to_string(e.code);
    }
    case CodeKind::None:
      break;
  }
  return {};
}

// ": Address already in use" for an errno with a description, else nothing.
void append_errno_text(const Error& e, std::string& out) {
  if (e.kind != CodeKind::Errno || e.code == 0) return;
  const char* desc = strerrordesc_np(static_cast<int>(e.code));
  out += ": ";
  out += desc ? desc : "errno " + std::to_string(e.code);
}

}  // namespace

std::string to_string(const Error& e) {
  std::string out;
  out.reserve(64);  // one allocation for the usual line instead of growing three times
  out += to_string(e.scope);
  out += ' ';
  const std::string code = code_text(e);
  if (!code.empty()) {
    out += code;
    out += ' ';
  }
  out += '(';
  out += to_string(e.side);
  out += "): ";
  out += e.detail;
  append_errno_text(e, out);
  if (e.stream_id != 0) {
    out += " [stream ";
    out += std::to_string(e.stream_id);
    out += ']';
  }
  return out;
}

std::string describe(const Error& e) {
  std::string out = e.detail;
  if (e.kind == CodeKind::Errno) {
    append_errno_text(e, out);
  } else if (e.kind == CodeKind::HttpStatus) {
    out += " (status " + code_text(e) + ")";
  } else if (e.kind == CodeKind::H2) {
    out += " (" + code_text(e) + ")";
  }
  return out;
}

}  // namespace crossmux::codecs
