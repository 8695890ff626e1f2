// HTTP/2 SETTINGS parameters (RFC 9113 §6.5.2, RFC 8441 §3): values, range checks, encoding.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "codecs/base/result.h"
#include "codecs/h2/frame.h"

namespace crossmux::codecs::h2 {

enum class SettingId : uint16_t {
  HeaderTableSize = 0x1,
  EnablePush = 0x2,
  MaxConcurrentStreams = 0x3,
  InitialWindowSize = 0x4,
  MaxFrameSize = 0x5,
  MaxHeaderListSize = 0x6,
  EnableConnectProtocol = 0x8,
};
// RFC name ("SETTINGS_MAX_FRAME_SIZE"), or "UNKNOWN".
std::string_view to_string(SettingId id);

inline constexpr uint32_t kUnlimited = UINT32_MAX;
inline constexpr uint32_t kDefaultWindow = 65535;

// One endpoint's settings. Defaults are the RFC initial values, except where noted.
struct Settings {
  uint32_t header_table_size = 4096;
  uint32_t enable_push = 0;  // we never accept push; RFC initial value is 1
  uint32_t max_concurrent_streams = kUnlimited;
  uint32_t initial_window_size = kDefaultWindow;
  uint32_t max_frame_size = kDefaultMaxFrameSize;
  uint32_t max_header_list_size = kUnlimited;
  uint32_t enable_connect_protocol = 0;

  // The peer's view before its first SETTINGS arrives (RFC 9113 §6.5.2 initial values).
  static constexpr Settings rfc_initial() {
    Settings s;
    s.enable_push = 1;
    return s;
  }
};

// Applies one received entry, checking its range (RFC 9113 §6.5.2). Unknown ids are ignored
// (§6.5.2 "MUST ignore"). Errors, all connection scope:
//   PROTOCOL_ERROR kEnablePushInvalid          ENABLE_PUSH not 0/1
//   FLOW_CONTROL_ERROR kInitialWindowTooLarge  INITIAL_WINDOW_SIZE > 2^31-1
//   PROTOCOL_ERROR kMaxFrameSizeInvalid        MAX_FRAME_SIZE outside 2^14..2^24-1
//   PROTOCOL_ERROR kEnableConnectInvalid       ENABLE_CONNECT_PROTOCOL not 0/1
//   PROTOCOL_ERROR kEnableConnectWithdrawn     ENABLE_CONNECT_PROTOCOL 1 then 0 (RFC 8441 §3)
Status apply_setting(Settings& s, SettingsEntry e);

// The entries that announce `local` (every value differing from the RFC initial value, plus
// ENABLE_PUSH, always sent). Returns how many of `out` were filled (at most kMaxSettingsEntries).
inline constexpr size_t kMaxSettingsEntries = 7;
size_t encode_settings(const Settings& local, std::array<SettingsEntry, kMaxSettingsEntries>& out);

}  // namespace crossmux::codecs::h2
