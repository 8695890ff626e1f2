// Test helpers: run the H1 decoder over an input at a chosen split and capture trace and error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/h1/decoder.h"
#include "codecs/message/recording_sink.h"
#include "codecs/testing/split_feed.h"

namespace crossmux::codecs::h1::testing {

using codecs::testing::Split;

struct Decoded {
  std::string trace;
  std::optional<Error> error;
  std::string leftover;  // bytes never consumed
};

struct DecodeSetup {
  MessageKind kind = MessageKind::Request;
  std::vector<RequestInfo> requests;  // response decoders: the outstanding requests
  DecoderOptions options;
  bool eof = false;  // call finish() after the input
};

inline Decoded decode(std::string_view input, const DecodeSetup& setup, Split split = Split::Whole,
                      uint32_t seed = 1) {
  Decoder decoder(setup.kind, setup.options);
  for (const auto& r : setup.requests) decoder.expect_response(r);
  RecordingSink sink;
  Decoded out;
  out.leftover = codecs::testing::feed_split(input, split, seed, [&](Bytes b) -> size_t {
    auto r = decoder.feed(b, sink);
    if (!r) {
      out.error = r.error();
      return SIZE_MAX;
    }
    return *r;
  });
  if (setup.eof && !out.error) {
    if (auto st = decoder.finish(sink); !st) out.error = st.error();
  }
  out.trace = sink.trace();
  return out;
}

inline Decoded decode_request(std::string_view input, Split split = Split::Whole,
                              uint32_t seed = 1) {
  return decode(input, DecodeSetup{}, split, seed);
}

inline DecodeSetup response_to(std::vector<RequestInfo> requests, bool eof = false) {
  DecodeSetup s;
  s.kind = MessageKind::Response;
  s.requests = std::move(requests);
  s.eof = eof;
  return s;
}

}  // namespace crossmux::codecs::h1::testing
