// The runner's selection, verdict accounting, output and JUnit: a runner that always says ✔ fails
// here.
#include "conformance/runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace crossmux::conformance {
namespace {

std::vector<Section> catalogue(int* runs) {
  Section root{"http2", "", "Hypertext Transfer Protocol Version 2 (HTTP/2)", {}, {}};
  auto& s65 = root.child("6.5", "SETTINGS");
  s65.add("passes", "MUST pass", [runs] {
    ++*runs;
    return Outcome::pass();
  });
  s65.add("fails", "MUST send GOAWAY", [runs] {
    ++*runs;
    return Outcome::fail({"GOAWAY Frame (Error Code: PROTOCOL_ERROR)", "Connection closed"},
                         "Timeout");
  });
  auto& s652 = s65.child("6.5.2", "Defined SETTINGS Parameters");
  s652.add("skips", "", [runs] {
    ++*runs;
    return Outcome::skip("no MAX_CONCURRENT_STREAMS");
  });
  s652.add(
      "strict only", "SHOULD",
      [runs] {
        ++*runs;
        return Outcome::pass();
      },
      true);
  auto& s650 = root.child("6.50", "Not a child of 6.5");
  s650.add("other", "", [runs] {
    ++*runs;
    return Outcome::pass();
  });
  return {root};
}

TEST(Selection, PrefixSemanticsMatchH2spec) {
  EXPECT_TRUE(selects("http2", "http2/6.5/1"));
  EXPECT_TRUE(selects("http2/6.5", "http2/6.5/1"));
  EXPECT_TRUE(selects("http2/6.5", "http2/6.5.2/1"));
  EXPECT_TRUE(selects("http2/6", "http2/6.5.2/1"));
  EXPECT_FALSE(selects("http2/6.5", "http2/6.50/1"));
  EXPECT_FALSE(selects("http2/6.5/1", "http2/6.5/10"));
  EXPECT_TRUE(selects("http2/6.5/1", "http2/6.5/1"));
  EXPECT_FALSE(selects("hpack", "http2/6.5/1"));
  EXPECT_TRUE(selected({}, "anything"));
}

TEST(Runner, CountsEveryVerdictAndFailsTheRun) {
  int runs = 0;
  RunOptions o;
  o.progress = false;
  std::ostringstream out;
  auto s = run(catalogue(&runs), o, out);
  EXPECT_EQ(runs, 4) << "strict case not run without --strict";
  EXPECT_EQ(s.tests, 4);
  EXPECT_EQ(s.passed, 2);
  EXPECT_EQ(s.skipped, 1);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.exit_status(), 1);
  std::string text = out.str();
  EXPECT_NE(text.find("Hypertext Transfer Protocol Version 2 (HTTP/2)\n  6.5. SETTINGS\n    ✔ 1: "
                      "passes\n    × 2: fails\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Expected: GOAWAY Frame (Error Code: PROTOCOL_ERROR)"), std::string::npos);
  EXPECT_NE(text.find("  Actual: Timeout"), std::string::npos);
  EXPECT_NE(text.find("Failures:\n"), std::string::npos);
  EXPECT_NE(text.find("4 tests, 2 passed, 1 skipped, 1 failed\n"), std::string::npos) << text;
}

TEST(Runner, StrictAndSelectionAndDryRun) {
  int runs = 0;
  RunOptions o;
  o.progress = false;
  o.strict = true;
  o.specs = {"http2/6.5.2"};
  std::ostringstream out;
  auto s = run(catalogue(&runs), o, out);
  EXPECT_EQ(s.tests, 2);
  EXPECT_EQ(s.passed, 1);
  EXPECT_EQ(s.exit_status(), 0);

  runs = 0;
  o.dry_run = true;
  o.specs = {};
  std::ostringstream dry;
  auto d = run(catalogue(&runs), o, dry);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(d.exit_status(), 0);
  EXPECT_NE(dry.str().find("2: strict only"), std::string::npos) << dry.str();

  std::ostringstream none;
  o.dry_run = false;
  o.specs = {"hpack"};
  auto n = run(catalogue(&runs), o, none);
  EXPECT_EQ(none.str(), "No matched tests found.\n");
  EXPECT_EQ(n.exit_status(), 0);
}

TEST(Runner, AbortStopsTheRun) {
  Section root{"generic", "", "Generic tests", {}, {}};
  auto& s = root.child("1", "Starting HTTP/2");
  int after = 0;
  s.add("unreachable", "", [] { return Outcome::error_out("connection refused", true); });
  s.add("never", "", [&after] {
    ++after;
    return Outcome::pass();
  });
  RunOptions o;
  o.progress = false;
  std::ostringstream out;
  auto r = run({root}, o, out);
  EXPECT_TRUE(r.aborted);
  EXPECT_EQ(after, 0);
  EXPECT_EQ(r.exit_status(), 1);
  EXPECT_NE(out.str().find("Error: connection refused"), std::string::npos);
}

