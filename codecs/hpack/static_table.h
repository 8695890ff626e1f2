// The HPACK static table (RFC 7541 Appendix A) and its lookups by name and by name + value.
#pragma once

#include <cstdint>
#include <string_view>

namespace crossmux::codecs::hpack {

inline constexpr uint32_t kStaticTableSize = 61;

struct StaticEntry {
  std::string_view name;
  std::string_view value;
};

// Entry for HPACK index 1..61 (kStaticEntries[0] is unused padding so indexes map directly).
// clang-format off
inline constexpr StaticEntry kStaticEntries[kStaticTableSize + 1] = {
    {"", ""},
    {":authority", ""}, {":method", "GET"}, {":method", "POST"}, {":path", "/"},
    {":path", "/index.html"}, {":scheme", "http"}, {":scheme", "https"}, {":status", "200"},
    {":status", "204"}, {":status", "206"}, {":status", "304"}, {":status", "400"},
    {":status", "404"}, {":status", "500"}, {"accept-charset", ""},
    {"accept-encoding", "gzip, deflate"}, {"accept-language", ""}, {"accept-ranges", ""},
    {"accept", ""}, {"access-control-allow-origin", ""}, {"age", ""}, {"allow", ""},
    {"authorization", ""}, {"cache-control", ""}, {"content-disposition", ""},
    {"content-encoding", ""}, {"content-language", ""}, {"content-length", ""},
    {"content-location", ""}, {"content-range", ""}, {"content-type", ""}, {"cookie", ""},
    {"date", ""}, {"etag", ""}, {"expect", ""}, {"expires", ""}, {"from", ""}, {"host", ""},
    {"if-match", ""}, {"if-modified-since", ""}, {"if-none-match", ""}, {"if-range", ""},
    {"if-unmodified-since", ""}, {"last-modified", ""}, {"link", ""}, {"location", ""},
    {"max-forwards", ""}, {"proxy-authenticate", ""}, {"proxy-authorization", ""},
    {"range", ""}, {"referer", ""}, {"refresh", ""}, {"retry-after", ""}, {"server", ""},
    {"set-cookie", ""}, {"strict-transport-security", ""}, {"transfer-encoding", ""},
    {"user-agent", ""}, {"vary", ""}, {"via", ""}, {"www-authenticate", ""},
};
// clang-format on

// Lowest static index whose name is `name`, or 0. `name_hash` is hash_string(name).
uint32_t static_find_name(std::string_view name, uint32_t name_hash);

// Static index whose name and value both match, or 0. `pair_hash` is
// hash_pair(hash_string(name), value).
// True when some static entry named like entry `name_index` (as static_find_name returns it)
// carries a value (:method, :path, :scheme, :status, accept-encoding), i.e. when a non-empty value
// can match exactly.
inline constexpr uint64_t kStaticValuedNames = [] {
  uint64_t mask = 0;
  for (uint32_t i = 1; i <= kStaticTableSize; ++i) {
    for (uint32_t j = i; j <= kStaticTableSize && kStaticEntries[j].name == kStaticEntries[i].name;
         ++j) {
      if (!kStaticEntries[j].value.empty()) mask |= uint64_t{1} << i;
    }
  }
  return mask;
}();
inline bool static_has_values(uint32_t name_index) {
  return (kStaticValuedNames >> name_index) & 1;
}

uint32_t static_find_pair(std::string_view name, std::string_view value, uint32_t pair_hash);

}  // namespace crossmux::codecs::hpack
