// HPACK Huffman coding. Decoding peeks kPeekBits at a time in a lookup table and falls back to
// canonical-code arithmetic for the rare longer codes; both tables are built at compile time.
#include "codecs/hpack/huffman.h"

#include <array>
#include <cstring>

#include "codecs/base/bytes.h"
#include "codecs/hpack/hpack_errors.h"

namespace crossmux::codecs::hpack {
namespace {

struct Code {
  uint32_t bits;
  uint8_t len;
};

// Index 256 is EOS.
constexpr Code kCodes[257] = {
#include "codecs/hpack/huffman_table.inc"
};

constexpr unsigned kEos = 256;
constexpr unsigned kMaxLen = 30;
constexpr unsigned kPeekBits = 11;

// The next kPeekBits input bits index this table: it names the one or two whole codes they start
// with (`len1` bits for the first, `len` in all; len == len1 when there is one), or len == 0 when
// they begin a code longer than kPeekBits. Two short symbols per lookup halve the dependent steps
// for typical header text.
struct PeekEntry {
  uint8_t sym[2];
  uint8_t len1;
  uint8_t len;
};

constexpr std::array<PeekEntry, 1u << kPeekBits> make_peek_table() {
  std::array<PeekEntry, 1u << kPeekBits> t{};
  for (unsigned s = 0; s < 256; ++s) {
    const Code c = kCodes[s];
    if (c.len > kPeekBits) continue;
    const unsigned free_bits = kPeekBits - c.len;
    for (unsigned i = 0; i < (1u << free_bits); ++i) {
      t[(c.bits << free_bits) + i] = PeekEntry{{static_cast<uint8_t>(s), 0}, c.len, c.len};
    }
  }
  // A second symbol when it also ends within kPeekBits: the single-symbol entry for the bits
  // after the first code (shifted up, zero-filled) names it if its code is short enough.
  const std::array<PeekEntry, 1u << kPeekBits> single = t;
  for (unsigned i = 0; i < t.size(); ++i) {
    if (t[i].len == 0) continue;
    const PeekEntry next = single[(i << t[i].len1) & ((1u << kPeekBits) - 1)];
    if (next.len == 0 || next.len > kPeekBits - t[i].len1) continue;
    t[i].sym[1] = next.sym[0];
    t[i].len = static_cast<uint8_t>(t[i].len1 + next.len);
  }
  return t;
}

// RFC 7541 Appendix B is a canonical code: within one length, codes are consecutive and ordered by
// symbol. So a code of length L decodes as kSorted[kOffset[L] + (code - kFirst[L])] when it lies
// below kFirst[L] + kCount[L].
struct Canonical {
  std::array<uint32_t, kMaxLen + 1> first{};
  std::array<uint16_t, kMaxLen + 1> count{};
  std::array<uint16_t, kMaxLen + 1> offset{};
  std::array<uint16_t, 257> sorted{};
};

constexpr Canonical make_canonical() {
  Canonical c{};
  for (unsigned s = 0; s < 257; ++s) ++c.count[kCodes[s].len];
  uint16_t off = 0;
  uint32_t code = 0;
  for (unsigned len = 1; len <= kMaxLen; ++len) {
    code = (code + (len > 1 ? c.count[len - 1] : 0)) << (len > 1 ? 1 : 0);
    c.first[len] = code;
    c.offset[len] = off;
    for (unsigned s = 0; s < 257; ++s) {
      if (kCodes[s].len == len) c.sorted[off++] = static_cast<uint16_t>(s);
    }
  }
  return c;
}

constexpr auto kPeek = make_peek_table();
constexpr Canonical kCanon = make_canonical();

constexpr bool canonical_matches_rfc() {
  for (unsigned len = 1; len <= kMaxLen; ++len) {
    for (unsigned i = 0; i < kCanon.count[len]; ++i) {
      const Code c = kCodes[kCanon.sorted[kCanon.offset[len] + i]];
      if (c.len != len || c.bits != kCanon.first[len] + i) return false;
    }
  }
  return true;
}
static_assert(canonical_matches_rfc(), "RFC 7541 Appendix B must be a canonical code");

// Decodes one code longer than kPeekBits from the top bits of `window`.
inline void decode_long(uint64_t window, unsigned& sym, unsigned& len) {
  for (len = kPeekBits + 1; len <= kMaxLen; ++len) {
    const uint32_t code = static_cast<uint32_t>(window >> (64 - len));
    const uint32_t rel = code - kCanon.first[len];
    if (code >= kCanon.first[len] && rel < kCanon.count[len]) {
      sym = kCanon.sorted[kCanon.offset[len] + rel];
      return;
    }
  }
  // Unreachable for a complete prefix code: every 30-bit window starts with some code.
  sym = kEos;
  len = kMaxLen;
}

}  // namespace

size_t huffman_encoded_size(std::string_view s) {
  size_t bits = 0;
  for (unsigned char ch : s) bits += kCodes[ch].len;
  return (bits + 7) / 8;
}

size_t huffman_encode(std::string_view s, uint8_t* out) {
  // Branch-free: after each symbol store the whole 64-bit window and advance past the complete
  // octets, keeping the 0..7 leftover bits at the top of the window.
  uint8_t* o = out;
  uint64_t acc = 0;  // left-aligned
  unsigned bits = 0;
  for (unsigned char ch : s) {
    const Code c = kCodes[ch];
    acc |= static_cast<uint64_t>(c.bits) << (64 - bits - c.len);
    bits += c.len;
    const uint64_t be = __builtin_bswap64(acc);
    std::memcpy(o, &be, 8);
    const unsigned whole = bits >> 3;
    o += whole;
    acc <<= whole * 8;
    bits &= 7;
  }
  if (bits > 0) {
    // RFC 7541 §5.2: pad with the most significant bits of EOS (all ones).
    *o++ = static_cast<uint8_t>((acc >> 56) | (0xffu >> bits));
  }
  return static_cast<size_t>(o - out);
}

size_t huffman_encode_if_shorter(std::string_view s, uint8_t* out) {
  uint8_t* o = out;
  uint8_t* const limit = out + s.size();  // reaching it means "not shorter"
  uint64_t acc = 0;                       // left-aligned
  unsigned bits = 0;                      // 0..7 between steps
  // Appends `len` bits, stores the window and moves past the complete octets.
  auto put = [&](uint64_t code, unsigned len) {
    acc |= code << (64 - bits - len);
    bits += len;
    const uint64_t be = __builtin_bswap64(acc);
    std::memcpy(o, &be, 8);
    const unsigned whole = bits >> 3;
    o += whole;
    acc <<= whole * 8;
    bits &= 7;
  };
  // Two symbols per step when their codes fit the window together (always, for text): the pair's
  // code does not depend on the accumulator, which halves the serial chain.
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const Code a = kCodes[static_cast<uint8_t>(s[i])];
    const Code b = kCodes[static_cast<uint8_t>(s[i + 1])];
    const unsigned len = a.len + b.len;
    if (len <= 56) {
      put((static_cast<uint64_t>(a.bits) << b.len) | b.bits, len);
    } else {
      put(a.bits, a.len);
      if (o >= limit) return 0;  // keeps the next store within the slack
      put(b.bits, b.len);
    }
    if (o >= limit) return 0;
  }
  if (i < n) {
    const Code a = kCodes[static_cast<uint8_t>(s[i])];
    put(a.bits, a.len);
    if (o >= limit) return 0;
  }
  if (bits > 0) *o++ = static_cast<uint8_t>((acc >> 56) | (0xffu >> bits));
  const size_t written = static_cast<size_t>(o - out);
  return written < n ? written : 0;
}

