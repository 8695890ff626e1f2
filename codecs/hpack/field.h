// Field: one HPACK header field as views, the unit both the encoder and the decoder work on.
#pragma once

#include <string_view>

namespace crossmux::codecs::hpack {

// A header field. On encode, `sensitive` forces a never-indexed literal (RFC 7541 §7.1.3); on
// decode it reports that the peer used the never-indexed representation (§6.2.3), which an
// intermediary must preserve when it re-encodes the field. `unique` (encode only): a value no
// later message will repeat (a request id), sent as a literal without indexing (§6.2.2) so it
// does not push reusable entries out of the dynamic table; never set by the decoder.
struct Field {
  std::string_view name;
  std::string_view value;
  bool sensitive = false;
  bool unique = false;

  bool operator==(const Field&) const = default;
};

// RFC 7541 §4.1: an entry costs its name and value octets plus 32.
inline constexpr size_t kEntryOverhead = 32;
inline constexpr size_t entry_size(std::string_view name, std::string_view value) {
  return name.size() + value.size() + kEntryOverhead;
}

}  // namespace crossmux::codecs::hpack