TEST(Runner, JunitUsesFailureAndSkipped) {
  int runs = 0;
  RunOptions o;
  o.progress = false;
  std::ostringstream out;
  auto s = run(catalogue(&runs), o, out);
  std::string x = junit_xml(s);
  // h2spec's attributes (testsuite name/package/id, testcase package/classname) plus our name.
  EXPECT_THAT(x, testing::HasSubstr("<testsuite name=\"6.5. SETTINGS\" package=\"http2/6.5\" "
                                    "id=\"6.5\" tests=\"2\" failures=\"1\" skipped=\"0\""));
  EXPECT_THAT(x, testing::HasSubstr("<testcase package=\"http2/6.5\" classname=\"passes\" "
                                    "name=\"http2/6.5/1\" time=\""));
  EXPECT_THAT(x, testing::HasSubstr("<testcase package=\"http2/6.5.2\" classname=\"skips\" "
                                    "name=\"http2/6.5.2/1\""));
  EXPECT_NE(x.find("<failure message=\"MUST send GOAWAY\">Expected: GOAWAY Frame (Error Code: "
                   "PROTOCOL_ERROR)\nExpected: Connection closed\nActual: Timeout</failure>"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("<skipped message=\"no MAX_CONCURRENT_STREAMS\"/>"), std::string::npos);
  EXPECT_EQ(x.find("<error"), std::string::npos);
  // A skipped case is counted as skipped, not as a failure, in its testsuite's attributes.
  EXPECT_THAT(x, testing::HasSubstr("package=\"http2/6.5.2\" id=\"6.5.2\" tests=\"1\" "
                                    "failures=\"0\" skipped=\"1\""));
}

// Cases are listed in position order inside their testsuite, so a reader of h2spec's XML (which
// derives ids from package + position) gets the same ids as our name attribute.
TEST(Runner, JunitPositionsMatchIds) {
  int runs = 0;
  RunOptions o;
  o.progress = false;
  o.strict = true;
  std::ostringstream out;
  std::string x = junit_xml(run(catalogue(&runs), o, out));
  size_t first = x.find("name=\"http2/6.5.2/1\"");
  size_t second = x.find("name=\"http2/6.5.2/2\"");
  ASSERT_NE(first, std::string::npos) << x;
  ASSERT_NE(second, std::string::npos) << x;
  EXPECT_LT(first, second);
}

// A run over more than one part prints a subtotal per part before the overall line, so a
// failure in crossmux's additions does not read as an h2spec failure.
TEST(Runner, SubtotalsPerPart) {
  int runs = 0;
  auto roots = catalogue(&runs);
  Section extra{"rfc9113", "", "RFC 9113 additions", {}, {}};
  extra.child("8.1", "HTTP Message Framing").add("fails", "RFC 9113 §8.1: MUST", [] {
    return Outcome::fail({"RST_STREAM Frame (Error Code: PROTOCOL_ERROR)"}, "Timeout");
  });
  roots.push_back(extra);
  RunOptions o;
  o.progress = false;
  o.parts = {{"http2", "h2spec set"}, {"rfc9113", "crossmux additions"}};
  std::ostringstream out;
  auto s = run(roots, o, out);
  EXPECT_THAT(out.str(), testing::HasSubstr("h2spec set: 4 tests, 2 passed, 1 skipped, 1 failed\n"
                                            "crossmux additions: 1 tests, 0 passed, 0 skipped, "
                                            "1 failed\n5 tests, 2 passed, 1 skipped, 2 failed\n"));
  // One part: h2spec's output alone.
  std::ostringstream one;
  o.specs = {"http2"};
  run(roots, o, one);
  EXPECT_THAT(one.str(), testing::Not(testing::HasSubstr("h2spec set:")));
  EXPECT_EQ(s.exit_status(), 1);
}

// A pass where the rules allow several answers says which one came, on the ✔ line and in JUnit.
TEST(Runner, PassNotesAreShown) {
  Section root{"translate", "", "Translation", {}, {}};
  root.child("h1-h1", "HTTP/1.1 client, HTTP/1.1 backend").add("CL.TE", "RFC 9112 §6.3", [] {
    return Outcome::pass("rejected");
  });
  RunOptions o;
  o.progress = false;
  std::ostringstream out;
  auto s = run({root}, o, out);
  EXPECT_THAT(out.str(), testing::HasSubstr("✔ 1: CL.TE (rejected)\n"));
  EXPECT_THAT(junit_xml(s), testing::HasSubstr("<system-out>rejected</system-out>"));
}

// What a server answered reaches the JUnit file as text: markup characters are escaped and the
// control octets XML 1.0 cannot carry (all below 0x20 but HTAB and LF) become '?', so a hostile
// or broken target cannot make the report unreadable.
TEST(Runner, JunitEscapesMarkupAndControlOctets) {
  Section root{"http2", "", "HTTP/2", {}, {}};
  root.child("4.1", "Frame Format").add("a<b & 'c'", "MUST \"x\"", [] {
    return Outcome::fail({"GOAWAY Frame"}, "bytes \x01\x1f>\tend\n");
  });
  RunOptions o;
  o.progress = false;
  std::ostringstream out;
  const std::string x = junit_xml(run({root}, o, out));
  EXPECT_THAT(x, testing::HasSubstr("classname=\"a&lt;b &amp; &apos;c&apos;\""));
  EXPECT_THAT(x, testing::HasSubstr("<failure message=\"MUST &quot;x&quot;\">"));
  EXPECT_THAT(x, testing::HasSubstr("Actual: bytes ??&gt;\tend\n</failure>"));
}

}  // namespace
}  // namespace crossmux::conformance
