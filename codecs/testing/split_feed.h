// Test helper: feed an input to a consumed/need-more decoder whole, byte by byte or at random
// splits.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/bytes.h"

namespace crossmux::codecs::testing {

enum class Split : uint8_t { Whole, Bytewise, Random };

inline const char* to_string(Split s) {
  return s == Split::Whole ? "whole" : s == Split::Bytewise ? "bytewise" : "random";
}

// Cut points for `size` bytes: none (Whole), every byte (Bytewise), or seeded random ones.
inline std::vector<size_t> split_points(size_t size, Split mode, uint32_t seed) {
  std::vector<size_t> cuts;
  if (mode == Split::Bytewise) {
    for (size_t i = 1; i < size; ++i) cuts.push_back(i);
  } else if (mode == Split::Random && size > 1) {
    std::mt19937 rng(seed);
    size_t at = 0;
    while (true) {
      at += 1 + rng() % 16;
      if (at >= size) break;
      cuts.push_back(at);
    }
  }
  return cuts;
}

// Delivers `input` in pieces the way a socket would: `feed(Bytes) -> size_t consumed`. Bytes the
// decoder did not consume are kept and presented again with the next piece (the caller-owned
// buffer contract). Stops early when `feed` returns a value > the bytes offered (an error
// convention: return SIZE_MAX to stop). Returns the bytes never consumed.
template <class Feed>
std::string feed_split(std::string_view input, Split mode, uint32_t seed, Feed&& feed) {
  std::vector<size_t> cuts = split_points(input.size(), mode, seed);
  cuts.push_back(input.size());
  std::string pending;
  size_t from = 0;
  for (size_t cut : cuts) {
    pending.append(input.substr(from, cut - from));
    from = cut;
    size_t used = feed(as_bytes(pending));
    if (used > pending.size()) return pending;
    pending.erase(0, used);
  }
  return pending;
}

}  // namespace crossmux::codecs::testing
