// hpack_diff: the same header blocks through our decoder and nghttp2's inflater: the same
// accept/reject verdict and, when both accept, the same header list.
// Normalisations: none needed for valid input; limits are set high on both sides so only
// protocol validity decides.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/hpack/decoder.h"
#include "fuzz/common/fuzz_input.h"

using namespace crossmux;

namespace {

struct Inflater {
  nghttp2_hd_inflater* h = nullptr;
  Inflater() { nghttp2_hd_inflate_new(&h); }
  ~Inflater() { nghttp2_hd_inflate_del(h); }
  // The decoded list, or false when nghttp2 rejects the block.
  bool decode(const uint8_t* p, size_t n, std::vector<std::pair<std::string, std::string>>& out) {
    out.clear();
    while (true) {
      nghttp2_nv nv;
      int flags = 0;
      ssize_t rv = nghttp2_hd_inflate_hd2(h, &nv, &flags, p, n, 1);
      if (rv < 0) return false;
      p += rv;
      n -= static_cast<size_t>(rv);
      if (flags & NGHTTP2_HD_INFLATE_EMIT) {
        out.emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                         std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
      }
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(h);
        return true;
      }
      if (rv == 0 && n == 0) return false;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  codecs::hpack::DecoderLimits limits;
  limits.max_header_list_size = SIZE_MAX;
  limits.max_field_count = SIZE_MAX;
  limits.max_field_size = SIZE_MAX;
  codecs::hpack::Decoder ours(limits);
  codecs::hpack::DecodedBlock block;
  Inflater theirs;
  std::vector<std::pair<std::string, std::string>> list;
  while (!in.empty()) {
    auto bytes = in.chunk();
    bool ok_ours = ours.decode(codecs::Bytes(bytes.data(), bytes.size()), block).has_value();
    bool ok_theirs = theirs.decode(bytes.data(), bytes.size(), list);
    if (ok_ours != ok_theirs) std::abort();
    if (!ok_ours) return 0;  // both contexts are lost; nothing more to compare
    if (block.size() != list.size()) std::abort();
    for (size_t i = 0; i < list.size(); ++i) {
      if (block[i].name != list[i].first || block[i].value != list[i].second) std::abort();
    }
  }
  return 0;
}
