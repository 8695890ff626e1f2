// NetCase: unit splitting, shapes and the replayable file form.
#include "fuzz/net/net_case.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"

namespace crossmux::fuzz::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string frames() {
  codecs::ByteBuffer b;
  b.append(kH2ClientPreface);
  codecs::h2::write_settings(b, nullptr, 0);
  codecs::h2::HeadersFrame h;
  std::string block = "\x82\x86\x84";
  h.block = codecs::as_bytes(block);
  h.end_stream = true;
  h.end_headers = true;
  codecs::h2::write_headers(b, 1, h);
  return std::string(b.view());
}

TEST(NetCase, SplitsHttp2IntoPrefaceFramesAndARawTail) {
  const std::string wire = frames() + std::string("\x00\x00\x05\x00", 4);  // cut short
  auto units = split_units(Proto::H2, wire);
  ASSERT_EQ(units.size(), 4u);
  EXPECT_EQ(units[0], kH2ClientPreface);
  EXPECT_EQ(describe_unit(Proto::H2, units[1]), "SETTINGS stream=0 length=0");
  EXPECT_EQ(describe_unit(Proto::H2, units[2]),
            "HEADERS stream=1 flags=END_STREAM|END_HEADERS length=3");
  EXPECT_EQ(describe_unit(Proto::H2, units[3]), "raw 4 bytes");
  NetCase c{Proto::H2, units};
  EXPECT_EQ(c.wire(), wire);
  EXPECT_EQ(shape(c), "PREFACE SETTINGS HEADERS[ES,EH] raw");
}

TEST(NetCase, SplitsHttp11IntoLines) {
  auto units = split_units(Proto::H1, "GET / HTTP/1.1\r\nHost: a\nX: \r\n\r\nbody");
  EXPECT_THAT(units, ElementsAre("GET / HTTP/1.1\r\n", "Host: a\n", "X: \r\n", "\r\n", "body"));
  NetCase c{Proto::H1, units};
  EXPECT_EQ(shape(c), "request-line header:host header:x empty body");
}

TEST(NetCase, FileRoundTripKeepsEveryByteAndPause) {
  NetCase c;
  c.proto = Proto::H1;
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  c.units = {"GET / HTTP/1.1\r\n", "", all, "trailing space ", "# not a comment\n"};
  std::string text = to_file(c, {"finding: hang", "second line"});
  EXPECT_THAT(text, HasSubstr("# finding: hang\n# second line\nproto: h1\n"));
  EXPECT_THAT(text, HasSubstr("pause\n"));
  NetCase back;
  std::string error;
  ASSERT_TRUE(from_file(text, back, error)) << error;
  EXPECT_EQ(back.proto, Proto::H1);
  EXPECT_EQ(back.units, c.units);
}

TEST(NetCase, FileErrorsNameTheLine) {
  NetCase c;
  std::string error;
  EXPECT_FALSE(from_file("proto: h2\nunit: \\xZZ\n", c, error));
  EXPECT_EQ(error, "line 2: malformed escape");
  EXPECT_FALSE(from_file("proto: h3\n", c, error));
  EXPECT_EQ(error, "line 1: proto must be h1 or h2");
  EXPECT_FALSE(from_file("# only a comment\nunit: a\n", c, error));
  EXPECT_EQ(error, "no \"proto:\" line");
  EXPECT_FALSE(from_file("proto: h1\nframe: a\n", c, error));
  EXPECT_THAT(error, HasSubstr("line 2: unknown directive"));
}

}  // namespace
}  // namespace crossmux::fuzz::net
