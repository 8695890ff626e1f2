// What crossmux knows about field names, in one table (h2o's token table is the model): which
// fields are hop-by-hop, frame a message, are forbidden in HTTP/2 or in trailers, which the
// HTTP/1.1 decoder reads, how the HPACK encoder treats them, and their HPACK static-table index.
// Every codec and the translation rules ask this table; none keeps its own list of names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace crossmux::codecs {

// Properties of a known field name (bit set).
enum FieldProperty : uint16_t {
  kFieldNone = 0,
  // An HTTP/2 pseudo-header (RFC 9113 §8.3).
  kFieldPseudo = 1u << 0,
  // RFC 9110 §7.6.1: meaningful for one connection only; a proxy never forwards it (te survives
  // towards HTTP/2 when its value is exactly "trailers", RFC 9113 §8.2.2).
  kFieldHopByHop = 1u << 1,
  // RFC 9113 §8.2.2: an HTTP/2 message carrying it is malformed (te is judged by its value).
  kFieldConnectionSpecific = 1u << 2,
  // Decides where a message body ends (RFC 9112 §6): the decoders derive framing from it, the
  // encoders write their own.
  kFieldFraming = 1u << 3,
  // Decides where a request goes (RFC 9110 §7.2): the encoders write their own from the authority.
  kFieldRouting = 1u << 4,
  // RFC 9110 §6.5.1: refused in a trailer section (framing, routing and connection fields).
  kFieldNotInTrailers = 1u << 5,
  // The HTTP/1.1 decoder reads its value (h1::FieldFacts).
  kFieldH1Interpreted = 1u << 6,
  // HPACK: values rarely repeat, so the encoder sends literals without indexing (RFC 7541 §6.2.2)
  // rather than churn the dynamic table.
  kFieldHpackUnique = 1u << 7,
  // HPACK: credentials, always a never-indexed literal (RFC 7541 §7.1.3).
  kFieldHpackNeverIndex = 1u << 8,
  // HPACK: never indexed while the value is short enough to guess (cookie, under 20 octets).
  kFieldHpackNeverIndexShort = 1u << 9,
  // RFC 9113 §8.2.2: in HTTP/2 only the value "trailers" is allowed (te).
  kFieldTrailersValueOnly = 1u << 10,
};

// Known names, in table order. Unknown (0) is every other name.
enum class FieldId : uint8_t {
  Unknown = 0,
  // Pseudo-headers.
  Authority,
  Method,
  Path,
  Scheme,
  Status,
  Protocol,
  // Regular fields of the HPACK static table (RFC 7541 Appendix A), in its order.
  AcceptCharset,
  AcceptEncoding,
  AcceptLanguage,
  AcceptRanges,
  Accept,
  AccessControlAllowOrigin,
  Age,
  Allow,
  Authorization,
  CacheControl,
  ContentDisposition,
  ContentEncoding,
  ContentLanguage,
  ContentLength,
  ContentLocation,
  ContentRange,
  ContentType,
  Cookie,
  Date,
  Etag,
  Expect,
  Expires,
  From,
  Host,
  IfMatch,
  IfModifiedSince,
  IfNoneMatch,
  IfRange,
  IfUnmodifiedSince,
  LastModified,
  Link,
  Location,
  MaxForwards,
  ProxyAuthenticate,
  ProxyAuthorization,
  Range,
  Referer,
  Refresh,
  RetryAfter,
  Server,
  SetCookie,
  StrictTransportSecurity,
  TransferEncoding,
  UserAgent,
  Vary,
  Via,
  WwwAuthenticate,
  // Connection-management fields outside the static table.
  Connection,
  KeepAlive,
  ProxyConnection,
  Te,
  Upgrade,
  Http2Settings,
  Count,
};

struct FieldInfo {
  std::string_view name;  // lowercase
  uint16_t properties;
  uint8_t hpack_index;  // lowest RFC 7541 Appendix A index with this name, 0 when none
};

