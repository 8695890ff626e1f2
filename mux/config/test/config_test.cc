// Configuration parsing: the embedded default, a full file, and each class of mistake with its
// message.
#include <gtest/gtest.h>

#include <string>

#include "mux/config/config_parser.h"
#include "mux/config/embedded_default.h"

namespace crossmux::mux::config {
namespace {

std::string all_errors(const ParseResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += format_error("test.toml", e) + "\n";
  return out;
}

TEST(Config, EmbeddedDefaultIsValid) {
  auto r = parse_config(embedded_default_toml(), "<embedded>");
  ASSERT_TRUE(r.config) << all_errors(r);
  const Config& c = *r.config;
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].address.to_string(), "127.0.0.1:8080");
  EXPECT_TRUE(c.listeners[0].http1 && c.listeners[0].http2);
  EXPECT_FALSE(c.listeners[0].tls());
  ASSERT_EQ(c.clusters.size(), 2u);
  EXPECT_TRUE(c.clusters[0].builtin_origin);
  EXPECT_EQ(c.clusters[0].protocol, BackendProtocol::H2c);
  EXPECT_EQ(c.frontends[0].path, "/h2/");
}

TEST(Config, FullFileRoundTripsEveryKey) {
  auto r = parse_config(R"(
[global]
workers = 2
via = "edge-1"
access_log = "off"
access_log_format = "json"
admin = "127.0.0.1:9901"
pid_file = "/run/crossmux.pid"
[limits]
max_concurrent_streams = 50
initial_window_size = 1048576
connection_window = 1048576
max_header_block_bytes = 65536
max_request_body = 1000000
[timeouts]
backend_connect = "250ms"
client_idle = "2m"
graceful_shutdown = "3s"
tunnel = "2h"
[answers.503]
body = "busy"
[[listeners]]
name = "pub"
address = "[::1]:8443"
protocols = ["h2"]
allow_connect = true
[[clusters]]
name = "api"
protocol = "h2c"
load_balancing = "least_connections"
backends = ["10.0.0.1:80", { address = "backend.local:8080", weight = 3 }]
[clusters.answers.502]
body = "api down"
content_type = "application/json"
[[frontends]]
listener = "pub"
hostname = "*.example.com"
path = "^/v[0-9]+/"
path_match = "regex"
method = "POST"
cluster = "api"
)",
                        "full.toml");
  ASSERT_TRUE(r.config) << all_errors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.global.workers, 2u);
  EXPECT_EQ(c.global.via, "edge-1");
  EXPECT_EQ(c.global.access_log_format, LogFormat::Json);
  ASSERT_TRUE(c.global.admin);
  EXPECT_EQ(c.global.admin->port, 9901);
  EXPECT_EQ(c.global.pid_file, "/run/crossmux.pid");
  EXPECT_EQ(c.timeouts.graceful_shutdown, Millis(3000));
  EXPECT_EQ(c.limits.max_concurrent_streams, 50u);
  EXPECT_EQ(c.limits.connection_window, 1048576u);
  EXPECT_EQ(c.limits.max_header_block_bytes, 65536u);
  EXPECT_EQ(c.timeouts.backend_connect, Millis(250));
  EXPECT_EQ(c.timeouts.client_idle, Millis(120000));
  EXPECT_EQ(c.timeouts.tunnel, Millis(7200000));
  EXPECT_EQ(c.timeouts.stream_progress, Millis(30000));
  EXPECT_EQ(c.answers.at(503).body, "busy");
  EXPECT_EQ(c.listeners[0].address.host, "::1");
  EXPECT_FALSE(c.listeners[0].http1);
  EXPECT_TRUE(c.listeners[0].allow_connect);
  EXPECT_EQ(c.clusters[0].load_balancing, LoadBalancing::LeastConnections);
  ASSERT_EQ(c.clusters[0].backends.size(), 2u);
  EXPECT_EQ(c.clusters[0].backends[1].weight, 3u);
  EXPECT_EQ(c.clusters[0].answers.at(502).content_type, "application/json");
  EXPECT_EQ(c.frontends[0].path_match, PathMatch::Regex);
  EXPECT_EQ(c.frontends[0].listeners, std::vector<std::string>{"pub"});
}

