// The oracles on hand-made observations: which finding each one gives, and the differential
// normalisations (what counts as the same answer from two targets).
#include "fuzz/net/verdict.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace crossmux::fuzz::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Target target(std::string name) {
  Target t;
  t.name = std::move(name);
  t.port = 1;
  return t;
}

std::vector<std::string> keys(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.key());
  return out;
}

Observation served() {
  Observation o;
  o.x.connected = true;
  o.probed = true;
  o.live.status = 200;
  return o;
}

const NetCase kH2{Proto::H2, {"x"}};
const NetCase kH1{Proto::H1, {"x"}};

TEST(Judge, NothingWrongIsNoFinding) {
  EXPECT_THAT(judge(target("t"), kH2, served(), Bounds{}), IsEmpty());
}

TEST(Judge, CrashesAreRefusalsOrAGoneProcess) {
  Observation o = served();
  o.live.state = Liveness::Refused;
  EXPECT_THAT(keys(judge(target("t"), kH2, o, Bounds{})), ElementsAre("crash/refused@t"));
  Observation p = served();
  p.watched = true;
  p.before.alive = true;
  p.after.alive = false;
  EXPECT_THAT(keys(judge(target("t"), kH2, p, Bounds{})), ElementsAre("crash/process-exited@t"));
  Observation q;
  q.x.connect_error = "connection refused";
  EXPECT_THAT(keys(judge(target("t"), kH2, q, Bounds{})), ElementsAre("crash/connect@t"));
}

TEST(Judge, AHangIsOnlyAHangWhileTheTargetStillServesOthers) {
  Observation o = served();
  o.x.timed_out = true;
  o.x.hang_detail = "no answer on stream(s) 1 within 1000 ms";
  EXPECT_THAT(keys(judge(target("t"), kH2, o, Bounds{})), ElementsAre("hang/request-unanswered@t"));
  o.live.state = Liveness::NoAnswer;  // nothing is served: that is the finding
  EXPECT_THAT(keys(judge(target("t"), kH2, o, Bounds{})), ElementsAre("liveness/no-answer@t"));
}

TEST(Judge, A5xxAfterFuzzingIsALivenessFailureOnlyIfTheTargetServedBefore) {
  Observation o = served();
  o.live.status = 503;
  Bounds b;
  b.baseline_status = 200;
  EXPECT_THAT(keys(judge(target("t"), kH2, o, b)), ElementsAre("liveness/5xx@t"));
  b.baseline_status = 503;
  EXPECT_THAT(judge(target("t"), kH2, o, b), IsEmpty());
}

TEST(Judge, ViolationsMemoryAndCpu) {
  Observation o = served();
  o.x.violations.push_back({"frame-on-idle-stream", "HEADERS on stream 3"});
  o.watched = true;
  o.before = {true, 10000, 100};
  o.after = {true, 90000, 2600};
  Bounds b;
  b.rss_baseline_kb = 10000;
  b.max_rss_growth_kb = 64 * 1024;
  b.max_cpu_ms = 2000;
  EXPECT_THAT(
      keys(judge(target("t"), kH2, o, b)),
      ElementsAre("protocol/frame-on-idle-stream@t", "memory/rss-growth@t", "cpu/cpu-per-case@t"));
  o.after = {true, 70000, 2000};  // within both bounds
  EXPECT_THAT(keys(judge(target("t"), kH2, o, b)), ElementsAre("protocol/frame-on-idle-stream@t"));
}

TEST(Judge, MoreRequestsAtTheOriginThanTheClientSentIsSmuggling) {
  Observation o = served();
  o.recorded = true;
  o.x.requests = 1;
  o.x.statuses = {200};
  RecordedRequest r;
  r.method = "GET";
  r.path = "/";
  o.forwarded = {r};
  EXPECT_THAT(judge(target("t"), kH1, o, Bounds{}), IsEmpty());
  o.forwarded.push_back(r);
  auto f = judge(target("t"), kH1, o, Bounds{});
  ASSERT_THAT(keys(f), ElementsAre("origin/more-requests-than-sent@t"));
  EXPECT_THAT(f[0].summary, HasSubstr("2 requests reached the origin for 1"));
  // Past bytes our strict reading rejects, a lenient reading may hold more requests: HAProxy
  // takes "HEAD / HTTP/1.2\n" with bare LFs (RFC 9112 §2.2 allows it) and forwards two.
  o.x.request_tail = true;
  o.x.tail_request_lines = 1;
  EXPECT_THAT(judge(target("t"), kH1, o, Bounds{}), IsEmpty());
  o.forwarded.push_back(r);
  EXPECT_THAT(keys(judge(target("t"), kH1, o, Bounds{})),
              ElementsAre("origin/more-requests-than-sent@t"));
}