namespace field_detail {
inline constexpr uint16_t kConnField =
    kFieldHopByHop | kFieldConnectionSpecific | kFieldNotInTrailers;
}  // namespace field_detail

// Indexed by FieldId. codecs/hpack checks hpack_index against its static table at compile time.
// clang-format off
inline constexpr std::array<FieldInfo, static_cast<size_t>(FieldId::Count)> kFieldTable = {{
    {"", kFieldNone, 0},
    {":authority", kFieldPseudo | kFieldRouting, 1},
    {":method", kFieldPseudo, 2},
    {":path", kFieldPseudo | kFieldHpackUnique, 4},
    {":scheme", kFieldPseudo, 6},
    {":status", kFieldPseudo, 8},
    {":protocol", kFieldPseudo, 0},
    {"accept-charset", kFieldNone, 15},
    {"accept-encoding", kFieldNone, 16},
    {"accept-language", kFieldNone, 17},
    {"accept-ranges", kFieldNone, 18},
    {"accept", kFieldNone, 19},
    {"access-control-allow-origin", kFieldNone, 20},
    {"age", kFieldHpackUnique, 21},
    {"allow", kFieldNone, 22},
    {"authorization", kFieldHpackNeverIndex, 23},
    {"cache-control", kFieldNone, 24},
    {"content-disposition", kFieldNone, 25},
    {"content-encoding", kFieldNone, 26},
    {"content-language", kFieldNone, 27},
    {"content-length",
     kFieldFraming | kFieldNotInTrailers | kFieldH1Interpreted | kFieldHpackUnique, 28},
    {"content-location", kFieldNone, 29},
    {"content-range", kFieldNone, 30},
    {"content-type", kFieldNone, 31},
    {"cookie", kFieldHpackNeverIndexShort, 32},
    {"date", kFieldNone, 33},
    {"etag", kFieldHpackUnique, 34},
    {"expect", kFieldH1Interpreted, 35},
    {"expires", kFieldNone, 36},
    {"from", kFieldNone, 37},
    {"host", kFieldRouting | kFieldNotInTrailers | kFieldH1Interpreted, 38},
    {"if-match", kFieldNone, 39},
    {"if-modified-since", kFieldHpackUnique, 40},
    {"if-none-match", kFieldHpackUnique, 41},
    {"if-range", kFieldNone, 42},
    {"if-unmodified-since", kFieldNone, 43},
    {"last-modified", kFieldNone, 44},
    {"link", kFieldNone, 45},
    {"location", kFieldHpackUnique, 46},
    {"max-forwards", kFieldNone, 47},
    {"proxy-authenticate", kFieldNone, 48},
    {"proxy-authorization", kFieldHpackNeverIndex, 49},
    {"range", kFieldNone, 50},
    {"referer", kFieldNone, 51},
    {"refresh", kFieldNone, 52},
    {"retry-after", kFieldNone, 53},
    {"server", kFieldNone, 54},
    {"set-cookie", kFieldHpackUnique, 55},
    {"strict-transport-security", kFieldNone, 56},
    {"transfer-encoding", field_detail::kConnField | kFieldFraming | kFieldH1Interpreted, 57},
    {"user-agent", kFieldNone, 58},
    {"vary", kFieldNone, 59},
    {"via", kFieldNone, 60},
    {"www-authenticate", kFieldNone, 61},
    {"connection", field_detail::kConnField | kFieldH1Interpreted, 0},
    {"keep-alive", field_detail::kConnField, 0},
    {"proxy-connection", field_detail::kConnField, 0},
    {"te", kFieldHopByHop | kFieldNotInTrailers | kFieldTrailersValueOnly, 0},
    {"upgrade", field_detail::kConnField | kFieldH1Interpreted, 0},
    {"http2-settings", kFieldHopByHop | kFieldNotInTrailers, 0},
}};
// clang-format on

constexpr const FieldInfo& field_info(FieldId id) {
  return kFieldTable[static_cast<size_t>(id)];
}

