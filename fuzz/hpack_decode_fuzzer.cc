// hpack_decode: a sequence of header blocks (with table size changes) through our decoder.
// Oracles: no crash or sanitizer report; limits hold (no stored field list over the cap); after an
// error the decoder refuses every later block.
#include <cstdint>
#include <cstdlib>

#include "codecs/hpack/decoder.h"
#include "fuzz/common/fuzz_input.h"

using namespace crossmux;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  codecs::hpack::DecoderLimits limits;
  limits.max_table_size = in.range(0, 65536);
  limits.max_header_list_size = in.range(0, 1 << 16);
  limits.max_field_count = in.range(0, 256);
  limits.max_field_size = in.range(0, 1 << 15);
  limits.on_limit =
      in.boolean() ? codecs::hpack::LimitAction::Fail : codecs::hpack::LimitAction::Continue;
  codecs::hpack::Decoder decoder(limits);
  codecs::hpack::DecodedBlock block;
  bool failed = false;
  while (!in.empty()) {
    if (in.u8() % 8 == 0) decoder.set_max_table_size(in.range(0, limits.max_table_size));
    auto bytes = in.chunk();
    auto status = decoder.decode(codecs::Bytes(bytes.data(), bytes.size()), block);
    if (failed && status.has_value()) std::abort();  // the context is lost after an error
    if (!status.has_value()) {
      failed = true;
      continue;
    }
    // RFC 7541 §4.1 accounting is enforced while decoding.
    if (block.header_list_size() > limits.max_header_list_size) std::abort();
    if (block.size() > limits.max_field_count) std::abort();
    for (const auto& f : block.fields()) {
      if (f.name.size() + f.value.size() > limits.max_field_size) std::abort();
    }
  }
  return 0;
}
