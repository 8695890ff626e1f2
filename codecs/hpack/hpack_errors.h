// Named detail strings of every HPACK error, so tests compare identity and logs are greppable.
#pragma once

namespace crossmux::codecs::hpack {

// Decoding errors (RFC 7541 §2.3.3, §4.2, §5.1, §5.2, §6). Each is reported as
// Error{Scope::Connection, H2Code::CompressionError, detail} (RFC 9113 §4.3).
inline constexpr const char kIntegerOverflow[] = "hpack: integer exceeds 2^32-1";
inline constexpr const char kIntegerTooLong[] =
    "hpack: integer encoding longer than any legal value";
inline constexpr const char kTruncated[] = "hpack: header block ends inside a representation";
inline constexpr const char kStringBeyondBlock[] = "hpack: string length exceeds the header block";
inline constexpr const char kHuffmanPaddingTooLong[] = "hpack: huffman padding longer than 7 bits";
inline constexpr const char kHuffmanPaddingNotEos[] = "hpack: huffman padding is not an EOS prefix";
inline constexpr const char kHuffmanEos[] = "hpack: huffman string contains EOS";
inline constexpr const char kIndexZero[] = "hpack: index 0";
inline constexpr const char kIndexOutOfRange[] = "hpack: index beyond static and dynamic table";
inline constexpr const char kSizeUpdateNotAtStart[] =
    "hpack: dynamic table size update after a field representation";
inline constexpr const char kSizeUpdateTooLarge[] =
    "hpack: dynamic table size update above SETTINGS_HEADER_TABLE_SIZE";
inline constexpr const char kSizeUpdateMissing[] =
    "hpack: header block does not start with the required dynamic table size update";
inline constexpr const char kContextFailed[] = "hpack: decoder used after an earlier fatal error";

// Decoder limits (not RFC 7541 errors). DecodedBlock::limit_detail() names the crossed limit; with
// LimitAction::Fail the decoder returns Error{Scope::Connection, H2Code::EnhanceYourCalm, detail}.
inline constexpr const char kHeaderListTooLarge[] =
    "hpack: decoded header list exceeds its size limit";
inline constexpr const char kTooManyFields[] = "hpack: header block exceeds the field count limit";
inline constexpr const char kFieldTooLarge[] = "hpack: header field exceeds the field size limit";

}  // namespace crossmux::codecs::hpack
