// Names of the counter slots of codecs/h2/counters.h.
#include "codecs/h2/counters.h"

#include "codecs/base/error.h"
#include "codecs/h2/frame.h"

namespace crossmux::codecs::h2 {

std::string_view to_string(LimitKind k) {
  static constexpr std::array<std::string_view, kLimitKinds> kNames = {"reset_budget",
                                                                       "glitch_budget",
                                                                       "max_continuation_frames",
                                                                       "max_header_block_bytes",
                                                                       "max_header_list_size",
                                                                       "max_header_fields",
                                                                       "max_queued_control_acks",
                                                                       "max_settings_entries",
                                                                       "max_concurrent_streams",
                                                                       "request_headers_timeout"};
  const auto i = static_cast<size_t>(k);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::string_view Counters::frame_name(size_t slot) {
  if (slot <= 0x9) return to_string(static_cast<FrameType>(slot));
  if (slot == 10) return to_string(FrameType::PriorityUpdate);
  return "UNKNOWN";
}

std::string_view Counters::code_name(size_t slot) {
  return slot <= 0xd ? to_string(static_cast<H2Code>(slot)) : "UNKNOWN";
}

}  // namespace crossmux::codecs::h2
