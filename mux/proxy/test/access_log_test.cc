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
  r.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795755600123));
  r.client = "127.0.0.1:5555";
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
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AccessLog, TextFormat) {
  std::string out;
  format_access_text(sample(), out);
  EXPECT_EQ(out,
            "2026-11-27T05:00:00.123Z 127.0.0.1:5555 HTTP/2>HTTP/1.1 \"GET example.com "
            "/a?b=\\\"c\\\"\" 200 in=0 out=12 total=1.234ms connect=0.100ms backend=1.000ms "
            "cluster=api backend=10.0.0.1:80 retries=0 reason=\"-\"\n");
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
  std::string out;
  format_access_json(r, out);
  EXPECT_EQ(out,
            "{\"time\":\"2026-11-27T05:00:00.123Z\",\"client\":\"127.0.0.1:5555\","
            "\"protocol_in\":\"HTTP/2\",\"protocol_out\":\"\",\"method\":\"GET\","
            "\"authority\":\"example.com\",\"path\":\"/a?b=\\\"c\\\"\",\"status\":404,"
            "\"bytes_in\":0,\"bytes_out\":12,\"total_us\":1234,\"backend_connect_us\":null,"
            "\"backend_response_us\":null,\"cluster\":\"\",\"backend\":\"\",\"retries\":0,"
            "\"reason\":\"no frontend matches\"}\n");
}

TEST(AccessLog, ControlBytesCannotForgeLines) {
  AccessRecord r = sample();
  r.path = "/x\n2026-01-01T00:00:00Z fake\r\x01";
  std::string text, json;
  format_access_text(r, text);
  format_access_json(r, json);
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_EQ(json.find('\n'), json.size() - 1);
  EXPECT_NE(text.find("/x\\x0a2026"), std::string::npos) << text;
  EXPECT_NE(json.find("/x\\u000a2026"), std::string::npos) << json;
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
  std::string expected_line;
  format_access_text(sample(), expected_line);
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
