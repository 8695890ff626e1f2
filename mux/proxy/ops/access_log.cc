// Access log formatting and buffered writing.
#include "mux/proxy/ops/access_log.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace crossmux::mux::proxy {
namespace {

void append_time(std::chrono::system_clock::time_point t, std::string& out) {
  auto secs = std::chrono::system_clock::to_time_t(t);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  out += buf;
}

// Escapes for both formats: quotes, backslashes and every control byte as \xNN (text) or \u00NN
// (JSON), so a request cannot forge log lines.
void append_escaped(std::string_view s, std::string& out, bool json) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f || (!json && c >= 0x80)) {
      out += json ? "\\u00" : "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

void append_duration(int64_t us, std::string& out) {
  if (us < 0) {
    out += '-';
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fms", static_cast<double>(us) / 1000.0);
  out += buf;
}

std::string_view or_dash(std::string_view s) {
  return s.empty() ? "-" : s;
}

}  // namespace

void format_access_text(const AccessRecord& r, std::string& out) {
  append_time(r.time, out);
  out += ' ';
  append_escaped(or_dash(r.client), out, false);
  out += ' ';
  out += or_dash(r.protocol_in);
  out += '>';
  out += or_dash(r.protocol_out);
  out += " \"";
  append_escaped(or_dash(r.method), out, false);
  out += ' ';
  append_escaped(or_dash(r.authority), out, false);
  out += ' ';
  append_escaped(or_dash(r.path), out, false);
  out += "\" ";
  out += std::to_string(r.status);
  out += " in=" + std::to_string(r.bytes_in) + " out=" + std::to_string(r.bytes_out) + " total=";
  append_duration(r.total_us, out);
  out += " connect=";
  append_duration(r.backend_connect_us, out);
  out += " backend=";
  append_duration(r.backend_response_us, out);
  out += " cluster=";
  append_escaped(or_dash(r.cluster), out, false);
  out += " backend=";
  append_escaped(or_dash(r.backend), out, false);
  out += " retries=" + std::to_string(r.retries) + " reason=\"";
  append_escaped(or_dash(r.answered_reason), out, false);
  out += "\"\n";
}

void format_access_json(const AccessRecord& r, std::string& out) {
  auto str = [&](const char* key, std::string_view v, bool first = false) {
    if (!first) out += ',';
    out += '"';
    out += key;
    out += "\":\"";
    append_escaped(v, out, true);
    out += '"';
  };
  auto num = [&](const char* key, int64_t v) {
    out += ",\"";
    out += key;
    out += "\":";
    out += v < 0 ? "null" : std::to_string(v);
  };
  out += '{';
  std::string t;
  append_time(r.time, t);
  str("time", t, true);
  str("client", r.client);
  str("protocol_in", r.protocol_in);
  str("protocol_out", r.protocol_out);
  str("method", r.method);
  str("authority", r.authority);
  str("path", r.path);
  num("status", r.status);
  num("bytes_in", static_cast<int64_t>(r.bytes_in));
  num("bytes_out", static_cast<int64_t>(r.bytes_out));
  num("total_us", r.total_us);
  num("backend_connect_us", r.backend_connect_us);
  num("backend_response_us", r.backend_response_us);
  str("cluster", r.cluster);
  str("backend", r.backend);
  num("retries", r.retries);
  str("reason", r.answered_reason);
  out += "}\n";
}

AccessLog::AccessLog(std::string destination, config::LogFormat format)
    : destination_(std::move(destination)), format_(format) {}

AccessLog::~AccessLog() {
  own_.flush();
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

namespace {

int open_for_append(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 && error) *error = path + ": " + std::strerror(errno);
  return fd;
}

}  // namespace

bool AccessLog::open(std::string* error) {
  if (destination_.empty()) {
    off_for_terminal_ = ::isatty(STDOUT_FILENO) == 1;
    destination_ = off_for_terminal_ ? "off" : "stdout";
  }
  if (destination_ == "off") return true;
  if (destination_ == "stdout") {
    fd_ = STDOUT_FILENO;
    owns_fd_ = false;
  } else {
    fd_ = open_for_append(destination_, error);
    if (fd_ < 0) return false;
    owns_fd_ = true;
  }
  struct stat st {};
  atomic_chunks_ = ::fstat(fd_, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
  return true;
}

std::string AccessLog::where() const {
  if (off_for_terminal_) return "off (stdout is a terminal; set global.access_log to keep one)";
  return destination_.empty() ? "stdout" : destination_;
}

bool AccessLog::reopen(std::string* error) {
  if (!owns_fd_) return true;
  own_.flush();
  const int fresh = open_for_append(destination_, error);
  if (fresh < 0) return false;  // keep logging to the old file rather than nowhere
  // dup3 atomically swaps the file behind fd_: workers keep using the same number.
  const int r = ::dup3(fresh, fd_, O_CLOEXEC);
  const int saved = errno;
  ::close(fresh);
  if (r < 0) {
    if (error) *error = destination_ + ": " + std::strerror(saved);
    return false;
  }
  return true;
}

void AccessLog::write_lines(std::string_view lines, uint64_t count) {
  if (fd_ < 0 || lines.empty()) return;
  uint64_t lines_left = count;
  while (!lines.empty()) {
    size_t n = lines.size();
    if (atomic_chunks_ && n > PIPE_BUF) {
      // The longest run of whole lines within PIPE_BUF; a single longer line goes alone.
      const size_t cut = lines.rfind('\n', PIPE_BUF - 1);
      n = cut == std::string_view::npos ? lines.find('\n') : cut;
      n = n == std::string_view::npos ? lines.size() : n + 1;
    }
    const std::string_view chunk = lines.substr(0, n);
    size_t off = 0;
    while (off < chunk.size()) {
      ssize_t w = ::write(fd_, chunk.data() + off, chunk.size() - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        lines_dropped_.fetch_add(lines_left, std::memory_order_relaxed);
        return;
      }
      off += static_cast<size_t>(w);
    }
    const auto in_chunk = static_cast<uint64_t>(std::count(chunk.begin(), chunk.end(), '\n'));
    const uint64_t done = std::min(in_chunk, lines_left);
    lines_written_.fetch_add(done, std::memory_order_relaxed);
    lines_left -= done;
    lines.remove_prefix(n);
  }
}

void AccessLogWriter::log(const AccessRecord& r) {
  if (!enabled()) return;
  if (log_->format() == config::LogFormat::Json) {
    format_access_json(r, buffer_);
  } else {
    format_access_text(r, buffer_);
  }
  ++pending_lines_;
  if (buffer_.size() >= 64 * 1024) flush();
}

void AccessLogWriter::flush() {
  if (buffer_.empty()) return;
  if (log_) log_->write_lines(buffer_, pending_lines_);
  pending_lines_ = 0;
  buffer_.clear();
}

bool AccessLogWriter::enabled() const {
  return log_ != nullptr && log_->enabled();
}

}  // namespace crossmux::mux::proxy
