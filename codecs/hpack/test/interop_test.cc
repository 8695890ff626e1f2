// hpack-test-case stories decoded in sequence, and our codec against nghttp2's in both directions.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"
#include "codecs/hpack/test/test_util.h"

namespace crossmux::codecs::hpack {
namespace {

namespace fs = std::filesystem;
using testing::Headers;
using testing::Json;
using testing::to_headers;

struct Case {
  std::vector<uint8_t> wire;
  Headers headers;
  long table_size = -1;  // header_table_size, when the case carries one
};
using Story = std::vector<Case>;

fs::path data_dir() {
  const char* env = std::getenv("CROSSMUX_SHARED_DIR");
  return fs::path(env ? env : CROSSMUX_SHARED_DIR) / "data" / "hpack-test-case";
}

bool load_story(const fs::path& file, Story& out) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  Json doc;
  if (!testing::JsonReader(text.str()).parse(doc)) return false;
  const Json* cases = doc.get("cases");
  if (cases == nullptr) return false;
  for (const Json& c : cases->items) {
    Case k;
    if (const Json* w = c.get("wire")) k.wire = testing::unhex(w->string);
    const Json* t = c.get("header_table_size");
    if (t != nullptr && t->kind == Json::Kind::Number) k.table_size = static_cast<long>(t->number);
    if (const Json* hs = c.get("headers")) {
      for (const Json& h : hs->items) {
        for (const auto& [name, value] : h.fields) k.headers.emplace_back(name, value.string);
      }
    }
    out.push_back(std::move(k));
  }
  return true;
}

// Every story file of one directory, in name order.
std::vector<std::pair<std::string, Story>> load_dir(const std::string& name) {
  std::vector<std::pair<std::string, Story>> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(data_dir() / name)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    Story s;
    EXPECT_TRUE(load_story(f, s)) << f;
    out.emplace_back(f.filename().string(), std::move(s));
  }
  return out;
}

// Story headers are large in places (long cookies); test the codec, not the default limits.
constexpr DecoderLimits kRoomy{.max_table_size = 4096,
                               .max_header_list_size = 1 << 20,
                               .max_field_count = 1024,
                               .max_field_size = 1 << 20};

// The encoder outputs hpack-test-case carries, one test each so none runs long under ASan.
const char* const kImplementations[] = {"go-hpack", "nghttp2", "nghttp2-change-table-size",
                                        "python-hpack", "swift-nio-hpack-huffman"};

class HpackStoryDir : public ::testing::TestWithParam<const char*> {};

TEST_P(HpackStoryDir, EveryStoryDecodesInSequence) {
  const fs::path dir = data_dir() / GetParam();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no hpack-test-case at " << dir;
  size_t blocks = 0;
  for (const auto& [file, story] : load_dir(GetParam())) {
    Decoder dec(kRoomy);
    DecodedBlock block;
    for (const Case& c : story) {
      if (c.table_size >= 0) dec.set_max_table_size(static_cast<uint32_t>(c.table_size));
      const Status st = dec.decode(c.wire, block);
      ASSERT_TRUE(st.has_value()) << GetParam() << "/" << file << ": " << to_string(st.error());
      ASSERT_EQ(to_headers(block), c.headers) << GetParam() << "/" << file;
      ++blocks;
    }
  }
  EXPECT_GT(blocks, 3000u);
}

INSTANTIATE_TEST_SUITE_P(Implementations, HpackStoryDir, ::testing::ValuesIn(kImplementations));

// A directory added to hpack-test-case must be added to kImplementations too.
TEST(HpackStories, EveryImplementationDirectoryIsTested) {
  if (!fs::is_directory(data_dir())) GTEST_SKIP() << "no hpack-test-case at " << data_dir();
  for (const auto& dir : fs::directory_iterator(data_dir())) {
    if (!dir.is_directory() || dir.path().filename() == "raw-data") continue;
    const std::string name = dir.path().filename().string();
    EXPECT_NE(std::find(std::begin(kImplementations), std::end(kImplementations), name),
              std::end(kImplementations))
        << name;
  }
}

