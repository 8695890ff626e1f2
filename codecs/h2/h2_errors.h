// Named static detail strings for every error the HTTP/2 frame layer and connection report.
#pragma once

namespace crossmux::codecs::h2 {

// Frame layer (RFC 9113 §4, §6; RFC 9218 §7.1).
inline constexpr char kFrameTooLarge[] = "frame larger than SETTINGS_MAX_FRAME_SIZE";
inline constexpr char kStreamIdMustBeZero[] = "frame type requires stream 0";
inline constexpr char kStreamIdMustNotBeZero[] = "frame type forbids stream 0";
inline constexpr char kBadFrameLength[] = "frame length invalid for its type";
inline constexpr char kFrameTooShort[] = "frame too short for its mandatory fields";
inline constexpr char kPaddingTooLong[] = "pad length not smaller than the payload";
inline constexpr char kSettingsAckWithPayload[] = "SETTINGS ACK with a payload";
inline constexpr char kSettingsLengthNotMultipleOf6[] = "SETTINGS length not a multiple of 6";
inline constexpr char kWindowIncrementZero[] = "WINDOW_UPDATE increment of 0";
inline constexpr char kSelfDependency[] = "stream depends on itself";
inline constexpr char kPriorityUpdateStreamZero[] = "PRIORITY_UPDATE for stream 0";

// SETTINGS values (RFC 9113 §6.5.2, RFC 8441 §3).
inline constexpr char kEnablePushInvalid[] = "SETTINGS_ENABLE_PUSH not 0 or 1";
inline constexpr char kInitialWindowTooLarge[] = "SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1";
inline constexpr char kMaxFrameSizeInvalid[] = "SETTINGS_MAX_FRAME_SIZE outside 2^14..2^24-1";
inline constexpr char kEnableConnectInvalid[] = "SETTINGS_ENABLE_CONNECT_PROTOCOL not 0 or 1";
inline constexpr char kEnableConnectWithdrawn[] = "SETTINGS_ENABLE_CONNECT_PROTOCOL went 1 -> 0";

}  // namespace crossmux::codecs::h2