Observation h2_answer(uint32_t id, Fate fate, int status, uint32_t goaway_code = 0) {
  Observation o = served();
  StreamOutcome s;
  s.id = id;
  s.fate = fate;
  s.status = status;
  o.x.streams = {s};
  if (goaway_code) {
    o.x.connection.goaway = true;
    o.x.connection.goaway_code = goaway_code;
  }
  return o;
}

TEST(Differential, DifferentContentAndDifferentWaysToRefuseAreTheSame) {
  std::vector<Target> ts = {target("a"), target("b")};
  // 200 and 404: both accepted the request.
  auto v1 = normalise(kH2, h2_answer(1, Fate::Answered, 200));
  auto v2 = normalise(kH2, h2_answer(1, Fate::Answered, 404));
  EXPECT_TRUE(compare(ts, {v1, v2}).rule.empty());
  // A 400 and a RST_STREAM: both refused it.
  auto v3 = normalise(kH2, h2_answer(1, Fate::Answered, 400));
  auto v4 = normalise(kH2, h2_answer(1, Fate::Reset, -1));
  EXPECT_TRUE(compare(ts, {v3, v4}).rule.empty());
  // REFUSED_STREAM and a 503 are not compared.
  auto v5 = normalise(kH2, h2_answer(1, Fate::Refused, -1));
  auto v6 = normalise(kH2, h2_answer(1, Fate::Answered, 503));
  EXPECT_TRUE(compare(ts, {v1, v5}).rule.empty());
  EXPECT_TRUE(compare(ts, {v1, v6}).rule.empty());
}

TEST(Differential, AcceptingWhatAnotherRefusesIsADifference) {
  std::vector<Target> ts = {target("a"), target("b"), target("c")};
  auto ok = normalise(kH2, h2_answer(1, Fate::Answered, 200));
  auto rst = normalise(kH2, h2_answer(1, Fate::Reset, -1));
  auto f = compare(ts, {ok, rst, ok});
  EXPECT_EQ(f.kind, Kind::Diff);
  EXPECT_EQ(f.rule, "stream accept[a,c] reject[b]");
  EXPECT_EQ(f.target, "a,b,c");
  // The connection: a GOAWAY with an error against one that stays up.
  auto dead = normalise(kH2, h2_answer(1, Fate::Answered, 200, 1));
  EXPECT_EQ(compare({target("a"), target("b")}, {ok, dead}).rule, "connection alive[a] failed[b]");
}

TEST(Differential, Http11ComparesHowManyRequestsEachAccepted) {
  Observation a = served(), b = served(), c = served();
  a.x.statuses = {200, 400};
  b.x.statuses = {404};  // accepted one, refused the next by closing
  c.x.statuses = {200, 200};
  std::vector<Target> ts = {target("a"), target("b")};
  EXPECT_TRUE(compare(ts, {normalise(kH1, a), normalise(kH1, b)}).rule.empty());
  EXPECT_EQ(compare(ts, {normalise(kH1, a), normalise(kH1, c)}).rule, "accepted 1[a] 2[b]");
}

TEST(Differential, WhatReachedTheOriginIsCompared) {
  Observation a = served(), b = served();
  a.recorded = b.recorded = true;
  RecordedRequest r;
  r.method = "POST";
  r.path = "/x";
  r.headers = {{"Via", "1.1 a"}, {"content-type", "text/plain"}};
  a.forwarded = {r};
  r.headers = {{"via", "2 b"}, {"Content-Type", "text/plain"}};
  b.forwarded = {r};
  std::vector<Target> ts = {target("a"), target("b")};
  EXPECT_TRUE(compare(ts, {normalise(kH1, a), normalise(kH1, b)}).rule.empty());
  b.forwarded[0].body_length = 5;
  auto f = compare(ts, {normalise(kH1, a), normalise(kH1, b)});
  EXPECT_EQ(f.rule, "forwarded [a] vs [b]");
}

}  // namespace
}  // namespace crossmux::fuzz::net