const char* huffman_decode(const uint8_t* in, size_t n, char* out, size_t& written) {
  const uint8_t* p = in;
  const uint8_t* const end = in + n;
  char* o = out;
  uint64_t acc = 0;  // pending bits, left-aligned
  unsigned bits = 0;
  // Bulk phase: refill whole octets into the 64-bit window, then decode while at least 30 bits
  // (the longest code) are pending, so no code can run past the real input.
  while (end - p >= 8) {
    const unsigned take = (63 - bits) >> 3;
    uint64_t word;
    std::memcpy(&word, p, 8);
    word = __builtin_bswap64(word);
    acc |= (word >> bits) & ~(~uint64_t{0} >> (bits + take * 8));
    p += take;
    bits += take * 8;
    do {
      const PeekEntry e = kPeek[acc >> (64 - kPeekBits)];
      if (e.len != 0) {
        // Both octets are written, the second counted only if real; the output bound leaves
        // room for the spare one.
        o[0] = static_cast<char>(e.sym[0]);
        o[1] = static_cast<char>(e.sym[1]);
        o += 1 + (e.len != e.len1);
        acc <<= e.len;
        bits -= e.len;
        continue;
      }
      unsigned sym, len;
      decode_long(acc, sym, len);
      if (sym == kEos) return kHuffmanEos;
      *o++ = static_cast<char>(sym);
      acc <<= len;
      bits -= len;
    } while (bits >= kMaxLen);
  }
  // Tail: past the end of input read ones. A legal padding never completes a code (EOS is 30
  // ones), so a code longer than the bits left marks the padding.
  for (;;) {
    while (bits <= 56 && p < end) {
      acc |= static_cast<uint64_t>(*p++) << (56 - bits);
      bits += 8;
    }
    if (bits == 0) break;
    // The usual end: up to 7 one bits, which no code matches (the shortest all-ones code is EOS).
    if (bits <= 7 && (acc >> (64 - bits)) == (1u << bits) - 1) break;
    const uint64_t window = bits >= 64 ? acc : acc | (~uint64_t{0} >> bits);
    const PeekEntry e = kPeek[window >> (64 - kPeekBits)];
    if (e.len != 0 && e.len <= bits) {
      o[0] = static_cast<char>(e.sym[0]);
      o[1] = static_cast<char>(e.sym[1]);
      o += 1 + (e.len != e.len1);
      acc <<= e.len;
      bits -= e.len;
      continue;
    }
    unsigned sym = e.sym[0];
    unsigned len = e.len1;
    if (len == 0) decode_long(window, sym, len);
    if (len > bits) {
      // RFC 7541 §5.2: padding longer than 7 bits, or not the EOS prefix, is a decoding error.
      if (bits > 7) return kHuffmanPaddingTooLong;
      if ((acc >> (64 - bits)) != (1u << bits) - 1) return kHuffmanPaddingNotEos;
      break;
    }
    if (sym == kEos) return kHuffmanEos;
    *o++ = static_cast<char>(sym);
    acc <<= len;
    bits -= len;
  }
  written = static_cast<size_t>(o - out);
  return nullptr;
}

}  // namespace crossmux::codecs::hpack
