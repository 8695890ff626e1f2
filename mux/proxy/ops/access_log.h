// Access log: one line per request in text or JSON, buffered, to a file or stdout, reopenable.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mux/config/config.h"

namespace crossmux::mux::proxy {

// Everything logged about one request. Durations are microseconds on one monotonic clock, so
// backend_response_us never exceeds total_us; -1 means "did not happen" (e.g. no backend connect
// because the proxy answered itself). Empty strings are "none".
struct AccessRecord {
  std::chrono::system_clock::time_point time;  // when the request head arrived
  std::string_view client;                     // "ip:port"
  std::string_view listener;                   // the listener's name
  std::string_view protocol_in;                // "HTTP/1.1", "HTTP/2"
  std::string_view protocol_out;               // backend protocol, empty when none
  std::string_view method;
  std::string_view authority;
  std::string_view path;
  uint16_t status = 0;
  uint64_t bytes_in = 0;   // request body bytes received from the client
  uint64_t bytes_out = 0;  // response body bytes sent to the client
  int64_t total_us = -1;
  int64_t backend_connect_us = -1;
  int64_t backend_response_us = -1;  // request sent -> response head received
  std::string_view cluster;
  std::string_view backend;  // "ip:port"
  uint32_t retries = 0;
  std::string_view answered_reason;  // set when the proxy answered itself
  std::string_view request_id;
  std::string_view user_agent;
  std::string_view referer;
  std::string_view tls_version;  // "TLSv1.3"; empty on a plain listener
  std::string_view tls_cipher;
  std::string_view sni;
  std::string_view alpn;
};

// The fields a line can carry, in config::access_log_field_names() order.
enum class LogField : uint8_t {
  Time = 0,
  Client,
  Listener,
  ProtocolIn,
  ProtocolOut,
  Method,
  Authority,
  Path,
  Status,
  BytesIn,
  BytesOut,
  TotalUs,
  BackendConnectUs,
  BackendResponseUs,
  Cluster,
  Backend,
  Retries,
  Reason,
  RequestId,
  UserAgent,
  Referer,
  TlsVersion,
  TlsCipher,
  Sni,
  Alpn,
};
inline constexpr size_t kLogFields = 25;

// The fields named by global.access_log_fields (names checked by the configuration parser;
// unknown ones are skipped); empty `names`: every field, in the order above.
std::vector<LogField> log_fields(const std::vector<std::string>& names);

// Appends one line (with '\n') holding `fields` of `r`, in that order:
//   text (logfmt): time=2026-11-27T05:00:00.123456Z client=127.0.0.1:5555 method=GET
//                  path="/a?b=c" status=200 total_us=1234 user_agent="curl/8.0" sni=-
//     a value is quoted (with \" \\ and \xNN escapes) when it holds a space, a quote, '=', a
//     backslash or a byte outside visible ASCII; "none" is -.
//   json: {"time":"2026-11-27T05:00:00.123456Z","client":"127.0.0.1:5555",...,"sni":null}
//     numbers as numbers, "none" as null.
// Request-derived strings are escaped: no raw control byte, quote or newline reaches the log.
void format_access_text(const AccessRecord& r, const std::vector<LogField>& fields,
                        std::string& out);
void format_access_json(const AccessRecord& r, const std::vector<LogField>& fields,
                        std::string& out);

class AccessLog;

// One worker thread's side of the access log: lines are formatted into its own buffer and handed
// to the shared AccessLog by flush() (the worker's loop calls it once per iteration) or when the
// buffer passes 64 KiB. Single-threaded; no lock is taken per line.
class AccessLogWriter {
 public:
  explicit AccessLogWriter(AccessLog* log) : log_(log) {}  // null: logging off
  ~AccessLogWriter() { flush(); }
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  void log(const AccessRecord& r);
  void flush();
  bool enabled() const;

 private:
  AccessLog* log_;
  std::string buffer_;
  uint64_t pending_lines_ = 0;
};

// The destination every worker writes to. Each worker flushes whole lines with one write(2) on an
// O_APPEND descriptor, so lines of different workers never interleave (pipes: writes of at most
// PIPE_BUF bytes, cut at line ends, which POSIX keeps atomic). A write error drops those lines and
// counts them rather than blocking the proxy. log()/flush() here are a single-threaded writer of
// its own (tests, tools); workers use an AccessLogWriter each.
class AccessLog {
 public:
  // destination: a path (opened for append), "stdout", "off", or "" (global.access_log unset):
  // stdout, or off when stdout is a terminal (a person reading the proxy's messages). `fields`:
  // global.access_log_fields (empty: every field).
  AccessLog(std::string destination, config::LogFormat format,
            const std::vector<std::string>& fields = {});
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // False with `error` set when the destination cannot be opened.
  bool open(std::string* error);
  void log(const AccessRecord& r) { own_.log(r); }
  void flush() { own_.flush(); }
  // Reopens the file (after rotation; on SIGUSR1), from any thread while workers write: the new
  // file is dup2()ed onto the same descriptor number, so a concurrent write lands whole in the old
  // file or the new one, never on a closed descriptor. On failure the old file stays in use.
  // No-op for stdout/off.
  bool reopen(std::string* error);
  // Thread-safe: writes `count` complete lines.
  void write_lines(std::string_view lines, uint64_t count);

  bool enabled() const { return fd_ >= 0; }
  config::LogFormat format() const { return format_; }
  const std::vector<LogField>& fields() const { return fields_; }
  const std::string& destination() const { return destination_; }
  // Where lines go, for the startup message: the path, "stdout", "off", or why it is off.
  std::string where() const;
  uint64_t lines_written() const { return lines_written_.load(std::memory_order_relaxed); }
  uint64_t lines_dropped() const { return lines_dropped_.load(std::memory_order_relaxed); }

 private:
  std::string destination_;
  config::LogFormat format_;
  std::vector<LogField> fields_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool atomic_chunks_ = false;  // a pipe or socket: writes of at most PIPE_BUF bytes
  bool off_for_terminal_ = false;
  std::atomic<uint64_t> lines_written_{0};
  std::atomic<uint64_t> lines_dropped_{0};
  AccessLogWriter own_{this};
};

}  // namespace crossmux::mux::proxy
