// The proxy's log lines: timestamped with a level, or in journald's "<priority>" form.
#include "mux/proxy/ops/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace crossmux::mux::proxy {

std::string_view to_string(LogLevel l) {
  switch (l) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Notice:
      return "notice";
    case LogLevel::Info:
      return "info";
  }
  return "info";
}

bool log_to_journal() {
  static const bool journal = [] {
    // systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the stream connected to the journal;
    // it only counts when stderr is still that stream (not redirected by a wrapper).
    const char* js = std::getenv("JOURNAL_STREAM");
    if (js == nullptr) return false;
    unsigned long long dev = 0, ino = 0;
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
  }();
  return journal;
}

std::string format_log_line(LogLevel level, std::string_view message, bool journal,
                            long long unix_us) {
  std::string line;
  line.reserve(message.size() + 48);
  if (journal) {
    // The journal stamps the time itself and reads the priority from the prefix.
    line += '<';
    line += static_cast<char>('0' + static_cast<int>(level));
    line += '>';
  } else {
    const std::time_t secs = static_cast<std::time_t>(unix_us / 1'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_us % 1'000'000);
    line += buf;
    line += to_string(level);
    line += ": ";
  }
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else if (c != '\r') {
      line += c;
    }
  }
  line += '\n';
  return line;
}

void log(LogLevel level, std::string_view message) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::string line =
      format_log_line(level, message, log_to_journal(),
                      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to report that the log is gone
    off += static_cast<size_t>(n);
  }
}

}  // namespace crossmux::mux::proxy
