// HeaderList ordering, case handling, ownership and RFC 7541 size accounting.
#include "codecs/message/header_list.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "codecs/message/message.h"

namespace crossmux::codecs {
namespace {

TEST(HeaderList, KeepsOrderCaseAndDuplicates) {
  HeaderList h;
  h.add_view("Content-Type", "text/plain");
  h.add_view("X-A", "1");
  h.add_view("x-a", "2");
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "Content-Type");
  EXPECT_EQ(h.count("X-a"), 2u);
  EXPECT_EQ(h.find("CONTENT-TYPE")->value, "text/plain");
  EXPECT_EQ(h.find("absent"), nullptr);
  EXPECT_EQ(h.remove("x-A"), 2u);
  EXPECT_EQ(h.size(), 1u);
}

TEST(HeaderList, CopiesSurviveTheSourceAndAreCounted) {
  HeaderList h;
  {
    std::string name = "cookie", value = "a=b";
    h.add_copy(name, value, true);
    name.assign("xxxxxx");
    value.assign("zzz");
  }
  EXPECT_EQ(h[0].name, "cookie");
  EXPECT_EQ(h[0].value, "a=b");
  EXPECT_TRUE(h[0].sensitive);
  EXPECT_EQ(h.bytes_copied(), 9u);
}

TEST(HeaderList, HpackSizeChargesOverheadForEmptyFields) {
  HeaderList h;
  h.add_view("", "");
  h.add_view("a", "bc");
  EXPECT_EQ(h.hpack_size(), 32u + 35u);
}

TEST(MessageHead, OwnAllDetachesFromInput) {
  MessageHead head;
  {
    std::string input = "GET example.com /index.html x-y z";
    std::string_view v(input);
    head.method = v.substr(0, 3);
    head.authority = v.substr(4, 11);
    head.path = v.substr(16, 11);
    head.headers.add_view(v.substr(28, 3), v.substr(32, 1));
    head.own_all();
    input.assign(input.size(), '#');
  }
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.authority, "example.com");
  EXPECT_EQ(head.path, "/index.html");
  EXPECT_EQ(head.headers[0].name, "x-y");
  EXPECT_EQ(head.headers[0].value, "z");
}

RC_GTEST_PROP(HeaderList, CloneIsEqualAndIndependent,
              (const std::vector<std::pair<std::string, std::string>>& fields)) {
  HeaderList original;
  for (const auto& [n, v] : fields) original.add_copy(n, v);
  HeaderList copy = original.clone();
  original.clear();
  RC_ASSERT(copy.size() == fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    RC_ASSERT(copy[i].name == fields[i].first);
    RC_ASSERT(copy[i].value == fields[i].second);
  }
}

}  // namespace
}  // namespace crossmux::codecs