struct BadCase {
  const char* name;
  const char* toml;
  const char* expected;  // a substring of the formatted errors
};

constexpr char kMinimal[] = R"(
[[listeners]]
name = "l"
address = "127.0.0.1:8080"
[[clusters]]
name = "c"
backends = ["127.0.0.1:9000"]
[[frontends]]
cluster = "c"
)";

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesTheKeyAndSaysWhy) {
  const auto& p = GetParam();
  auto r = parse_config(std::string(kMinimal) + p.toml, "test.toml");
  EXPECT_FALSE(r.config);
  EXPECT_NE(all_errors(r).find(p.expected), std::string::npos)
      << "expected \"" << p.expected << "\" in:\n"
      << all_errors(r);
}

INSTANTIATE_TEST_SUITE_P(
    Config, BadConfig,
    ::testing::Values(
        BadCase{"syntax", "[[listeners]\n", "test.toml:10: Error while parsing table header"},
        BadCase{"unknown_key_suggests", "[timeouts]\nbackend_conect = \"1s\"\n",
                "timeouts.backend_conect: unknown key; did you mean \"backend_connect\"?"},
        BadCase{"bad_duration", "[timeouts]\nclient_idle = 30\n",
                "timeouts.client_idle: must be a duration"},
        BadCase{"range", "[limits]\nmax_frame_size = 100\n",
                "limits.max_frame_size: must be between 16384 and 16777215 (got 100)"},
        BadCase{"window_range", "[limits]\ninitial_window_size = 2147483648\n",
                "limits.initial_window_size: must be between 0 and 2147483647"},
        BadCase{"bad_enum",
                "[[clusters]]\nname = \"d\"\nprotocol = \"http3\"\nbackends = [\"a:1\"]\n",
                "clusters[1].protocol: must be one of \"http1\", \"h2c\", \"h2\""},
        BadCase{"bad_backend", "[[clusters]]\nname = \"d\"\nbackends = [\"nohostport\"]\n",
                "clusters[1].backends[0]: \"nohostport\" is not \"host:port\""},
        BadCase{"no_backends", "[[clusters]]\nname = \"d\"\n",
                "clusters[1].backends: needs at least one backend"},
        BadCase{"dup_cluster", "[[clusters]]\nname = \"c\"\nbackends = [\"a:1\"]\n",
                "clusters[1].name: duplicate cluster name \"c\""},
        BadCase{"dangling_cluster", "[[frontends]]\ncluster = \"nope\"\n",
                "frontends[1].cluster: no cluster named \"nope\""},
        BadCase{"dangling_listener", "[[frontends]]\nlistener = \"x\"\ncluster = \"c\"\n",
                "frontends[1].listeners: no listener named \"x\""},
        BadCase{"bad_regex",
                "[[frontends]]\npath = \"([a-\"\npath_match = \"regex\"\ncluster = \"c\"\n",
                "frontends[1].path: invalid regex"},
        BadCase{"relative_path", "[[frontends]]\npath = \"api\"\ncluster = \"c\"\n",
                "frontends[1].path: must start with \"/\""},
        BadCase{"bad_method", "[[frontends]]\nmethod = \"GE T\"\ncluster = \"c\"\n",
                "frontends[1].method: \"GE T\" is not an HTTP method token"},
        BadCase{"backend_port_zero", "[[clusters]]\nname = \"d\"\nbackends = [\"10.0.0.1:0\"]\n",
                "clusters[1].backends[0]: \"10.0.0.1:0\" is not \"host:port\""},
        BadCase{
            "listener_port_range", "[[listeners]]\nname = \"z\"\naddress = \"127.0.0.1:65536\"\n",
            "listeners[1].address: must be \"host:port\" with a port 0-65535 (0: any free port"},
        BadCase{"same_address", "[[listeners]]\nname = \"z\"\naddress = \"127.0.0.1:8080\"\n",
                "listeners[1].address: another listener already uses 127.0.0.1:8080"},
        BadCase{"missing_cert",
                "[[listeners]]\nname = \"t\"\naddress = \"127.0.0.1:8443\"\n"
                "[[listeners.tls]]\ncert = \"/nonexistent.pem\"\nkey = \"/nonexistent.key\"\n",
                "listeners[1].tls[0].cert: cannot read \"/nonexistent.pem\""},
        BadCase{"bad_via", "[global]\nvia = \"my proxy\"\n",
                "global.via: \"my proxy\" is not a pseudonym (token) or host[:port]"},
        BadCase{"bad_answer_status", "[answers.42]\nbody = \"x\"\n",
                "answers.42: answer keys are HTTP status codes"},
        BadCase{"unknown_protocol",
                "[[listeners]]\nname = \"p\"\naddress = \"127.0.0.1:1\"\nprotocols = [\"spdy\"]\n",
                "listeners[1].protocols: unknown protocol \"spdy\""},
        BadCase{"connection_window", "[limits]\nconnection_window = 100\n",
                "limits.connection_window: must be between 65535 and 2147483647 (got 100)"},
        BadCase{"header_block", "[limits]\nmax_header_block_bytes = 10\n",
                "limits.max_header_block_bytes: must be between 1024"},
        BadCase{"reset_budget", "[limits]\nreset_budget = 0\n",
                "limits.reset_budget: must be between 1"},
        BadCase{"glitch_budget", "[limits]\nglitch_budget = -1\n",
                "limits.glitch_budget: must be between 1"},
        BadCase{"settings_entries", "[limits]\nmax_settings_entries = 2\n",
                "limits.max_settings_entries: must be between 6"},
        BadCase{"continuations", "[limits]\nmax_continuation_frames = 0\n",
                "limits.max_continuation_frames: must be between 1"},
        BadCase{"control_acks", "[limits]\nmax_queued_control_acks = \"many\"\n",
                "limits.max_queued_control_acks: must be an integer"},
        BadCase{"per_ip_above_total",
                "[limits]\nmax_connections = 10\nmax_connections_per_ip = 11\n",
                "limits.max_connections_per_ip: cannot exceed limits.max_connections"},
        BadCase{"admin_port", "[global]\nadmin = \"127.0.0.1\"\n",
                "global.admin: must be \"host:port\""},
        BadCase{"admin_on_listener", "[global]\nadmin = \"127.0.0.1:8080\"\n",
                "global.admin: listener \"l\" already uses 127.0.0.1:8080"},
        BadCase{"top_level_typo", "[[listners]]\nname = \"x\"\n",
                "listners: unknown key; did you mean \"listeners\"?"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(Config, ReportsEveryProblemInOnePass) {
  auto r =
      parse_config("[limits]\nmax_frame_size = 1\n[[listeners]]\naddress = \"a:1\"\n", "t.toml");
  ASSERT_FALSE(r.config);
  std::string errors = all_errors(r);
  EXPECT_NE(errors.find("limits.max_frame_size"), std::string::npos) << errors;
  EXPECT_NE(errors.find("listeners[0].name: is required"), std::string::npos) << errors;
  EXPECT_NE(errors.find("frontends: at least one"), std::string::npos) << errors;
}

TEST(Config, ValueGrammars) {
  EXPECT_EQ(parse_duration("1500ms"), Millis(1500));
  EXPECT_EQ(parse_duration("3s"), Millis(3000));
  EXPECT_FALSE(parse_duration("3"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1d"));
  auto a = parse_address("[2001:db8::1]:443");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "2001:db8::1");
  EXPECT_EQ(a->to_string(), "[2001:db8::1]:443");
  EXPECT_FALSE(parse_address("::1:80"));
  EXPECT_FALSE(parse_address("host:65536"));
  EXPECT_FALSE(parse_address("host:80x"));
  EXPECT_FALSE(parse_address(":80"));
  // Port 0 (any free port) is for listeners only.
  EXPECT_FALSE(parse_address("127.0.0.1:0"));
  ASSERT_TRUE(parse_address("127.0.0.1:0", true));
  EXPECT_EQ(parse_address("127.0.0.1:0", true)->port, 0);
  EXPECT_FALSE(parse_address("127.0.0.1:65536", true));
}

}  // namespace
}  // namespace crossmux::mux::config
