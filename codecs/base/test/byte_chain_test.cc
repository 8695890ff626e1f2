// ByteChain: adopted body buffers keep their storage (no copy), framing goes around them in order,
// consumption across parts, spare storage reuse, splicing without copies.
#include "codecs/base/byte_chain.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace crossmux::codecs {
namespace {

std::string contents(const ByteChain& c) {
  std::string s;
  c.for_each(0, [&](Bytes b) { s += as_chars(b); });
  return s;
}

ByteBuffer filled(size_t n, char c) {
  ByteBuffer b;
  b.append(std::string(n, c));
  return b;
}

TEST(ByteChain, AdoptedBodyKeepsItsStorageBetweenFramingBytes) {
  ByteChain chain;
  chain.append(std::string_view("4000\r\n"));
  ByteBuffer body = filled(16384, 'b');
  const uint8_t* storage = body.data();
  chain.adopt(body);
  EXPECT_EQ(body.capacity(), 0u) << "the storage moved into the chain";
  chain.append(std::string_view("\r\n"));
  EXPECT_EQ(chain.size(), 6u + 16384 + 2);
  EXPECT_EQ(chain.parts(), 3u);
  std::array<Bytes, 8> parts;
  ASSERT_EQ(chain.gather(parts), 3u);
  EXPECT_EQ(as_chars(parts[0]), "4000\r\n");
  EXPECT_EQ(parts[1].data(), storage) << "the body is written from where it was read into";
  EXPECT_EQ(parts[1].size(), 16384u);
  EXPECT_EQ(as_chars(parts[2]), "\r\n");
}

TEST(ByteChain, ShortBodyIsCopiedAndItsBufferKept) {
  ByteChain chain;
  chain.append(std::string_view("head"));
  ByteBuffer body = filled(ByteChain::kMinAdopt - 1, 'x');
  const size_t cap = body.capacity();
  chain.adopt(body);
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(body.capacity(), cap) << "the caller reuses its buffer";
  EXPECT_EQ(chain.parts(), 1u);
  EXPECT_EQ(contents(chain), "head" + std::string(ByteChain::kMinAdopt - 1, 'x'));
}

TEST(ByteChain, ConsumeCrossesPartsAndKeepsStorageAsSpares) {
  ByteChain chain;
  chain.append(std::string_view("ab"));
  ByteBuffer body = filled(2000, 'c');
  chain.adopt(body);
  chain.append(std::string_view("de"));
  chain.consume(1);
  EXPECT_EQ(chain.front().size(), 1u);
  chain.consume(1 + 1999);
  EXPECT_EQ(contents(chain), "cde");
  EXPECT_EQ(chain.spares(), 1u) << "the emptied part's storage waits for the next written part";
  chain.consume(3);
  EXPECT_TRUE(chain.empty());
  EXPECT_EQ(chain.size(), 0u);
  EXPECT_EQ(chain.parts(), 0u);
  EXPECT_EQ(chain.spares(), ByteChain::kMaxSpares);
  // The next framing bytes go into a spare, not a new allocation.
  chain.append(std::string_view("next"));
  EXPECT_EQ(chain.spares(), ByteChain::kMaxSpares - 1);
  EXPECT_EQ(contents(chain), "next");
}

TEST(ByteChain, SpliceMovesPartsWithoutCopyingAndLendsASpare) {
  ByteChain codec;
  ByteBuffer body = filled(4096, 'z');
  const uint8_t* storage = body.data();
  codec.append(std::string_view("HTTP/1.1 200 OK\r\n\r\n"));
  codec.adopt(body);
  ByteChain socket;
  socket.give_spare(filled(100, 's'));
  socket.splice(codec);  // into an empty chain
  EXPECT_TRUE(codec.empty());
  EXPECT_EQ(codec.spares(), 1u) << "the codec's next framing bytes need no allocation";
  EXPECT_EQ(socket.spares(), 0u);
  codec.append(std::string_view("more"));
  socket.splice(codec);  // appended after what is there
  std::array<Bytes, 8> parts;
  ASSERT_EQ(socket.gather(parts), 3u);
  EXPECT_EQ(parts[1].data(), storage);
  EXPECT_EQ(contents(socket), "HTTP/1.1 200 OK\r\n\r\n" + std::string(4096, 'z') + "more");
}

TEST(ByteChain, ForEachStartsAtAnOffsetAndMoveToFlattens) {
  ByteChain chain;
  chain.append(std::string_view("0123"));
  ByteBuffer body = filled(1500, 'y');
  chain.adopt(body);
  chain.append(std::string_view("xyz"));
  std::string tail;
  chain.for_each(4 + 1499, [&](Bytes b) { tail += as_chars(b); });
  EXPECT_EQ(tail, "yxyz");
  ByteBuffer flat;
  flat.append(std::string_view(">"));
  chain.move_to(flat);
  EXPECT_TRUE(chain.empty());
  EXPECT_EQ(flat.view(), ">0123" + std::string(1500, 'y') + "xyz");
}

// Views into a buffer the chain owns later: written in order, consumed before their owner.
TEST(ByteChain, ViewsLiveInTheBufferOwnedAfterThem) {
  ByteChain chain;
  ByteBuffer queue = filled(300, 'q');
  for (size_t i = 0; i < 300; i += 3) queue.data()[i] = static_cast<uint8_t>('0' + i % 10);
  const std::string expected(queue.view());
  const uint8_t* storage = queue.data();
  chain.append(std::string_view("<"));
  chain.adopt_view(Bytes(storage, 100));
  chain.append(std::string_view("|"));
  chain.adopt_view(Bytes(storage + 100, 100));
  chain.append(std::string_view("|"));
  queue.consume(200);
  chain.own(queue);  // short, but owned: the views point into it
  EXPECT_EQ(queue.capacity(), 0u);
  std::array<Bytes, 8> parts;
  ASSERT_EQ(chain.gather(parts), 6u);
  EXPECT_EQ(parts[1].data(), storage);
  EXPECT_EQ(parts[5].data(), storage + 200);
  chain.consume(1 + 150);
  // "<", the first view and "|" are gone, and 49 octets of the second view.
  const std::string left = expected.substr(149, 51) + "|" + expected.substr(200);
  EXPECT_EQ(contents(chain), left);
  ByteChain moved;
  moved.splice(chain);
  ByteBuffer flat;
  moved.move_to(flat);
  EXPECT_EQ(flat.view(), left);
}

TEST(ByteChain, GatherStopsAtTheSpanSizeAndSkipsEmptyParts) {
  ByteChain chain;
  for (int i = 0; i < 5; ++i) {
    chain.tail();  // an empty written part: nothing to write
    ByteBuffer body = filled(ByteChain::kMinAdopt, static_cast<char>('a' + i));
    chain.adopt(body);
  }
  std::array<Bytes, 3> parts;
  ASSERT_EQ(chain.gather(parts), 3u);
  EXPECT_EQ(parts[2][0], 'c');
  EXPECT_EQ(chain.size(), 5 * ByteChain::kMinAdopt);
}

}  // namespace
}  // namespace crossmux::codecs
