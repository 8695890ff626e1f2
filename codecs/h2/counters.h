// Tallies an HTTP/2 connection keeps for its owner's metrics: frames by type and direction,
// RST_STREAM and GOAWAY by error code and direction, and the abuse limits that fired.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crossmux::codecs::h2 {

// The abuse limits and local policies of Limits / Settings whose crossing the connection reports
// (attacks-and-fuzzing.md §2). Each is named after the proxy configuration key that sets it.
enum class LimitKind : uint8_t {
  ResetBudget = 0,        // peer and peer-caused resets (Rapid Reset, MadeYouReset)
  GlitchBudget = 1,       // empty DATA, PRIORITY, refused streams
  Continuations = 2,      // CONTINUATION frames per header block
  HeaderBlockBytes = 3,   // encoded header block size
  HeaderListSize = 4,     // decoded header list (HPACK bomb): 431 / RST_STREAM
  HeaderFields = 5,       // decoded field count
  ControlQueue = 6,       // queued PING/SETTINGS ACKs and RST_STREAMs
  SettingsEntries = 7,    // entries in one SETTINGS frame
  ConcurrentStreams = 8,  // streams beyond our MAX_CONCURRENT_STREAMS (REFUSED_STREAM)
  HeaderTimeout = 9,      // a header block left open past its deadline
};
inline constexpr size_t kLimitKinds = 10;
// The configuration key of a limit ("reset_budget", "max_continuation_frames", ...).
std::string_view to_string(LimitKind k);

// Plain counters, incremented in place; the owner reads them whenever it likes (single thread).
// One Counters may be shared by many connections (a worker's totals): Connection::count_into.
struct Counters {
  // Frame types 0x0-0x9 at their own index, PRIORITY_UPDATE (0x10) at 10, any other type at 11.
  static constexpr size_t kFrameSlots = 12;
  // Error codes 0x0-0xd at their own index, any other code at 14.
  static constexpr size_t kCodeSlots = 15;

  std::array<uint64_t, kFrameSlots> frames_in{};
  std::array<uint64_t, kFrameSlots> frames_out{};
  std::array<uint64_t, kCodeSlots> rst_in{};
  std::array<uint64_t, kCodeSlots> rst_out{};
  std::array<uint64_t, kCodeSlots> goaway_in{};
  std::array<uint64_t, kCodeSlots> goaway_out{};
  std::array<uint64_t, kLimitKinds> limits{};

  static size_t frame_slot(uint8_t type) { return type <= 0x9 ? type : type == 0x10 ? 10 : 11; }
  static size_t code_slot(uint32_t code) { return code <= 0xd ? code : 14; }
  // "DATA" ... "CONTINUATION", "PRIORITY_UPDATE", "UNKNOWN".
  static std::string_view frame_name(size_t slot);
  // "NO_ERROR" ... "HTTP_1_1_REQUIRED", "UNKNOWN".
  static std::string_view code_name(size_t slot);
};

}  // namespace crossmux::codecs::h2
