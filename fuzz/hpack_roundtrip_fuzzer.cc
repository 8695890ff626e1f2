// hpack_roundtrip: header lists built from the input, encoded by our encoder (with peer table
// size changes), decoded by our decoder; the decoded list must equal what was encoded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"
#include "fuzz/common/fuzz_input.h"

using namespace crossmux;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  codecs::hpack::Encoder encoder(in.range(0, 8192));
  codecs::hpack::DecoderLimits limits;
  limits.max_table_size = 65536;
  limits.max_header_list_size = SIZE_MAX;
  limits.max_field_count = SIZE_MAX;
  limits.max_field_size = SIZE_MAX;
  codecs::hpack::Decoder decoder(limits);
  codecs::hpack::DecodedBlock block;
  codecs::ByteBuffer out;
  // Names and values are copies (their own allocations, so an over-read of one is not a read of
  // the next); the vectors holding them are reused from block to block, and `storage` is sized
  // while empty so that it never reallocates under the fields that view its strings.
  std::vector<std::string> storage;
  std::vector<codecs::hpack::Field> fields;
  while (!in.empty()) {
    if (in.u8() % 4 == 0) encoder.set_peer_max_table_size(in.range(0, 65536));
    storage.clear();
    fields.clear();
    size_t n = in.range(0, 16);
    storage.reserve(2 * n);
    fields.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      auto name = in.bytes(in.range(0, 40));
      auto value = in.bytes(in.range(0, 200));
      storage.emplace_back(reinterpret_cast<const char*>(name.data()), name.size());
      storage.emplace_back(reinterpret_cast<const char*>(value.data()), value.size());
      fields.push_back({storage[storage.size() - 2], storage.back(), in.u8() % 8 == 0});
    }
    out.clear();
    encoder.encode(fields, out);
    auto status = decoder.decode(out.bytes(), block);
    if (!status.has_value()) std::abort();  // our own encoding must decode
    if (block.size() != fields.size()) std::abort();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (block[i].name != fields[i].name || block[i].value != fields[i].value) std::abort();
      if (fields[i].sensitive && !block[i].sensitive) std::abort();  // never-indexed survives
    }
  }
  return 0;
}