namespace field_detail {

// ASCII lowercase of one octet; every other octet is unchanged (so no control byte can fold onto
// a letter, digit or '-').
constexpr uint8_t fold(uint8_t c) {
  return static_cast<uint8_t>(c + ((static_cast<uint8_t>(c - 'A') < 26u) ? 32 : 0));
}

constexpr uint64_t load_le64(const char* p) {
  if (!std::is_constant_evaluated()) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;  // the targets we build for are little-endian
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// Case-insensitive hash of a non-empty name from its length and its first and last octets,
// folded. The multipliers put every name of the table in a slot of its own (checked below), so a
// lookup looks at one slot; a name added later may need new ones, or costs a probe.
constexpr uint32_t hash(const char* p, size_t len) {
  const uint32_t h = static_cast<uint32_t>(len) * 15u + fold(static_cast<uint8_t>(p[0])) * 67u +
                     fold(static_cast<uint8_t>(p[len - 1])) * 11u;
  return h ^ (h >> 8);
}

inline constexpr size_t kSlots = 256;         // power of two, four times the names
inline constexpr size_t kMaxNameLength = 27;  // access-control-allow-origin
inline constexpr size_t kWords = 4;           // 8-octet words covering the longest name

constexpr uint32_t load_le32(const char* p) {
  if (!std::is_constant_evaluated()) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// A name as words for a branch-light comparison: names of 8 octets or more as 8-octet words
// (word i holds octets [8i, 8i+8), the last word the final 8 octets, overlapping the previous
// one), names of 4 to 7 octets as their first and last 4 octets. `fold` ORs 0x20 into the octets
// that are letters, which lowercases exactly the uppercase letters there and nothing else.
struct Words {
  std::array<uint64_t, kWords> word{};
  std::array<uint64_t, kWords> fold{};
  uint8_t count = 0;  // 8-octet words to compare; 0 for names under 8 octets
};

constexpr Words make_words(std::string_view n) {
  Words w;
  auto put = [&](size_t slot, size_t at, size_t width) {
    for (size_t j = 0; j < width; ++j) {
      const auto c = static_cast<uint8_t>(n[at + j]);
      w.word[slot] |= static_cast<uint64_t>(c) << (8 * j);
      if (c >= 'a' && c <= 'z') w.fold[slot] |= uint64_t{0x20} << (8 * j);
    }
  };
  if (n.size() < 4) return w;
  if (n.size() < 8) {
    put(0, 0, 4);
    put(1, n.size() - 4, 4);
    return w;
  }
  const size_t full = n.size() / 8;
  w.count = static_cast<uint8_t>(full + (n.size() % 8 != 0));
  for (size_t i = 0; i < w.count; ++i) put(i, i < full ? 8 * i : n.size() - 8, 8);
  return w;
}

struct Index {
  std::array<uint8_t, kSlots> slot{};  // FieldId, 0 = empty
  std::array<uint8_t, kSlots> length{};
  std::array<Words, static_cast<size_t>(FieldId::Count)> words{};
  size_t longest_probe = 0;
};

constexpr Index make_index() {
  Index ix{};
  for (size_t id = 1; id < kFieldTable.size(); ++id) {
    const std::string_view name = kFieldTable[id].name;
    ix.words[id] = make_words(name);
    size_t s = hash(name.data(), name.size()) & (kSlots - 1);
    size_t probe = 1;
    while (ix.slot[s] != 0) {
      s = (s + 1) & (kSlots - 1);
      ++probe;
    }
    ix.slot[s] = static_cast<uint8_t>(id);
    ix.length[s] = static_cast<uint8_t>(name.size());
    if (probe > ix.longest_probe) ix.longest_probe = probe;
  }
  return ix;
}
inline constexpr Index kIndex = make_index();
static_assert(kIndex.longest_probe <= 2, "field_table: names collide; pick other multipliers");

// `s` (as long as known entry `id`) equals that entry ignoring ASCII case.
constexpr bool equal_folded(size_t id, const char* s, size_t n) {
  const Words& w = kIndex.words[id];
  if (n >= 8) {
    const size_t full = n / 8;
    for (size_t i = 0; i < w.count; ++i) {
      const uint64_t got = load_le64(s + (i < full ? 8 * i : n - 8));
      if ((got | w.fold[i]) != w.word[i]) return false;
    }
    return true;
  }
  if (n >= 4) {
    return ((load_le32(s) | w.fold[0]) == w.word[0]) &
           ((load_le32(s + n - 4) | w.fold[1]) == w.word[1]);
  }
  const std::string_view lower = kFieldTable[id].name;
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<uint8_t>(lower[i]) != fold(static_cast<uint8_t>(s[i]))) return false;
  }
  return true;
}

}  // namespace field_detail

