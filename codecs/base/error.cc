// String forms of the error enums and values.
#include "codecs/base/error.h"

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

std::string to_string(const Error& e) {
  std::string out;
  out.reserve(64);  // one allocation for the usual line instead of growing three times
  out += to_string(e.scope);
  out += ' ';
  // HTTP statuses are three-digit numbers; H2 codes are below 0x100.
  if (e.code >= 100) {
    out += std::to_string(e.code);
  } else {
    out += to_string(static_cast<H2Code>(e.code));
  }
  out += " (";
  out += to_string(e.side);
  out += "): ";
  out += e.detail;
  if (e.stream_id != 0) {
    out += " [stream ";
    out += std::to_string(e.stream_id);
    out += ']';
  }
  return out;
}

}  // namespace crossmux::codecs
