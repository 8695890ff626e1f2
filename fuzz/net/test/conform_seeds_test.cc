// Seeds recorded from the conform catalogues: one per connection a case opened, abuse floods left
// out, the HTTP/1.1 Host made the target's.
#include "fuzz/net/conform_seeds.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace crossmux::fuzz::net {
namespace {

using ::testing::HasSubstr;

TEST(ConformSeeds, Http2SeedsAreTheBytesOfTheCatalogueWithoutTheFloods) {
  std::vector<std::string> notes;
  auto seeds = conform_seeds(Proto::H2, "a.test:81", notes);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("conform h2: "));
  // h2spec's set and the rfc9113 additions: over 200 cases, most of them a distinct connection.
  EXPECT_GT(seeds.size(), 150u) << notes[0];
  size_t with_preface = 0;
  for (const auto& s : seeds) {
    EXPECT_EQ(s.c.proto, Proto::H2);
    EXPECT_TRUE(s.origin.starts_with("conform:")) << s.origin;
    EXPECT_FALSE(s.origin.starts_with("conform:abuse")) << s.origin;
    with_preface += !s.c.units.empty() && s.c.units[0] == kH2ClientPreface;
  }
  EXPECT_GT(with_preface, seeds.size() * 9 / 10);
  // The case of RFC 9113 §5.3.1 (a PRIORITY frame on stream 1 depending on itself) is among them.
  const std::string self_priority = std::string("\0\0\5\2\0\0\0\0\1\0\0\0\1", 13);
  EXPECT_TRUE(std::any_of(seeds.begin(), seeds.end(), [&](const CorpusEntry& e) {
    return e.c.wire().find(self_priority) != std::string::npos;
  }));
}

TEST(ConformSeeds, Http11SeedsCarryTheTargetsHost) {
  std::vector<std::string> notes;
  auto seeds = conform_seeds(Proto::H1, "a.test:81", notes);
  EXPECT_GT(seeds.size(), 40u) << notes.at(0);
  size_t with_host = 0;
  for (const auto& s : seeds) {
    EXPECT_EQ(s.c.proto, Proto::H1);
    EXPECT_THAT(s.c.wire(), ::testing::Not(HasSubstr("127.0.0.1:")));
    with_host += s.c.wire().find("Host: a.test:81\r\n") != std::string::npos;
  }
  EXPECT_GT(with_host, seeds.size() / 2);
}

}  // namespace
}  // namespace crossmux::fuzz::net
