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
access_log_fields = ["time", "status", "request_id", "user_agent"]
request_id_header = "x-trace"
shared_ports = true
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
protocols = ["h2c"]
allow_connect = true
[[clusters]]
name = "api"
protocol = "h2c"
load_balancing = "least_connections"
backends = ["10.0.0.1:80", { address = "backend.local:8080", weight = 3 }]
[clusters.health_check]
method = "HEAD"
path = "/healthz"
host = "api.internal"
interval = "2s"
timeout = "500ms"
rise = 3
fall = 4
expect_status = [200, 204]
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
  EXPECT_EQ(c.global.access_log_fields,
            (std::vector<std::string>{"time", "status", "request_id", "user_agent"}));
  EXPECT_EQ(c.global.request_id_header, "x-trace");
  EXPECT_TRUE(c.global.shared_ports);
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
  ASSERT_TRUE(c.clusters[0].health_check);
  const HealthCheck& hc = *c.clusters[0].health_check;
  EXPECT_EQ(hc.method, "HEAD");
  EXPECT_EQ(hc.path, "/healthz");
  EXPECT_EQ(hc.host, "api.internal");
  EXPECT_EQ(hc.interval, Millis(2000));
  EXPECT_EQ(hc.timeout, Millis(500));
  EXPECT_EQ(hc.rise, 3u);
  EXPECT_EQ(hc.fall, 4u);
  EXPECT_EQ(hc.expect_status, (std::vector<uint16_t>{200, 204}));
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
                "timeouts.client_idle = 30: must be a duration"},
        BadCase{"range", "[limits]\nmax_frame_size = 100\n",
                "test.toml:11: limits.max_frame_size = 100: must be between 16384 and 16777215"},
        BadCase{"window_range", "[limits]\ninitial_window_size = 2147483648\n",
                "limits.initial_window_size = 2147483648: must be between 0 and 2147483647"},
        BadCase{"bad_enum",
                "[[clusters]]\nname = \"d\"\nprotocol = \"http3\"\nbackends = [\"a:1\"]\n",
                "clusters[2].protocol = \"http3\": must be one of \"http1\", \"h2c\", \"h2\""},
        BadCase{"bad_backend", "[[clusters]]\nname = \"d\"\nbackends = [\"nohostport\"]\n",
                "test.toml:12: clusters[2].backends[1] = \"nohostport\": is not \"host:port\""},
        BadCase{"no_backends", "[[clusters]]\nname = \"d\"\n",
                "test.toml:10: clusters[2].backends: needs at least one backend"},
        BadCase{"dup_cluster", "[[clusters]]\nname = \"c\"\nbackends = [\"a:1\"]\n",
                "test.toml:11: clusters[2].name = \"c\": another cluster has this name"},
        BadCase{
            "dangling_cluster", "[[frontends]]\ncluster = \"nope\"\n",
            "test.toml:11: frontends[2].cluster = \"nope\": no [[clusters]] entry has this name"},
        BadCase{"dangling_listener", "[[frontends]]\nlistener = \"x\"\ncluster = \"c\"\n",
                "frontends[2].listeners: no [[listeners]] entry is named \"x\""},
        BadCase{"bad_regex",
                "[[frontends]]\npath = \"([a-\"\npath_match = \"regex\"\ncluster = \"c\"\n",
                "frontends[2].path = \"([a-\": invalid regex"},
        BadCase{"relative_path", "[[frontends]]\npath = \"api\"\ncluster = \"c\"\n",
                "frontends[2].path = \"api\": must start with \"/\""},
        BadCase{"bad_method", "[[frontends]]\nmethod = \"GE T\"\ncluster = \"c\"\n",
                "frontends[2].method = \"GE T\": is not an HTTP method token"},
        BadCase{
            "backend_port_zero", "[[clusters]]\nname = \"d\"\nbackends = [\"10.0.0.1:0\"]\n",
            "clusters[2].backends[1] = \"10.0.0.1:0\": is not \"host:port\" with a port 1-65535"},
        BadCase{"listener_port_range",
                "[[listeners]]\nname = \"z\"\naddress = \"127.0.0.1:65536\"\n",
                "listeners[2].address = \"127.0.0.1:65536\": must be \"host:port\" with a port "
                "0-65535 (0: any free port"},
        BadCase{"same_address", "[[listeners]]\nname = \"z\"\naddress = \"127.0.0.1:8080\"\n",
                "test.toml:12: listeners[2].address = \"127.0.0.1:8080\": listeners[1] already "
                "uses it"},
        BadCase{"bad_via", "[global]\nvia = \"my proxy\"\n",
                "global.via = \"my proxy\": is not a pseudonym (token) or host[:port]"},
        BadCase{"bad_answer_status", "[answers.42]\nbody = \"x\"\n",
                "answers.42: answer keys are HTTP status codes"},
        BadCase{"unknown_protocol",
                "[[listeners]]\nname = \"p\"\naddress = \"127.0.0.1:1\"\nprotocols = [\"spdy\"]\n",
                "listeners[2].protocols = [\"spdy\"]: unknown protocol \"spdy\" (a plain listener "
                "offers"},
        BadCase{"connection_window", "[limits]\nconnection_window = 100\n",
                "limits.connection_window = 100: must be between 65535 and 2147483647"},
        BadCase{"header_block", "[limits]\nmax_header_block_bytes = 10\n",
                "limits.max_header_block_bytes = 10: must be between 1024"},
        BadCase{"reset_budget", "[limits]\nreset_budget = 0\n",
                "limits.reset_budget = 0: must be between 1"},
        BadCase{"glitch_budget", "[limits]\nglitch_budget = -1\n",
                "limits.glitch_budget = -1: must be between 1"},
        BadCase{"settings_entries", "[limits]\nmax_settings_entries = 2\n",
                "limits.max_settings_entries = 2: must be between 6"},
        BadCase{"continuations", "[limits]\nmax_continuation_frames = 0\n",
                "limits.max_continuation_frames = 0: must be between 1"},
        BadCase{"control_acks", "[limits]\nmax_queued_control_acks = \"many\"\n",
                "limits.max_queued_control_acks = \"many\": must be an integer"},
        BadCase{"per_ip_above_total",
                "[limits]\nmax_connections = 10\nmax_connections_per_ip = 11\n",
                "test.toml:12: limits.max_connections_per_ip = 11: cannot exceed "
                "limits.max_connections (10)"},
        BadCase{"admin_port", "[global]\nadmin = \"127.0.0.1\"\n",
                "global.admin = \"127.0.0.1\": must be \"host:port\""},
        BadCase{"admin_on_listener", "[global]\nadmin = \"127.0.0.1:8080\"\n",
                "test.toml:11: global.admin = \"127.0.0.1:8080\": listeners[1] already uses it"},
        BadCase{"top_level_typo", "[[listners]]\nname = \"x\"\n",
                "listners: unknown key; did you mean \"listeners\"?"},
        // RFC 9113 §3: "h2" is HTTP/2 over TLS, "h2c" over cleartext; a listener offers what its
        // transport can carry.
        BadCase{"h2_without_tls",
                "[[listeners]]\nname = \"p\"\naddress = \"127.0.0.1:1\"\n"
                "protocols = [\"h2\", \"http/1.1\"]\n",
                "test.toml:13: listeners[2].protocols = [\"h2\", \"http/1.1\"]: \"h2\" is HTTP/2 "
                "over TLS and this listener has no [[listeners.tls]]; use \"h2c\""},
        BadCase{"h2c_with_tls",
                "[[listeners]]\nname = \"p\"\naddress = \"127.0.0.1:1\"\nprotocols = [\"h2c\"]\n"
                "[[listeners.tls]]\ncert = \"/c.pem\"\nkey = \"/k.pem\"\n",
                "listeners[2].protocols = [\"h2c\"]: \"h2c\" is HTTP/2 without TLS and this "
                "listener has [[listeners.tls]]"},
        BadCase{"protocol_twice",
                "[[listeners]]\nname = \"p\"\naddress = \"127.0.0.1:1\"\n"
                "protocols = [\"h2c\", \"h2c\"]\n",
                "listeners[2].protocols = [\"h2c\", \"h2c\"]: lists \"h2c\" twice"},
        BadCase{"no_protocol",
                "[[listeners]]\nname = \"p\"\naddress = \"127.0.0.1:1\"\nprotocols = []\n",
                "listeners[2].protocols = []: must enable at least one protocol"},
        BadCase{"h2c_cluster_with_tls",
                "[[clusters]]\nname = \"d\"\nprotocol = \"h2c\"\nbackends = [\"a:1\"]\n"
                "[clusters.tls]\nverify = false\n",
                "clusters[2].tls: protocol \"h2c\" is HTTP/2 without TLS"},
        BadCase{"h2_cluster_tls_off",
                "[[clusters]]\nname = \"d\"\nprotocol = \"h2\"\nbackends = [\"a:1\"]\n"
                "[clusters.tls]\nenabled = false\n",
                "clusters[2].tls.enabled = false: protocol \"h2\" is HTTP/2 over TLS"},
        BadCase{"tls_setting_without_tls",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n"
                "[clusters.tls]\nenabled = false\nsni = \"x.test\"\n",
                "test.toml:15: clusters[2].tls.sni = \"x.test\": has no effect: TLS is off"},
        BadCase{"ca_without_verify",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n"
                "[clusters.tls]\nverify = false\nca_file = \"/ca.pem\"\n",
                "clusters[2].tls.ca_file = \"/ca.pem\": has no effect with verify = false"},
        BadCase{"zero_timeout", "[timeouts]\nbackend_connect = \"0s\"\n",
                "test.toml:11: timeouts.backend_connect = \"0s\": must be longer than 0"},
        BadCase{"huge_timeout", "[timeouts]\nsettings_ack = \"1000h\"\n",
                "timeouts.settings_ack = \"1000h\": must be at most 596h"},
        BadCase{
            "unknown_log_field", "[global]\naccess_log_fields = [\"time\", \"useragent\"]\n",
            "global.access_log_fields = [\"time\", \"useragent\"]: unknown field \"useragent\""},
        BadCase{"empty_access_log", "[global]\naccess_log = \"\"\n",
                "global.access_log = \"\": must be a file path, \"stdout\" or \"off\""},
        BadCase{"request_id_header", "[global]\nrequest_id_header = \"X-Id\"\n",
                "global.request_id_header = \"X-Id\": is not a lowercase field name"},
        BadCase{"health_interval", "[clusters.health_check]\ninterval = \"0s\"\n",
                "test.toml:11: clusters[1].health_check.interval = \"0s\": must be at least 100ms"},
        BadCase{"health_timeout",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n[clusters.health_check]\n"
                "interval = \"1s\"\ntimeout = \"2s\"\n",
                "test.toml:15: clusters[2].health_check.timeout = \"2s\": must not exceed interval "
                "(1000ms)"},
        BadCase{"health_fast",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n[clusters.health_check]\n"
                "interval = \"10ms\"\ntimeout = \"5ms\"\n",
                "clusters[2].health_check.interval = \"10ms\": must be at least 100ms"},
        BadCase{"health_path",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n[clusters.health_check]\n"
                "path = \"health\"\n",
                "clusters[2].health_check.path = \"health\": must start with \"/\""},
        BadCase{"health_status",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n[clusters.health_check]\n"
                "expect_status = [100]\n",
                "clusters[2].health_check.expect_status = [100]: must be a non-empty array"},
        BadCase{"health_fall",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n[clusters.health_check]\n"
                "fall = 0\n",
                "clusters[2].health_check.fall = 0: must be between 1 and 100"},
        BadCase{"shared_ports_type", "[global]\nshared_ports = 1\n",
                "global.shared_ports = 1: must be true or false"},
        // A content type is written into the answer's header section: CR or LF would let the
        // configuration inject fields (RFC 9110 §5.5).
        BadCase{
            "answer_content_type_crlf",
            "[answers.503]\nbody = \"x\"\ncontent_type = \"text/plain\\r\\nX-Evil: 1\"\n",
            "test.toml:12: answers.503.content_type = \"text/plain\\u000D\\u000AX-Evil: 1\": must "
            "not contain CR, LF or NUL"},
        BadCase{"cluster_answer_content_type_lf",
                "[[clusters]]\nname = \"d\"\nbackends = [\"a:1\"]\n[clusters.answers.502]\n"
                "content_type = \"a\\nb\"\n",
                "clusters[2].answers.502.content_type"},
        // Host names are matched lowercased (RFC 9110 §4.2.3): an uppercase pattern never matches.
        BadCase{"uppercase_hostname",
                "[[frontends]]\nhostname = \"API.example\"\ncluster = \"c\"\n",
                "frontends[2].hostname = \"API.example\": is not a lowercase host name"},
        BadCase{"bad_certificate_name",
                "[[listeners]]\nname = \"t\"\naddress = \"127.0.0.1:1\"\n[[listeners.tls]]\n"
                "cert = \"/c.pem\"\nkey = \"/k.pem\"\nnames = [\"a b.test\"]\n",
                "listeners[2].tls[1].names: \"a b.test\" is not a lowercase host name"},
        BadCase{
            "https_redirect_on_tls",
            "[[listeners]]\nname = \"t\"\naddress = \"127.0.0.1:1\"\nhttps_redirect = true\n"
            "[[listeners.tls]]\ncert = \"/c.pem\"\nkey = \"/k.pem\"\n",
            "listeners[2].https_redirect = true: only makes sense on a plain (non-TLS) listener"},
        BadCase{"builtin_origin_with_backends",
                "[[clusters]]\nname = \"d\"\nbuiltin_origin = true\nbackends = [\"a:1\"]\n",
                "clusters[2].backends: a builtin_origin cluster has no backends of its own"},
        BadCase{"buffers_per_connection_above_total",
                "[limits]\nmax_buffers = 100\nmax_buffers_per_connection = 101\n",
                "limits.max_buffers_per_connection = 101: cannot exceed limits.max_buffers (100)"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(Config, ReportsEveryProblemInOnePass) {
  auto r =
      parse_config("[limits]\nmax_frame_size = 1\n[[listeners]]\naddress = \"a:1\"\n", "t.toml");
  ASSERT_FALSE(r.config);
  std::string errors = all_errors(r);
  EXPECT_NE(errors.find("limits.max_frame_size"), std::string::npos) << errors;
  EXPECT_NE(errors.find("t.toml:3: listeners[1].name: is required"), std::string::npos) << errors;
  EXPECT_NE(errors.find("frontends: at least one"), std::string::npos) << errors;
}

// Every error after parsing (semantic ones too) names the line its key is on, and keys count
// entries from 1, as the operator reads the file.
TEST(Config, SemanticErrorsNameTheLine) {
  auto r = parse_config(R"([[listeners]]
name = "a"
address = "127.0.0.1:1"
[[listeners]]
address = "127.0.0.1:2"
[[clusters]]
name = "c"
backends = ["127.0.0.1:9"]
[[frontends]]
cluster = "c"
hostname = "Bad Host"
)",
                        "test.toml");
  const std::string errors = all_errors(r);
  EXPECT_NE(errors.find("test.toml:4: listeners[2].name: is required"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("test.toml:11: frontends[1].hostname = \"Bad Host\""), std::string::npos)
      << errors;
  EXPECT_EQ(errors.find("[0]"), std::string::npos) << errors;
}

// Relative file paths are relative to the configuration file's folder, not to wherever the
// proxy was started (systemd starts it in /).
TEST(Config, RelativePathsFollowTheFile) {
  auto r = parse_config(std::string(kMinimal) + R"(
[global]
access_log = "logs/access.log"
pid_file = "/run/x.pid"
[[listeners]]
name = "t"
address = "127.0.0.1:8443"
[[listeners.tls]]
cert = "tls/cert.pem"
key = "/abs/key.pem"
)",
                        "conf/x.toml", "/etc/crossmux");
  ASSERT_TRUE(r.config) << all_errors(r);
  EXPECT_EQ(r.config->global.access_log, "/etc/crossmux/logs/access.log");
  EXPECT_EQ(r.config->global.pid_file, "/run/x.pid");
  EXPECT_EQ(r.config->listeners[1].certificates[0].cert_file, "/etc/crossmux/tls/cert.pem");
  EXPECT_EQ(r.config->listeners[1].certificates[0].key_file, "/abs/key.pem");
  // "stdout" and "off" are no paths.
  auto s = parse_config(std::string(kMinimal) + "[global]\naccess_log = \"off\"\n", "x", "/etc");
  ASSERT_TRUE(s.config);
  EXPECT_EQ(s.config->global.access_log, "off");
}

