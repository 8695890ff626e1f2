// Findings as regression tests: the C++ byte literal, the conform case text, and translation
// scenarios that the scenario parser of `crossmux conform translate` accepts.
#include "fuzz/net/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conformance/translate/scenario.h"

namespace crossmux::fuzz::net {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Export, CppBytesHoldEveryByte) {
  EXPECT_EQ(cpp_bytes(std::string("a\0\"?\\\x80z", 7)),
            "std::string(\"a\\000\\042\\077\\134\\200z\", 7)");
}

Finding finding(Kind k, std::string rule) {
  Finding f;
  f.kind = k;
  f.rule = std::move(rule);
  f.target = "t";
  f.summary = "t: summary";
  return f;
}

TEST(Export, Http11ConformCaseUsesTheHostPlaceholderAndJudgesExtraResponsesOnlyWhereWeReadAll) {
  NetCase c{Proto::H1, {"GET / HTTP/1.1\r\n", "Host: a.test:81\r\n", "\r\n"}};
  Observation o;
  o.x.requests = 1;
  o.x.methods = {"GET"};
  std::string hang =
      conform_case("h1-hang-1", finding(Kind::Hang, "request-unanswered"), c, o, "a.test:81");
  EXPECT_THAT(hang, HasSubstr("std::string(\"GET / HTTP/1.1\\015\\012Host: {host}\\015"));
  EXPECT_THAT(hang, HasSubstr("o.statuses.size() > 1"));
  o.x.request_error = true;  // a lenient target may read requests where we stopped
  EXPECT_THAT(
      conform_case("h1-hang-1", finding(Kind::Hang, "request-unanswered"), c, o, "a.test:81"),
      Not(HasSubstr("o.statuses.size() > 1")));
}

TEST(Export, Http2ConformCaseChecksTheRuleItCanExpress) {
  NetCase c{Proto::H2, {std::string(kH2ClientPreface)}};
  Observation o;
  StreamOutcome s;
  s.id = 1;
  s.owed = true;
  o.x.streams = {s};
  std::string text =
      conform_case("h2-p-1", finding(Kind::Protocol, "frame-after-stream-end"), c, o, "");
  EXPECT_THAT(text, HasSubstr("std::set<uint32_t> owed = {1}"));
  EXPECT_THAT(text, HasSubstr("ended.count(f.stream)"));
  EXPECT_THAT(conform_case("h2-h-1", finding(Kind::Hang, "x"), c, o, ""),
              Not(HasSubstr("ended.count(f.stream)")));
}

TEST(Export, ScenariosParse) {
  NetCase h1{Proto::H1,
             {"POST /x HTTP/1.1\r\n", "Host: a.test:81\r\n", "Content-Length: 1\r\n", "\r\n", "#"}};
  Observation o;
  std::string text =
      translate_scenario("h1-o-1", finding(Kind::Origin, "more"), h1, o, "a.test:81");
  EXPECT_THAT(text, HasSubstr("raw-h1: POST {target} HTTP/1.1\\r\\nHost: {host}\\r\\n"));
  conformance::translate::Scenario sc;
  std::string error;
  ASSERT_TRUE(conformance::translate::parse_scenario("h1-o-1", text, sc, error)) << error;
  EXPECT_EQ(sc.expect, conformance::translate::Expect::NotSmuggled);
  EXPECT_EQ(sc.raw_h1, "POST {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 1\r\n\r\n#");
  // What the runner compares at the backend: the request-line's method and path, the body.
  EXPECT_EQ(sc.method, "POST");
  EXPECT_EQ(sc.path, "/x");
  EXPECT_EQ(sc.body, "#");
  EXPECT_EQ(sc.status, 200);

  // Empty lines before the request-line stay; a chunked body is compared de-chunked; the
  // status the origin answered through a forwarding target is the scenario's.
  NetCase chunked{Proto::H1, split_units(Proto::H1,
                                         "\r\nHEAD /a?b=c HTTP/1.1\r\nHost: a.test:81\r\n"
                                         "Transfer-Encoding: chunked\r\n\r\n"
                                         "2\r\nhi\r\n0\r\n\r\n")};
  o.x.requests = 1;
  text = translate_scenario("h1-d-2", finding(Kind::Diff, "x"), chunked, o, "a.test:81", 404);
  ASSERT_TRUE(conformance::translate::parse_scenario("h1-d-2", text, sc, error)) << error;
  EXPECT_EQ(sc.method, "HEAD");
  EXPECT_EQ(sc.path, "/a?b=c");
  EXPECT_EQ(sc.body, "hi");
  EXPECT_EQ(sc.status, 404);
  EXPECT_THAT(sc.raw_h1, HasSubstr("\r\nHEAD {target} HTTP/1.1\r\nHost: {host}\r\n"));
  // The runner expects one request at the backend.
  o.x.requests = 2;
  EXPECT_EQ(translate_scenario("h1-d-3", finding(Kind::Diff, "x"), chunked, o, "a.test:81"), "");
  o.x.requests = 0;

  NetCase h2{Proto::H2, {std::string(kH2ClientPreface)}};
  StreamOutcome s;
  s.id = 1;
  s.request_decoded = true;
  s.request = {{":method", "POST"}, {":scheme", "http"}, {":authority", "a"},
               {":path", "/up?q"},  {"x-a", "b\r\n"},    {"te", "gzip"}};
  o.x.streams = {s};
  text = translate_scenario("h2-d-1", finding(Kind::Diff, "x"), h2, o, "");
  ASSERT_TRUE(conformance::translate::parse_scenario("h2-d-1", text, sc, error)) << error;
  EXPECT_EQ(sc.method, "POST");
  EXPECT_EQ(sc.path, "/up?q");  // the runner tags it with &scenario=
  EXPECT_FALSE(sc.h1_client);
  EXPECT_EQ(sc.expect, conformance::translate::Expect::RejectedOrForwarded);
  ASSERT_EQ(sc.headers.size(), 2u);
  EXPECT_EQ(sc.headers[0].second, "b\r\n");
}

}  // namespace
}  // namespace crossmux::fuzz::net
