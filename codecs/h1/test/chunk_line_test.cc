// Chunk-size lines at the edges of their grammar (RFC 9112 §7.1, §7.1.1; RFC 9110 §5.6.4): every
// hex digit in both cases and the octets next to each range, quoted-pairs, and the chunk-ext
// bound at exactly its size.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "codecs/h1/chunked.h"
#include "codecs/h1/h1_errors.h"

namespace crossmux::codecs::h1 {
namespace {

struct Parsed {
  const char* error;
  ChunkLine line;
};

Parsed parse(std::string_view text, size_t max_chunk_extension = 1024) {
  Limits limits;
  limits.max_chunk_extension = max_chunk_extension;
  Parsed p{};
  p.error =
      parse_chunk_line(reinterpret_cast<const uint8_t*>(text.data()), text.size(), limits, p.line);
  return p;
}

TEST(ChunkLine, EveryHexDigitInEitherCaseIsASize) {
  // HEXDIG is case-insensitive (RFC 5234 §2.3): 0-9, A-F and a-f.
  const std::string digits = "0123456789abcdefABCDEF";
  for (char c : digits) {
    const Parsed p = parse(std::string(1, c) + "\r\n");
    ASSERT_EQ(p.error, nullptr) << c;
    const uint64_t want = static_cast<uint64_t>(std::stoul(std::string(1, c), nullptr, 16));
    EXPECT_EQ(p.line.size, want) << c;
    EXPECT_EQ(p.line.length, 3u) << c;
  }
  EXPECT_EQ(parse("Ff\r\n").line.size, 255u);
  EXPECT_EQ(parse("1A\r\n").line.size, 26u);
  EXPECT_EQ(parse("aBcDeF\r\n").line.size, 0xabcdefu);
}

TEST(ChunkLine, TheOctetsBesideEachHexRangeAreNoDigits) {
  // '/' and ':' around 0-9, '@' and 'G' around A-F, '`' and 'g' around a-f.
  for (char c : std::string_view("/:@G`g")) {
    EXPECT_EQ(parse(std::string(1, c) + "\r\n").error, kErrBadChunkSize) << c;
    EXPECT_EQ(parse("1" + std::string(1, c) + "\r\n").error, kErrBadChunkSize) << c;
  }
}

TEST(ChunkLine, QuotedPairsTakeHtabSpAndVisibleOctets) {
  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
  for (std::string_view ok : {"5;a=\"x\\ y\"\r\n", "5;a=\"x\\\ty\"\r\n", "5;a=\"\\\"\"\r\n",
                              "5;a=\"x\\~\"\r\n", "5;a=\"\\\x80\"\r\n"}) {
    const Parsed p = parse(ok);
    EXPECT_EQ(p.error, nullptr) << ok;
    EXPECT_EQ(p.line.length, ok.size()) << ok;
  }
  for (std::string_view bad : {"5;a=\"x\\\x1f\"\r\n", "5;a=\"x\\\x7f\"\r\n", "5;a=\"x\\\"\r\n",
                               "5;a=\"x\r\n", "5;a=\"x\\\r\n"}) {
    EXPECT_EQ(parse(bad).error, kErrBadChunkExtension) << bad;
  }
}

TEST(ChunkLine, AnExtensionOfExactlyTheLimitPassesAndOneMoreOctetIsRefused) {
  // limits.max_chunk_extension counts the octets between the size and the CR.
  const std::string at_limit = "5;abcdefg\r\n";  // ";abcdefg": 8 octets
  Parsed p = parse(at_limit, 8);
  EXPECT_EQ(p.error, nullptr);
  EXPECT_EQ(p.line.length, at_limit.size());
  EXPECT_EQ(p.line.size, 5u);
  EXPECT_EQ(parse("5;abcdefgh\r\n", 8).error, kErrChunkExtensionTooLong);
  // No LF within the longest line allowed (size, limit, CRLF: 11 octets): refused at once,
  // without waiting for more.
  EXPECT_EQ(parse("5;abcdefghi", 8).error, kErrChunkExtensionTooLong);
  EXPECT_EQ(parse("5;abcdefghij", 8).error, kErrChunkExtensionTooLong);
}

}  // namespace
}  // namespace crossmux::codecs::h1