TEST(Config, SourceMapFindsParents) {
  SourceMap m;
  m.lines = {{"listeners[2]", 7}, {"listeners[2].address", 9}};
  EXPECT_EQ(m.line("listeners[2].address"), 9);
  EXPECT_EQ(m.line("listeners[2].name"), 7);
  EXPECT_EQ(m.line("listeners[2].tls[1].cert"), 7);
  EXPECT_EQ(m.line("clusters[1]"), 0);
}

// The limits may be equal: one client allowed every connection, one connection every buffer.
TEST(Config, PerConnectionLimitsMayEqualTheTotals) {
  auto r = parse_config(std::string(kMinimal) +
                            "[limits]\nmax_connections = 10\nmax_connections_per_ip = 10\n"
                            "max_buffers = 100\nmax_buffers_per_connection = 100\n",
                        "test.toml");
  EXPECT_TRUE(r.config) << all_errors(r);
}

TEST(Config, ValueGrammars) {
  EXPECT_EQ(parse_duration("1500ms"), Millis(1500));
  EXPECT_EQ(parse_duration("3s"), Millis(3000));
  EXPECT_FALSE(parse_duration("3"));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("1d"));
  EXPECT_EQ(parse_duration("2m"), Millis(120'000));
  EXPECT_EQ(parse_duration("1h"), Millis(3'600'000));
  // Past what a signed millisecond count holds: refused, not wrapped.
  EXPECT_FALSE(parse_duration("18446744073709551615h"));
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
