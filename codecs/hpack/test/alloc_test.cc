// Allocation checks: once warm, encode() and decode() allocate nothing; a cold encoder that
// indexes a few fields allocates little.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/base/test/counting_new.h"
#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"

namespace crossmux::codecs::hpack {
namespace {

// A connection's worth of requests: repeated fields, a changing path, an occasional new value that
// enters the table and evicts older entries.
std::vector<std::vector<std::pair<std::string, std::string>>> requests() {
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  for (int i = 0; i < 64; ++i) {
    out.push_back({{":method", "GET"},
                   {":scheme", "https"},
                   {":authority", "example.com"},
                   {":path", "/item/" + std::to_string(i)},
                   {"user-agent", "test-agent/1.0 (allocation check)"},
                   {"cookie", "session=0123456789abcdef0123456789abcdef"},
                   {"x-trace", "trace-" + std::to_string(i % 40) + std::string(300, 't')}});
  }
  return out;
}

TEST(HpackSteadyState, EncodeAndDecodeAllocateNothingOnceWarm) {
  const auto lists = requests();
  std::vector<std::vector<Field>> fields;
  for (const auto& l : lists) {
    fields.emplace_back();
    for (const auto& [n, v] : l) fields.back().push_back({n, v, false});
  }
  Encoder enc;
  Decoder dec;
  DecodedBlock block;
  ByteBuffer out(1 << 16);
  auto round = [&] {
    for (const auto& f : fields) {
      out.clear();
      enc.encode(f, out);
      ASSERT_TRUE(dec.decode(out.bytes(), block).has_value());
      ASSERT_EQ(block.size(), f.size());
    }
  };
  round();  // grows the arena, field vector and table storage (and relocates it: x-trace churns)
  round();
  ASSERT_TRUE(crossmux::counting_new::counting_is_live());
  const size_t before = crossmux::counting_new::g_allocations.load();
  round();
  round();
  EXPECT_EQ(crossmux::counting_new::g_allocations.load() - before, 0u);
}

// The table index grows with the entries: a connection that indexes a few fields (most of them)
// pays for a few slots, not for a full 4096-octet table's worth (8 KiB).
TEST(HpackColdEncoder, IndexingAFewFieldsAllocatesLittle) {
  Encoder enc;
  const std::vector<Field> fields = {{"x-a", "1"}, {"x-b", "2"}, {"user-agent", "agent"}};
  ByteBuffer out(1024);
  const size_t before = crossmux::counting_new::g_allocated_bytes.load();
  enc.encode(fields, out);
  EXPECT_EQ(enc.table().count(), 3u);
  EXPECT_LE(crossmux::counting_new::g_allocated_bytes.load() - before, 1024u);
  // Still exact hits afterwards: three one-octet indexed fields.
  out.clear();
  enc.encode(fields, out);
  EXPECT_EQ(out.size(), 3u);
}

}  // namespace
}  // namespace crossmux::codecs::hpack
