// Mutator: deterministic per seed, generator output that is whole frames / mostly valid requests,
// mutants that stay bounded; minimize(): ddmin over units and bytes within a budget.
#include "fuzz/net/mutator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codecs/h1/decoder.h"
#include "codecs/h2/frame.h"
#include "codecs/message/recording_sink.h"
#include "fuzz/net/minimize.h"

namespace crossmux::fuzz::net {
namespace {

using ::testing::ElementsAre;

TEST(Mutator, TheSameSeedGivesTheSameCases) {
  Mutator a(Proto::H2, 42, "a:1"), b(Proto::H2, 42, "a:1"), c(Proto::H2, 43, "a:1");
  std::vector<CorpusEntry> corpus;
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    auto x = a.generate(), y = b.generate(), z = c.generate();
    EXPECT_EQ(x.c.units, y.c.units);
    differs |= x.c.units != z.c.units;
    corpus.push_back(x);
    auto mx = a.mutate(x, corpus), my = b.mutate(y, corpus);
    EXPECT_EQ(mx.c.units, my.c.units);
  }
  EXPECT_TRUE(differs);
}

TEST(Mutator, Http2CasesFromTheGeneratorAreThePrefaceThenWholeFrames) {
  Mutator m(Proto::H2, 7, "a:1");
  for (int i = 0; i < 200; ++i) {
    auto e = m.generate();
    ASSERT_GE(e.c.units.size(), 2u);
    EXPECT_EQ(e.c.units[0], kH2ClientPreface);
    for (size_t u = 1; u < e.c.units.size(); ++u) {
      EXPECT_EQ(describe_unit(Proto::H2, e.c.units[u]).find("raw"), std::string::npos);
    }
    EXPECT_EQ(m.build(e.gen).units, e.c.units);  // the generator input rebuilds the case
  }
}

TEST(Mutator, AboutHalfTheHttp11CasesFromTheGrammarStartWithAValidRequest) {
  Mutator m(Proto::H1, 7, "example.test:80");
  int parsed = 0;
  for (int i = 0; i < 1000; ++i) {
    auto e = m.generate();
    codecs::h1::Decoder d(codecs::MessageKind::Request);
    codecs::RecordingSink sink;
    (void)d.feed(codecs::as_bytes(e.c.wire()), sink);
    parsed += sink.count(codecs::EventKind::Head) > 0;
  }
  // Valid often enough that servers get past parsing, malformed often enough to test parsing.
  EXPECT_GT(parsed, 400);
  EXPECT_LT(parsed, 800);
}

TEST(Mutator, MutantsStayBounded) {
  Mutator m(Proto::H1, 9, "a:1");
  std::vector<CorpusEntry> corpus = {m.generate()};
  CorpusEntry e = corpus[0];
  for (int i = 0; i < 2000; ++i) {
    e = m.mutate(e, corpus);
    ASSERT_LE(e.c.units.size(), 256u);
  }
}

TEST(Minimize, DeltaDebuggingKeepsOnlyTheUnitsThatMatter) {
  NetCase c{Proto::H2, {"a", "b", "X", "c", "d", "e", "Y", "f"}};
  size_t tries = 0;
  auto out = minimize(
      c,
      [](const NetCase& k) {
        std::string w = k.wire();
        return w.find('X') != std::string::npos && w.find('Y') != std::string::npos;
      },
      100, &tries);
  EXPECT_THAT(out.units, ElementsAre("X", "Y"));
  EXPECT_LE(tries, 100u);
}

TEST(Minimize, Http11LinesShrinkByteByByteAndTheBudgetHolds) {
  NetCase c{Proto::H1, {"GET / HTTP/1.1\r\n", "X-Bad: a\x01z\r\n", "\r\n"}};
  auto out = minimize(
      c, [](const NetCase& k) { return k.wire().find('\x01') != std::string::npos; }, 200);
  EXPECT_THAT(out.units, ElementsAre("\x01"));
  size_t tries = 0;
  auto capped = minimize(
      c, [](const NetCase& k) { return k.wire().find('\x01') != std::string::npos; }, 3, &tries);
  EXPECT_EQ(tries, 3u);
  EXPECT_NE(capped.wire().find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace crossmux::fuzz::net
