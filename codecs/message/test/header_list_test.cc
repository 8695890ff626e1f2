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

TEST(StringArena, AReservedTotalLandsInOneChunkThatSurvivesMovesAndClear) {
  StringArena arena(64);
  arena.reserve(100);  // rounded up to 112
  const std::string_view a = arena.copy(std::string(60, 'a'));
  const std::string_view b = arena.copy(std::string(52, 'b'));
  EXPECT_EQ(arena.bytes_reserved(), 112u);
  EXPECT_EQ(b.data(), a.data() + 60);  // the same chunk, back to back
  EXPECT_TRUE(arena.copy("").empty());
  EXPECT_EQ(arena.bytes_reserved(), 112u);  // an empty copy opens no chunk
  StringArena moved(std::move(arena));
  EXPECT_EQ(a, std::string(60, 'a'));          // views stay valid across a move
  const std::string_view c = moved.copy("c");  // the reserved chunk is full: a new one
  EXPECT_EQ(moved.bytes_reserved(), 112u + 64u);
  EXPECT_EQ(c, "c");
  moved.clear();  // keeps the first chunk only
  EXPECT_EQ(moved.bytes_reserved(), 112u);
  EXPECT_EQ(moved.copy(std::string(112, 'd')).data(), a.data());
}

TEST(MessageHead, CopyOwnedLeavesTheSourceAndHasRoomForWhatTheCallerAdds) {
  std::string input = "GET example.com /index.html x-y z Content-Type";
  const std::string_view v(input);
  MessageHead from;
  from.method = v.substr(0, 3);
  from.authority = v.substr(4, 11);
  from.path = v.substr(16, 11);
  from.headers.add_view(v.substr(28, 3), v.substr(32, 1));
  from.headers.add_view(v.substr(34, 12), "text/plain");
  from.framing = Framing::KnownLength;
  from.content_length = 7;
  MessageHead copy;
  copy.copy_owned(from, 2, 40);
  // The source is untouched: its views still point into the input.
  EXPECT_EQ(from.path.data(), input.data() + 16);
  EXPECT_EQ(from.headers.size(), 2u);
  EXPECT_EQ(from.headers[0].name.data(), input.data() + 28);
  // The copy owns its bytes.
  input.assign(input.size(), '#');
  EXPECT_EQ(copy.method, "GET");
  EXPECT_EQ(copy.authority, "example.com");
  EXPECT_EQ(copy.path, "/index.html");
  ASSERT_EQ(copy.headers.size(), 2u);
  EXPECT_EQ(copy.headers[1].name, "Content-Type");
  EXPECT_EQ(copy.framing, Framing::KnownLength);
  EXPECT_EQ(copy.content_length, 7u);
  // Two more fields and 40 more bytes fit where the copy put its own: no growth.
  const HeaderField* fields = &copy.headers[0];
  const size_t reserved = copy.headers.bytes_reserved();
  copy.headers.add_copy("via", "1.1 crossmux");
  copy.headers[1].name = copy.headers.own_lowercase(copy.headers[1].name);
  copy.headers.add_view("x-request-id", "0123456789abcdef");
  EXPECT_EQ(&copy.headers[0], fields);
  EXPECT_EQ(copy.headers.bytes_reserved(), reserved);
  EXPECT_EQ(copy.headers[1].name, "content-type");
  EXPECT_EQ(copy.headers[2].value, "1.1 crossmux");
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
