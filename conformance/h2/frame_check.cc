// h2spec's reader checks, one function per frame type, dispatched through a table.
#include "conformance/h2/frame_check.h"

#include <array>

namespace crossmux::conformance::h2 {

namespace {

using Check = std::string (*)(const Frame&);

std::string length_is(const Frame& f, size_t want) {
  if (f.payload.size() == want) return "";
  return frame_type_name(f.type) + " frame length " + std::to_string(f.payload.size()) + ", want " +
         std::to_string(want);
}

std::string on_stream(const Frame& f) {
  return f.stream == 0 ? frame_type_name(f.type) + " frame with stream ID 0" : "";
}

std::string on_connection(const Frame& f) {
  return f.stream != 0 ? frame_type_name(f.type) + " frame on stream " + std::to_string(f.stream)
                       : "";
}

// The pad length octet (when PADDED) and `fixed` more octets must fit, and the padding must
// not exceed what is left (RFC 9113 §6.1, §6.2, §6.6).
std::string padding(const Frame& f, size_t fixed) {
  size_t at = 0, pad = 0;
  if (f.flags & kPadded) {
    if (f.payload.empty()) return frame_type_name(f.type) + " frame too short for its pad length";
    pad = static_cast<uint8_t>(f.payload[0]);
    at = 1;
  }
  if (f.payload.size() < at + fixed) return frame_type_name(f.type) + " frame too short";
  if (pad > f.payload.size() - at - fixed) return "pad size larger than the payload";
  return "";
}

std::string data(const Frame& f) {
  if (auto e = on_stream(f); !e.empty()) return e;
  return padding(f, 0);
}
std::string headers(const Frame& f) {
  if (auto e = on_stream(f); !e.empty()) return e;
  return padding(f, (f.flags & kPriorityFlag) ? 5 : 0);
}
std::string priority(const Frame& f) {
  if (auto e = on_stream(f); !e.empty()) return e;
  return length_is(f, 5);
}
std::string rst_stream(const Frame& f) {
  if (auto e = length_is(f, 4); !e.empty()) return e;
  return on_stream(f);
}
std::string settings(const Frame& f) {
  if ((f.flags & kAck) && !f.payload.empty()) return "SETTINGS ACK with a payload";
  if (auto e = on_connection(f); !e.empty()) return e;
  if (f.payload.size() % 6 != 0) return "SETTINGS frame length not a multiple of 6";
  for (size_t at = 0; at + 6 <= f.payload.size(); at += 6) {
    const auto b = [&](size_t i) { return static_cast<uint8_t>(f.payload[at + i]); };
    const uint32_t id = b(0) << 8 | b(1);
    const uint32_t value = uint32_t{b(2)} << 24 | b(3) << 16 | b(4) << 8 | b(5);
    if (id == 0x4 && value > 0x7fffffffu) return "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1";
  }
  return "";
}
std::string push_promise(const Frame& f) {
  if (auto e = on_stream(f); !e.empty()) return e;
  return padding(f, 4);
}
std::string ping(const Frame& f) {
  if (auto e = length_is(f, 8); !e.empty()) return e;
  return on_connection(f);
}
std::string goaway(const Frame& f) {
  if (auto e = on_connection(f); !e.empty()) return e;
  return f.payload.size() < 8 ? "GOAWAY frame shorter than 8 octets" : "";
}
std::string window_update(const Frame& f) {
  if (auto e = length_is(f, 4); !e.empty()) return e;
  const bool zero = (static_cast<uint8_t>(f.payload[0]) & 0x7f) == 0 && f.payload[1] == 0 &&
                    f.payload[2] == 0 && f.payload[3] == 0;
  return zero ? "WINDOW_UPDATE with an increment of 0" : "";
}
std::string continuation(const Frame& f) {
  return on_stream(f);
}

constexpr std::array<Check, 10> kChecks{data,          headers,      priority, rst_stream,
                                        settings,      push_promise, ping,     goaway,
                                        window_update, continuation};

}  // namespace

std::string framer_error(const Frame& f) {
  return f.type < kChecks.size() ? kChecks[f.type](f) : "";
}

}  // namespace crossmux::conformance::h2
