// The field table: lookups by any case, misses for near names, and the properties the codecs use.
#include "codecs/base/field_table.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace crossmux::codecs {
namespace {

TEST(FieldTable, EveryNameFindsItselfInAnyCase) {
  for (size_t i = 1; i < kFieldTable.size(); ++i) {
    const std::string_view name = kFieldTable[i].name;
    std::string upper(name);
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    EXPECT_EQ(find_field(name), static_cast<FieldId>(i)) << name;
    EXPECT_EQ(find_field(upper), static_cast<FieldId>(i)) << upper;
  }
}

TEST(FieldTable, NearNamesAreUnknown) {
  for (const char* n : {"", "t", "tf", "hosts", "hos", "content-lengths", "content_length",
                        "transfer-encodin", "x-connection", "connection\r", "keep alive"}) {
    EXPECT_EQ(find_field(n), FieldId::Unknown) << n;
  }
  // Only ASCII letters fold: 0x0d | 0x20 is '-', and must not match keep-alive's '-'.
  EXPECT_EQ(find_field(std::string_view("keep\ralive")), FieldId::Unknown);
  EXPECT_EQ(find_field("http\x12-settings"), FieldId::Unknown);  // 0x12 | 0x20 is '2'
  EXPECT_EQ(find_field("HTTP2-Settings"), FieldId::Http2Settings);
}

TEST(FieldTable, PropertiesTheCodecsRelyOn) {
  auto has = [](std::string_view n, uint16_t p) { return (field_properties(n) & p) == p; };
  for (const char* n :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}) {
    EXPECT_TRUE(has(n, kFieldHopByHop | kFieldConnectionSpecific | kFieldNotInTrailers)) << n;
  }
  EXPECT_TRUE(has("te", kFieldHopByHop | kFieldNotInTrailers));
  EXPECT_FALSE(has("te", kFieldConnectionSpecific));  // judged by its value (RFC 9113 §8.2.2)
  EXPECT_TRUE(has("Content-Length", kFieldFraming | kFieldNotInTrailers | kFieldH1Interpreted));
  EXPECT_TRUE(has("HOST", kFieldRouting | kFieldNotInTrailers | kFieldH1Interpreted));
  EXPECT_TRUE(has("authorization", kFieldHpackNeverIndex));
  EXPECT_TRUE(has("cookie", kFieldHpackNeverIndexShort));
  EXPECT_TRUE(has(":path", kFieldPseudo | kFieldHpackUnique));
  EXPECT_EQ(field_properties("x-custom"), kFieldNone);
  EXPECT_EQ(field_info(FieldId::ContentLength).hpack_index, 28);
  EXPECT_EQ(field_info(FieldId::Connection).hpack_index, 0);
}

// find_field_with finds exactly the names with one of the properties asked for, in any case.
TEST(FieldTable, FindWithPropertiesMatchesTheTable) {
  for (size_t i = 1; i < kFieldTable.size(); ++i) {
    const FieldInfo& f = kFieldTable[i];
    std::string upper(f.name);
    for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    const auto id = static_cast<FieldId>(i);
    const FieldId none = FieldId::Unknown;
    EXPECT_EQ(find_field_with<kFieldH1Interpreted>(upper),
              (f.properties & kFieldH1Interpreted) ? id : none)
        << f.name;
    // keep-alive and connection share a length (10), as content-length and http2-settings (14).
    EXPECT_EQ(find_field_with<kFieldHopByHop | kFieldFraming>(f.name),
              (f.properties & (kFieldHopByHop | kFieldFraming)) ? id : none)
        << f.name;
    // Three or more per length (":authority", connection, keep-alive) use the full lookup.
    EXPECT_EQ(find_field_with<0xffff>(upper), f.properties ? id : none) << f.name;
  }
  EXPECT_EQ(find_field_with<kFieldH1Interpreted>("Hosts"), FieldId::Unknown);
  EXPECT_EQ(find_field_with<kFieldH1Interpreted>("Hóst"), FieldId::Unknown);
  EXPECT_EQ(find_field_with<kFieldH1Interpreted>("date"), FieldId::Unknown);
}

// A lookup is a case-insensitive exact match: random names find a table entry only when equal to
// it ignoring ASCII case.
RC_GTEST_PROP(FieldTable, FindsOnlyExactNames, ()) {
  const auto name =
      *rc::gen::oneOf(rc::gen::container<std::string>(rc::gen::inRange<char>(0, 127)),
                      rc::gen::map(rc::gen::inRange<size_t>(1, kFieldTable.size()), [](size_t i) {
                        std::string n(kFieldTable[i].name);
                        return n;
                      }));
  const FieldId id = find_field(name);
  bool expected_known = false;
  for (size_t i = 1; i < kFieldTable.size(); ++i) {
    const std::string_view k = kFieldTable[i].name;
    if (k.size() != name.size()) continue;
    bool eq = true;
    for (size_t j = 0; j < k.size(); ++j) {
      char c = name[j];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      eq &= c == k[j];
    }
    if (eq) {
      RC_ASSERT(id == static_cast<FieldId>(i));
      expected_known = true;
    }
  }
  if (!expected_known) RC_ASSERT(id == FieldId::Unknown);
}

}  // namespace
}  // namespace crossmux::codecs
