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
inline constexpr char kServerEnabledPush[] = "SETTINGS_ENABLE_PUSH 1 from a server";

// Header semantics (RFC 9113 §8), all stream PROTOCOL_ERROR (malformed message).
inline constexpr char kPseudoAfterRegular[] = "pseudo-header after a regular field";
inline constexpr char kUnknownPseudo[] = "unknown or misplaced pseudo-header";
inline constexpr char kDuplicatePseudo[] = "duplicate pseudo-header";
inline constexpr char kMissingPseudo[] = "mandatory pseudo-header missing";
inline constexpr char kConnectPseudo[] = "CONNECT with :scheme or :path, or without :authority";
inline constexpr char kBadPath[] = ":path empty, not origin-form, or with a space or control";
inline constexpr char kBadMethod[] = ":method is not a token";
inline constexpr char kBadScheme[] = ":scheme is not an RFC 3986 scheme";
inline constexpr char kBadAuthority[] = ":authority empty or not an RFC 3986 authority";
inline constexpr char kMissingAuthority[] =
    "http(s) request without :authority or Host, or with an empty one";
inline constexpr char kBadStatus[] = ":status not three digits, or 101";
inline constexpr char kBadFieldName[] = "field name empty, uppercase or not a token";
inline constexpr char kBadFieldValue[] = "field value with NUL/CR/LF or edge whitespace";
inline constexpr char kConnectionSpecific[] = "connection-specific field";
inline constexpr char kBadTe[] = "te other than trailers";
inline constexpr char kBadContentLength[] = "content-length invalid or conflicting";
inline constexpr char kContentLengthMismatch[] = "content-length differs from DATA length";
inline constexpr char kDataOnBodilessResponse[] =
    "DATA on a response without content (HEAD, 204, 304)";
inline constexpr char kPseudoInTrailers[] = "pseudo-header in trailers";
inline constexpr char kForbiddenTrailer[] =
    "framing, routing or connection field in trailers (RFC 9110 §6.5.1)";
inline constexpr char kTrailersWithoutEndStream[] = "trailers without END_STREAM";
inline constexpr char kInterimWithEndStream[] = "1xx response with END_STREAM";
inline constexpr char kHeaderListTooLarge[] = "header list over the local limit";

// Connection (RFC 9113 §3-§6, §8; RFC 9218).
inline constexpr char kBadPreface[] = "client connection preface mismatch";
inline constexpr char kFirstFrameNotSettings[] = "first frame is not SETTINGS";
inline constexpr char kExpectedContinuation[] =
    "frame other than CONTINUATION inside a header block";
inline constexpr char kUnexpectedContinuation[] = "CONTINUATION without an open header block";
inline constexpr char kEvenStreamFromClient[] = "client opened an even stream id";
inline constexpr char kStreamIdRegressed[] = "new stream id not above the previous one";
inline constexpr char kFrameOnIdleStream[] = "frame on an idle stream";
inline constexpr char kHeadersOnClosedStream[] = "HEADERS on a closed stream";
inline constexpr char kFrameOnClosedStream[] = "frame on a closed or half-closed (remote) stream";
inline constexpr char kDataBeforeHeaders[] = "DATA before the response HEADERS";
inline constexpr char kPushNotAllowed[] = "PUSH_PROMISE while push is disabled";
inline constexpr char kUnsolicitedHeaders[] = "HEADERS on a stream the client never opened";
inline constexpr char kConnWindowExceeded[] = "DATA beyond the connection window";
inline constexpr char kStreamWindowExceeded[] = "DATA beyond the stream window";
inline constexpr char kConnWindowOverflow[] = "connection window above 2^31-1";
inline constexpr char kStreamWindowOverflow[] = "stream window above 2^31-1";
inline constexpr char kSettingsWindowOverflow[] = "INITIAL_WINDOW_SIZE change overflows a window";
inline constexpr char kGoAwayIdIncreased[] = "GOAWAY last-stream-id increased";
inline constexpr char kRefusedStream[] = "MAX_CONCURRENT_STREAMS exceeded";
inline constexpr char kSettingsTimeout[] = "SETTINGS not acknowledged in time";
inline constexpr char kHeaderTimeout[] = "header block not completed in time";

// Abuse limits (attacks-and-fuzzing §2), connection ENHANCE_YOUR_CALM.
inline constexpr char kResetBudgetSpent[] = "reset budget exhausted (rapid reset / made-you-reset)";
inline constexpr char kTooManyContinuations[] = "too many CONTINUATION frames";
inline constexpr char kHeaderBlockTooLarge[] = "encoded header block over the limit";
inline constexpr char kControlQueueFull[] = "too many queued PING/SETTINGS ACKs";
inline constexpr char kControlQueueFullWithResets[] =
    "too many queued control frames (PING/SETTINGS ACKs and provoked RST_STREAMs)";
inline constexpr char kTooManySettings[] = "too many entries in one SETTINGS frame";
inline constexpr char kGlitchBudgetSpent[] = "too many empty or useless frames";
inline constexpr char kStreamIdsExhausted[] = "stream ids exhausted";

// Local API misuse (Side::Internal).
inline constexpr char kNoSuchStream[] = "no such stream or not sendable";
inline constexpr char kPeerStreamLimit[] = "peer MAX_CONCURRENT_STREAMS reached";
inline constexpr char kGoingAway[] = "connection is going away";
inline constexpr char kWrongRole[] = "operation not valid for this role";

}  // namespace crossmux::codecs::h2