// The known field named `name`, matched case-insensitively (RFC 9110 §5.1), or Unknown.
constexpr FieldId find_field(std::string_view name) {
  using namespace field_detail;
  const size_t n = name.size();
  if (n == 0 || n > kMaxNameLength) return FieldId::Unknown;
  size_t s = hash(name.data(), n) & (kSlots - 1);
  // No name sits further than longest_probe slots from its hash: a miss stops there.
  for (size_t k = 0; k < kIndex.longest_probe; ++k, s = (s + 1) & (kSlots - 1)) {
    const uint8_t id = kIndex.slot[s];
    if (id == 0) return FieldId::Unknown;
    if (kIndex.length[s] == n && equal_folded(id, name.data(), n)) return static_cast<FieldId>(id);
  }
  return FieldId::Unknown;
}

// The properties of `name` (kFieldNone for unknown names).
constexpr uint16_t field_properties(std::string_view name) {
  return field_info(find_field(name)).properties;
}

namespace field_detail {

// Per length, the (at most two) names with a property in `mask`, with their first word (8 octets,
// or 4 for names under 8) to reject other names with one comparison; lengths with more names fall
// back to find_field (marked kCrowded).
inline constexpr uint8_t kCrowded = 0xff;
struct Candidate {
  uint8_t id = 0;
  uint64_t head = 0;  // Words::word[0]
  uint64_t head_fold = 0;
};
struct ByLength {
  std::array<std::array<Candidate, 2>, 32> at{};
};
constexpr ByLength by_length(uint16_t mask) {
  ByLength b{};
  for (size_t id = 1; id < kFieldTable.size(); ++id) {
    if ((kFieldTable[id].properties & mask) == 0) continue;
    auto& at = b.at[kFieldTable[id].name.size()];
    const Candidate c{static_cast<uint8_t>(id), kIndex.words[id].word[0], kIndex.words[id].fold[0]};
    if (at[0].id == 0) {
      at[0] = c;
    } else if (at[1].id == 0) {
      at[1] = c;
    } else {
      at[0].id = kCrowded;
    }
  }
  return b;
}

template <uint16_t kMask>
inline constexpr ByLength kByLength = by_length(kMask);

constexpr bool head_matches(const Candidate& c, const char* s, size_t n) {
  if (n >= 8) return (load_le64(s) | c.head_fold) == c.head;
  if (n >= 4) return (load_le32(s) | c.head_fold) == c.head;
  return true;  // short names: equal_folded compares octets
}

}  // namespace field_detail

// The known field named `name` (any case) when it has one of the properties in `kMask`, else
// Unknown. For per-field hot paths: most names cost a table load by length, the rest one or two
// word comparisons.
template <uint16_t kMask>
constexpr FieldId find_field_with(std::string_view name) {
  using namespace field_detail;
  const size_t n = name.size();
  if (n >= 32) return FieldId::Unknown;
  const auto& at = kByLength<kMask>.at[n];
  if (at[0].id == 0) return FieldId::Unknown;
  if (at[0].id == kCrowded) {
    const FieldId id = find_field(name);
    return (field_info(id).properties & kMask) ? id : FieldId::Unknown;
  }
  for (const Candidate& c : at) {
    if (c.id != 0 && head_matches(c, name.data(), n) && equal_folded(c.id, name.data(), n)) {
      return static_cast<FieldId>(c.id);
    }
  }
  return FieldId::Unknown;
}

}  // namespace crossmux::codecs
