// RFC 7541 Appendix C header block examples, decoded and (where our choices match) encoded.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"
#include "codecs/hpack/test/test_util.h"

namespace crossmux::codecs::hpack {
namespace {

using testing::Headers;
using testing::to_headers;
using testing::unhex;

struct Step {
  const char* wire;
  Headers headers;
  size_t table_size;  // dynamic table size after the block
};

void decode_steps(const std::vector<Step>& steps, uint32_t table_size) {
  Decoder dec(DecoderLimits{.max_table_size = table_size});
  DecodedBlock block;
  for (const Step& s : steps) {
    const std::vector<uint8_t> wire = unhex(s.wire);
    ASSERT_TRUE(dec.decode(wire, block).has_value()) << s.wire;
    EXPECT_EQ(to_headers(block), s.headers) << s.wire;
    EXPECT_EQ(dec.table().size(), s.table_size) << s.wire;
  }
}

void encode_steps(const std::vector<Step>& steps, bool huffman) {
  Encoder enc;
  enc.set_huffman(huffman);
  for (const Step& s : steps) {
    ByteBuffer out;
    const std::vector<Field> fields = testing::as_fields(s.headers);
    enc.encode(fields, out);
    EXPECT_EQ(testing::hex(out.data(), out.size()),
              testing::hex(unhex(s.wire).data(), unhex(s.wire).size()));
    EXPECT_EQ(enc.table().size(), s.table_size);
  }
}

const Headers kReq1 = {
    {":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}};
const Headers kReq2 = {{":method", "GET"},
                       {":scheme", "http"},
                       {":path", "/"},
                       {":authority", "www.example.com"},
                       {"cache-control", "no-cache"}};
const Headers kReq3 = {{":method", "GET"},
                       {":scheme", "https"},
                       {":path", "/index.html"},
                       {":authority", "www.example.com"},
                       {"custom-key", "custom-value"}};

const std::vector<Step> kC3 = {
    {"828684410f7777772e6578616d706c652e636f6d", kReq1, 57},
    {"828684be58086e6f2d6361636865", kReq2, 110},
    {"828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565", kReq3, 164},
};
const std::vector<Step> kC4 = {
    {"828684418cf1e3c2e5f23a6ba0ab90f4ff", kReq1, 57},
    {"828684be5886a8eb10649cbf", kReq2, 110},
    {"828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf", kReq3, 164},
};

const Headers kResp1 = {{":status", "302"},
                        {"cache-control", "private"},
                        {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                        {"location", "https://www.example.com"}};
const Headers kResp2 = {{":status", "307"},
                        {"cache-control", "private"},
                        {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                        {"location", "https://www.example.com"}};
const Headers kResp3 = {{":status", "200"},
                        {"cache-control", "private"},
                        {"date", "Mon, 21 Oct 2013 20:13:22 GMT"},
                        {"location", "https://www.example.com"},
                        {"content-encoding", "gzip"},
                        {"set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"}};

const std::vector<Step> kC5 = {
    {"4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d"
     "546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
     kResp1, 222},
    {"4803333037c1c0bf", kResp2, 222},
    {"88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f"
     "6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b"
     "2076657273696f6e3d31",
     kResp3, 215},
};
const std::vector<Step> kC6 = {
    {"488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c7"
     "8f0b97c8e9ae82ae43d3",
     kResp1, 222},
    {"4883640effc1c0bf", kResp2, 222},
    {"88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335"
     "dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
     kResp3, 215},
};

TEST(HpackRfcVectors, C2LiteralsDecode) {
  decode_steps({{"400a637573746f6d2d6b65790d637573746f6d2d686561646572",
                 {{"custom-key", "custom-header"}},
                 55}},
               4096);
  decode_steps({{"040c2f73616d706c652f70617468", {{":path", "/sample/path"}}, 0}}, 4096);
  decode_steps({{"100870617373776f726406736563726574", {{"password", "secret"}}, 0}}, 4096);
  decode_steps({{"82", {{":method", "GET"}}, 0}}, 4096);
}

TEST(HpackRfcVectors, C2NeverIndexedIsReported) {
  Decoder dec;
  DecodedBlock block;
  ASSERT_TRUE(dec.decode(unhex("100870617373776f726406736563726574"), block).has_value());
  ASSERT_EQ(block.size(), 1u);
  EXPECT_TRUE(block[0].sensitive);
}

TEST(HpackRfcVectors, C2LiteralsEncode) {
  encode_steps({{"400a637573746f6d2d6b65790d637573746f6d2d686561646572",
                 {{"custom-key", "custom-header"}},
                 55}},
               false);
  encode_steps({{"040c2f73616d706c652f70617468", {{":path", "/sample/path"}}, 0}}, false);
  encode_steps({{"82", {{":method", "GET"}}, 0}}, false);
  Encoder enc;
  enc.set_huffman(false);
  ByteBuffer out;
  const Field secret{"password", "secret", true};
  enc.encode(std::span<const Field>(&secret, 1), out);
  EXPECT_EQ(testing::hex(out.data(), out.size()), "100870617373776f726406736563726574");
}

TEST(HpackRfcVectors, C3RequestsWithoutHuffman) {
  decode_steps(kC3, 4096);
  encode_steps(kC3, false);
}

TEST(HpackRfcVectors, C4RequestsWithHuffman) {
  decode_steps(kC4, 4096);
  encode_steps(kC4, true);
}

// C.5/C.6 index `location`, which our encoder deliberately does not; decode only.
TEST(HpackRfcVectors, C5ResponsesWithoutHuffman) {
  decode_steps(kC5, 256);
}
TEST(HpackRfcVectors, C6ResponsesWithHuffman) {
  decode_steps(kC6, 256);
}

}  // namespace
}  // namespace crossmux::codecs::hpack
