// SETTINGS range checks and encoding (RFC 9113 §6.5.2, RFC 8441 §3).
#include "codecs/h2/settings.h"

#include "codecs/h2/h2_errors.h"

namespace crossmux::codecs::h2 {

std::string_view to_string(SettingId id) {
  switch (id) {
    case SettingId::HeaderTableSize:
      return "SETTINGS_HEADER_TABLE_SIZE";
    case SettingId::EnablePush:
      return "SETTINGS_ENABLE_PUSH";
    case SettingId::MaxConcurrentStreams:
      return "SETTINGS_MAX_CONCURRENT_STREAMS";
    case SettingId::InitialWindowSize:
      return "SETTINGS_INITIAL_WINDOW_SIZE";
    case SettingId::MaxFrameSize:
      return "SETTINGS_MAX_FRAME_SIZE";
    case SettingId::MaxHeaderListSize:
      return "SETTINGS_MAX_HEADER_LIST_SIZE";
    case SettingId::EnableConnectProtocol:
      return "SETTINGS_ENABLE_CONNECT_PROTOCOL";
  }
  return "UNKNOWN";
}

namespace {

Status fail(H2Code code, const char* detail) {
  return unexpected(Error::h2(Scope::Connection, code, detail));
}

}  // namespace

Status apply_setting(Settings& s, SettingsEntry e) {
  uint32_t v = e.value;
  switch (static_cast<SettingId>(e.id)) {
    case SettingId::HeaderTableSize:
      s.header_table_size = v;
      break;
    case SettingId::EnablePush:
      if (v > 1) return fail(H2Code::ProtocolError, kEnablePushInvalid);
      s.enable_push = v;
      break;
    case SettingId::MaxConcurrentStreams:
      s.max_concurrent_streams = v;
      break;
    case SettingId::InitialWindowSize:
      // §6.5.2: above 2^31-1 is a FLOW_CONTROL_ERROR, not a PROTOCOL_ERROR.
      if (v > kMaxWindow) return fail(H2Code::FlowControlError, kInitialWindowTooLarge);
      s.initial_window_size = v;
      break;
    case SettingId::MaxFrameSize:
      if (v < kDefaultMaxFrameSize || v > kMaxMaxFrameSize) {
        return fail(H2Code::ProtocolError, kMaxFrameSizeInvalid);
      }
      s.max_frame_size = v;
      break;
    case SettingId::MaxHeaderListSize:
      s.max_header_list_size = v;
      break;
    case SettingId::EnableConnectProtocol:
      if (v > 1) return fail(H2Code::ProtocolError, kEnableConnectInvalid);
      // RFC 8441 §3: once enabled, a sender MUST NOT send 0 afterwards.
      if (s.enable_connect_protocol == 1 && v == 0) {
        return fail(H2Code::ProtocolError, kEnableConnectWithdrawn);
      }
      s.enable_connect_protocol = v;
      break;
  }
  return ok();
}

size_t encode_settings(const Settings& local, std::array<SettingsEntry, kMaxSettingsEntries>& out) {
  const Settings initial = Settings::rfc_initial();
  size_t n = 0;
  auto add = [&](SettingId id, uint32_t value, uint32_t def, bool always) {
    if (always || value != def) out[n++] = SettingsEntry{static_cast<uint16_t>(id), value};
  };
  add(SettingId::HeaderTableSize, local.header_table_size, initial.header_table_size, false);
  add(SettingId::EnablePush, local.enable_push, initial.enable_push, true);
  add(SettingId::MaxConcurrentStreams, local.max_concurrent_streams, initial.max_concurrent_streams,
      false);
  add(SettingId::InitialWindowSize, local.initial_window_size, initial.initial_window_size, false);
  add(SettingId::MaxFrameSize, local.max_frame_size, initial.max_frame_size, false);
  add(SettingId::MaxHeaderListSize, local.max_header_list_size, initial.max_header_list_size,
      false);
  add(SettingId::EnableConnectProtocol, local.enable_connect_protocol,
      initial.enable_connect_protocol, false);
  return n;
}

}  // namespace crossmux::codecs::h2
