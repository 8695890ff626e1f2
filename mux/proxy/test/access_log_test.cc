// Access log formats, escaping of hostile request bytes, file writing and reopen after rotation.
#include "mux/proxy/ops/access_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace crossmux::mux::proxy {
namespace {

AccessRecord sample() {
  AccessRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::microseconds(1795755600123456));
  r.client = "127.0.0.1:5555";
  r.listener = "main";
  r.protocol_in = "HTTP/2";
  r.protocol_out = "HTTP/1.1";
  r.method = "GET";
  r.authority = "example.com";
  r.path = "/a?b=\"c\"";
  r.status = 200;
  r.bytes_in = 0;
  r.bytes_out = 12;
  r.total_us = 1234;
  r.backend_connect_us = 100;
  r.backend_response_us = 1000;
  r.cluster = "api";
  r.backend = "10.0.0.1:80";
  r.request_id = "0123456789abcdef0000000000000001";
  r.user_agent = "curl/8.0 (x86_64)";
  r.tls_version = "TLSv1.3";
  r.tls_cipher = "TLS_AES_128_GCM_SHA256";
  r.sni = "example.com";
  r.alpn = "h2";
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string text(const AccessRecord& r, const std::vector<std::string>& names = {}) {
  std::string out;
  format_access_text(r, log_fields(names), out);
  return out;
}

std::string json(const AccessRecord& r, const std::vector<std::string>& names = {}) {
  std::string out;
  format_access_json(r, log_fields(names), out);
  return out;
}

// The default: every field, logfmt; values with a space, quote, '=' or backslash quoted; none as -.
TEST(AccessLog, TextFormatCarriesEveryField) {
  EXPECT_EQ(text(sample()),
            "time=2026-11-27T05:00:00.123456Z client=127.0.0.1:5555 listener=main "
            "protocol_in=HTTP/2 protocol_out=HTTP/1.1 method=GET authority=example.com "
            "path=\"/a?b=\\\"c\\\"\" status=200 bytes_in=0 bytes_out=12 total_us=1234 "
            "backend_connect_us=100 backend_response_us=1000 cluster=api backend=10.0.0.1:80 "
            "retries=0 reason=- request_id=0123456789abcdef0000000000000001 "
            "user_agent=\"curl/8.0 (x86_64)\" referer=- tls_version=TLSv1.3 "
            "tls_cipher=TLS_AES_128_GCM_SHA256 sni=example.com alpn=h2\n");
}

TEST(AccessLog, ChosenFieldsInTheirOrder) {
  EXPECT_EQ(text(sample(), {"status", "time", "request_id"}),
            "status=200 time=2026-11-27T05:00:00.123456Z "
            "request_id=0123456789abcdef0000000000000001\n");
  EXPECT_EQ(json(sample(), {"user_agent", "total_us", "referer"}),
            "{\"user_agent\":\"curl/8.0 (x86_64)\",\"total_us\":1234,\"referer\":null}\n");
}

TEST(AccessLog, JsonFormatAndAnsweredRequests) {
  AccessRecord r = sample();
  r.status = 404;
  r.protocol_out = "";
  r.backend_connect_us = -1;
  r.backend_response_us = -1;
  r.cluster = "";
  r.backend = "";
  r.answered_reason = "no frontend matches";
  r.tls_version = r.tls_cipher = r.sni = r.alpn = "";
  EXPECT_EQ(json(r),
            "{\"time\":\"2026-11-27T05:00:00.123456Z\",\"client\":\"127.0.0.1:5555\","
            "\"listener\":\"main\",\"protocol_in\":\"HTTP/2\",\"protocol_out\":null,"
            "\"method\":\"GET\",\"authority\":\"example.com\",\"path\":\"/a?b=\\\"c\\\"\","
            "\"status\":404,\"bytes_in\":0,\"bytes_out\":12,\"total_us\":1234,"
            "\"backend_connect_us\":null,\"backend_response_us\":null,\"cluster\":null,"
            "\"backend\":null,\"retries\":0,\"reason\":\"no frontend matches\","
            "\"request_id\":\"0123456789abcdef0000000000000001\","
            "\"user_agent\":\"curl/8.0 (x86_64)\",\"referer\":null,\"tls_version\":null,"
            "\"tls_cipher\":null,\"sni\":null,\"alpn\":null}\n");
  EXPECT_EQ(text(r, {"protocol_out", "backend_connect_us", "reason"}),
            "protocol_out=- backend_connect_us=- reason=\"no frontend matches\"\n");
}

TEST(AccessLog, ControlBytesCannotForgeLines) {
  AccessRecord r = sample();
  r.path = "/x\n2026-01-01T00:00:00Z fake\r\x01";
  r.user_agent = "a\" status=500 b=\"";
  r.referer = "\xc3\xa9";
  const std::string t = text(r), j = json(r);
  EXPECT_EQ(t.find('\n'), t.size() - 1);
  EXPECT_EQ(j.find('\n'), j.size() - 1);
  EXPECT_NE(t.find("path=\"/x\\x0a2026"), std::string::npos) << t;
  EXPECT_NE(j.find("/x\\u000a2026"), std::string::npos) << j;
  // A quote in a value cannot end it and start a forged field.
  EXPECT_NE(t.find("user_agent=\"a\\\" status=500 b=\\\"\""), std::string::npos) << t;
  EXPECT_NE(t.find("referer=\"\\xc3\\xa9\""), std::string::npos) << t;
}

// DEL (0x7f) is a control byte like the C0 ones: escaped in both formats, never written raw. A
// logfmt value with '=' is quoted, or "referer=a=b" would read as a value "a" and a stray "=b".
TEST(AccessLog, DelAndEqualsSignAreEscapedOrQuoted) {
  AccessRecord r = sample();
  r.path = "/a\x7f";
  r.referer = "q=1";
  const std::string t = text(r, {"path", "referer"}), j = json(r, {"path", "referer"});
  EXPECT_EQ(t, "path=\"/a\\x7f\" referer=\"q=1\"\n");
  EXPECT_EQ(j, "{\"path\":\"/a\\u007f\",\"referer\":\"q=1\"}\n");
}

TEST(AccessLog, WritesAndReopensAfterRotation) {
  auto dir =
      std::filesystem::temp_directory_path() / ("crossmux-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "access.log").string();
  {
    AccessLog log(path, config::LogFormat::Text);
    std::string err;
    ASSERT_TRUE(log.open(&err)) << err;
    log.log(sample());
    log.flush();
    std::filesystem::rename(path, path + ".1");
    ASSERT_TRUE(log.reopen(&err)) << err;
    log.log(sample());
    log.log(sample());
    log.flush();
    EXPECT_EQ(log.lines_written(), 3u);
  }
  auto count_lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  EXPECT_EQ(count_lines(read_file(path + ".1")), 1);
  EXPECT_EQ(count_lines(read_file(path)), 2);
  std::filesystem::remove_all(dir);
}

TEST(AccessLog, UnwritableDestinationFailsToOpen) {
  AccessLog log("/nonexistent-dir/access.log", config::LogFormat::Text);
  std::string err;
  EXPECT_FALSE(log.open(&err));
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
}

// Several workers, each with its own writer, log into one file while it is rotated and reopened:
// every line lands whole in exactly one of the two files.
TEST(AccessLog, WorkersShareOneFileAcrossAReopen) {
  auto dir = std::filesystem::temp_directory_path() /
             ("crossmux-log-workers-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "access.log").string();
  constexpr int kWorkers = 4;
  constexpr int kLinesEach = 20000;
  const std::string expected_line = text(sample());
  {
    AccessLog log(path, config::LogFormat::Text);
    std::string err;
    ASSERT_TRUE(log.open(&err)) << err;
    std::atomic<int> started{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
      workers.emplace_back([&] {
        AccessLogWriter writer(&log);
        ++started;
        for (int i = 0; i < kLinesEach; ++i) {
          writer.log(sample());
          if (i % 7 == 0) writer.flush();  // a loop iteration's worth of lines
        }
      });
    }
    while (started.load() < kWorkers) std::this_thread::yield();
    std::filesystem::rename(path, path + ".1");
    ASSERT_TRUE(log.reopen(&err)) << err;
    for (auto& t : workers) t.join();
    EXPECT_EQ(log.lines_written(), uint64_t{kWorkers} * kLinesEach);
    EXPECT_EQ(log.lines_dropped(), 0u);
  }
  size_t lines = 0;
  for (const std::string& f : {path + ".1", path}) {
    std::istringstream in(read_file(f));
    for (std::string line; std::getline(in, line); ++lines) {
      ASSERT_EQ(line + "\n", expected_line) << "torn line in " << f;
    }
  }
  EXPECT_EQ(lines, size_t{kWorkers} * kLinesEach);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace crossmux::mux::proxy