// Our encoder -> nghttp2's inflater and our decoder; nghttp2's deflater -> our decoder.
void check_interop(const std::vector<Headers>& lists, uint32_t table_size) {
  Encoder enc;
  testing::NgInflater ng_in;
  testing::NgDeflater ng_out(table_size);
  Decoder ours_from_ours(kRoomy);
  Decoder ours_from_ng(kRoomy);
  if (table_size != kDefaultTableSize) {
    enc.set_peer_max_table_size(table_size);
    ASSERT_TRUE(ng_in.change_table_size(table_size));
    ours_from_ours.set_max_table_size(table_size);
    ours_from_ng.set_max_table_size(table_size);
  }
  DecodedBlock block;
  ByteBuffer out;
  size_t ours = 0, theirs = 0;
  for (const Headers& h : lists) {
    out.clear();
    const std::vector<Field> fields = testing::as_fields(h);
    enc.encode(fields, out);
    const std::vector<uint8_t> wire(out.data(), out.data() + out.size());
    Headers got;
    ASSERT_TRUE(ng_in.inflate(wire, got)) << testing::hex(wire.data(), wire.size());
    ASSERT_EQ(got, h);
    ASSERT_TRUE(ours_from_ours.decode(wire, block).has_value());
    ASSERT_EQ(to_headers(block), h);
    const std::vector<uint8_t> ng_wire = ng_out.deflate(h);
    const Status st = ours_from_ng.decode(ng_wire, block);
    ASSERT_TRUE(st.has_value()) << to_string(st.error());
    ASSERT_EQ(to_headers(block), h);
    ours += wire.size();
    theirs += ng_wire.size();
  }
  // Same heuristics as nghttp2, so never larger.
  EXPECT_LE(ours, theirs);
}

TEST(HpackStories, RawDataInteropWithNghttp2) {
  if (!fs::is_directory(data_dir() / "raw-data")) GTEST_SKIP() << "no hpack-test-case raw-data";
  for (uint32_t table_size : {4096u, 256u, 0u}) {
    for (const auto& [file, story] : load_dir("raw-data")) {
      std::vector<Headers> lists;
      for (const Case& c : story) lists.push_back(c.headers);
      SCOPED_TRACE(file + " table " + std::to_string(table_size));
      check_interop(lists, table_size);
    }
  }
}

// Header lists from a small alphabet of names and values so that fields repeat and the tables
// index, hit and evict.
rc::Gen<Headers> gen_header_lists() {
  auto name = rc::gen::oneOf(
      rc::gen::element<std::string>(":method", ":path", ":authority", "cookie", "authorization",
                                    "user-agent", "accept", "x-custom", "content-length", ""),
      rc::gen::map(rc::gen::container<std::string>(rc::gen::inRange<char>('a', 'z' + 1)),
                   [](std::string s) { return s; }));
  auto value = rc::gen::oneOf(rc::gen::element<std::string>("", "GET", "/", "gzip", "a-value"),
                              rc::gen::arbitrary<std::string>());
  return rc::gen::container<Headers>(rc::gen::pair(name, value));
}

RC_GTEST_PROP(HpackRoundTrip, OursAndNghttp2Agree, ()) {
  const auto lists = *rc::gen::container<std::vector<Headers>>(gen_header_lists());
  const uint32_t table_size = *rc::gen::element(4096u, 512u, 64u, 0u);
  Encoder enc;
  enc.set_huffman(*rc::gen::arbitrary<bool>());
  enc.set_peer_max_table_size(table_size);
  testing::NgInflater ng_in;
  RC_ASSERT(ng_in.change_table_size(table_size));
  testing::NgDeflater ng_out(table_size);
  Decoder ours(kRoomy), from_ng(kRoomy);
  ours.set_max_table_size(table_size);
  from_ng.set_max_table_size(table_size);
  DecodedBlock block;
  for (const Headers& h : lists) {
    ByteBuffer out;
    const std::vector<Field> fields = testing::as_fields(h);
    enc.encode(fields, out);
    const std::vector<uint8_t> wire(out.data(), out.data() + out.size());
    RC_ASSERT(ours.decode(wire, block).has_value());
    RC_ASSERT(to_headers(block) == h);
    Headers got;
    RC_ASSERT(ng_in.inflate(wire, got));
    RC_ASSERT(got == h);
    const std::vector<uint8_t> ng_wire = ng_out.deflate(h);  // the fields view into it
    RC_ASSERT(from_ng.decode(ng_wire, block).has_value());
    RC_ASSERT(to_headers(block) == h);
  }
}

}  // namespace
}  // namespace crossmux::codecs::hpack
