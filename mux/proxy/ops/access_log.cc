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
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1'000'000));
  out += buf;
}

constexpr char kHex[] = "0123456789abcdef";

// JSON string contents: quotes, backslashes and every control byte escaped, so a request cannot
// forge log lines.
void append_json_escaped(std::string_view s, std::string& out) {
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

// logfmt: bare when the value is plain visible ASCII, else quoted with \" \\ and \xNN escapes.
void append_text_value(std::string_view s, std::string& out) {
  if (s.empty()) {
    out += '-';
    return;
  }
  const bool bare = std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
  });
  if (bare) {
    out += s;
    return;
  }
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// One field's value: a string, or a number (-1: none).
struct FieldValue {
  std::string_view text;
  int64_t number = 0;
  bool is_number = false;
};

FieldValue value_of(const AccessRecord& r, LogField f, std::string& scratch) {
  auto num = [](int64_t v) { return FieldValue{{}, v, true}; };
  switch (f) {
    case LogField::Time:
      scratch.clear();
      append_time(r.time, scratch);
      return {scratch};
    case LogField::Client:
      return {r.client};
    case LogField::Listener:
      return {r.listener};
    case LogField::ProtocolIn:
      return {r.protocol_in};
    case LogField::ProtocolOut:
      return {r.protocol_out};
    case LogField::Method:
      return {r.method};
    case LogField::Authority:
      return {r.authority};
    case LogField::Path:
      return {r.path};
    case LogField::Status:
      return num(r.status);
    case LogField::BytesIn:
      return num(static_cast<int64_t>(r.bytes_in));
    case LogField::BytesOut:
      return num(static_cast<int64_t>(r.bytes_out));
    case LogField::TotalUs:
      return num(r.total_us);
    case LogField::BackendConnectUs:
      return num(r.backend_connect_us);
    case LogField::BackendResponseUs:
      return num(r.backend_response_us);
    case LogField::Cluster:
      return {r.cluster};
    case LogField::Backend:
      return {r.backend};
    case LogField::Retries:
      return num(r.retries);
    case LogField::Reason:
      return {r.answered_reason};
    case LogField::RequestId:
      return {r.request_id};
    case LogField::UserAgent:
      return {r.user_agent};
    case LogField::Referer:
      return {r.referer};
    case LogField::TlsVersion:
      return {r.tls_version};
    case LogField::TlsCipher:
      return {r.tls_cipher};
    case LogField::Sni:
      return {r.sni};
    case LogField::Alpn:
      return {r.alpn};
  }
  return {};
}

std::string_view name_of(LogField f) {
  return config::access_log_field_names()[static_cast<size_t>(f)];
}

}  // namespace

std::vector<LogField> log_fields(const std::vector<std::string>& names) {
  const auto& known = config::access_log_field_names();
  std::vector<LogField> out;
  if (names.empty()) {
    for (size_t i = 0; i < kLogFields && i < known.size(); ++i)
      out.push_back(static_cast<LogField>(i));
    return out;
  }
  for (const auto& n : names) {
    const auto it = std::find(known.begin(), known.end(), std::string_view(n));
    if (it != known.end() && static_cast<size_t>(it - known.begin()) < kLogFields) {
      out.push_back(static_cast<LogField>(it - known.begin()));
    }
  }
  return out;
}

void format_access_text(const AccessRecord& r, const std::vector<LogField>& fields,
                        std::string& out) {
  std::string scratch;
  bool first = true;
  for (LogField f : fields) {
    if (!first) out += ' ';
    first = false;
    out += name_of(f);
    out += '=';
    const FieldValue v = value_of(r, f, scratch);
    if (v.is_number) {
      if (v.number < 0) {
        out += '-';
      } else {
        out += std::to_string(v.number);
      }
    } else {
      append_text_value(v.text, out);
    }
  }
  out += '\n';
}

void format_access_json(const AccessRecord& r, const std::vector<LogField>& fields,
                        std::string& out) {
  std::string scratch;
  out += '{';
  bool first = true;
  for (LogField f : fields) {
    if (!first) out += ',';
    first = false;
    out += '"';
    out += name_of(f);
    out += "\":";
    const FieldValue v = value_of(r, f, scratch);
    if (v.is_number) {
      out += v.number < 0 ? "null" : std::to_string(v.number);
    } else if (v.text.empty()) {
      out += "null";
    } else {
      out += '"';
      append_json_escaped(v.text, out);
      out += '"';
    }
  }
  out += "}\n";
}

AccessLog::AccessLog(std::string destination, config::LogFormat format,
                     const std::vector<std::string>& fields)
    : destination_(std::move(destination)), format_(format), fields_(log_fields(fields)) {}

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
    format_access_json(r, log_->fields(), buffer_);
  } else {
    format_access_text(r, log_->fields(), buffer_);
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
