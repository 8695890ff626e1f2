// HPACK Huffman code (RFC 7541 §5.2, Appendix B): sizing, encoding and table-driven decoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crossmux::codecs::hpack {

// Octets the Huffman encoding of `s` takes, padding included.
size_t huffman_encoded_size(std::string_view s);

// Octets huffman_encode() may scribble past the end of its output (it stores whole words).
inline constexpr size_t kHuffmanEncodeSlack = 8;

// Writes the Huffman encoding of `s` to `out`, padded with the most significant bits of EOS.
// `out` needs huffman_encoded_size(s) + kHuffmanEncodeSlack octets; the slack octets hold garbage
// afterwards. Returns the octets written.
size_t huffman_encode(std::string_view s, uint8_t* out);

// Writes the Huffman encoding of `s` to `out` only when it is shorter than `s` (RFC 7541 §5.2
// leaves the choice to the encoder), in one pass. Returns its length, or 0 when it would not be
// shorter (then `out` holds garbage). `out` needs s.size() + kHuffmanEncodeSlack octets.
size_t huffman_encode_if_shorter(std::string_view s, uint8_t* out);

// Upper bound of the decoded length of `n` Huffman octets (the shortest code is 5 bits).
inline constexpr size_t huffman_decoded_bound(size_t n) {
  return n * 8 / 5 + 1;
}

// Decodes `n` octets at `in` into `out` (room for huffman_decoded_bound(n) octets). On success
// sets `written` and returns nullptr; otherwise returns the error detail: kHuffmanEos (the string
// contains the EOS symbol), kHuffmanPaddingTooLong (more than 7 bits left after the last symbol),
// kHuffmanPaddingNotEos (the final bits are not all ones).
const char* huffman_decode(const uint8_t* in, size_t n, char* out, size_t& written);

}  // namespace crossmux::codecs::hpack
