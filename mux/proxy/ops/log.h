// The proxy's own log (not the access log): one line per event on stderr, with time and level on
// a terminal or in a file, and as syslog-priority lines ("<4>...") under systemd's journal.
#pragma once

#include <string>
#include <string_view>

namespace crossmux::mux::proxy {

// syslog(3) priorities, which journald reads from a "<N>" line prefix.
enum class LogLevel : int { Error = 3, Warning = 4, Notice = 5, Info = 6 };
std::string_view to_string(LogLevel l);

// Writes one line to stderr with a single write(2), so lines of several threads never mix:
//   2026-11-27T05:00:00.123456Z info: listener main on 127.0.0.1:8080
// or, when stderr is the journal (JOURNAL_STREAM names stderr's device and inode):
//   <6>listener main on 127.0.0.1:8080
// Thread-safe. Newlines inside `message` are escaped (one event, one line).
void log(LogLevel level, std::string_view message);
inline void log_error(std::string_view m) {
  log(LogLevel::Error, m);
}
inline void log_warning(std::string_view m) {
  log(LogLevel::Warning, m);
}
inline void log_notice(std::string_view m) {
  log(LogLevel::Notice, m);
}
inline void log_info(std::string_view m) {
  log(LogLevel::Info, m);
}

// The line log() writes for `level` and `message` (exposed for tests); `journal` selects the
// journald form, `unix_us` the timestamp of the other.
std::string format_log_line(LogLevel level, std::string_view message, bool journal,
                            long long unix_us);

// Whether stderr is the journal (checked once).
bool log_to_journal();

}  // namespace crossmux::mux::proxy
