// Helpers for the HPACK tests: hex, a tiny JSON reader for hpack-test-case, nghttp2 HPACK wrappers.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/base/error.h"
#include "codecs/hpack/decoder.h"
#include "codecs/hpack/field.h"

namespace crossmux::codecs {
// Readable gtest failures for Error values.
inline void PrintTo(const Error& e, std::ostream* os) {
  *os << to_string(e);
}
}  // namespace crossmux::codecs

namespace crossmux::codecs::hpack::testing {

inline std::vector<uint8_t> unhex(std::string_view hex) {
  std::vector<uint8_t> out;
  std::string digits;
  for (char c : hex) {
    if (c != ' ') digits.push_back(c);
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::string hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

// An owned header list, convertible to Field views.
using Headers = std::vector<std::pair<std::string, std::string>>;

// A decoded block's fields as owned pairs.
inline Headers to_headers(const DecodedBlock& b) {
  Headers out;
  for (const Field& f : b.fields()) out.emplace_back(std::string(f.name), std::string(f.value));
  return out;
}

inline std::vector<Field> as_fields(const Headers& h) {
  std::vector<Field> out;
  for (const auto& [n, v] : h) out.push_back(Field{n, v, false});
  return out;
}

// A JSON value: enough of JSON for the hpack-test-case stories.
struct Json {
  enum class Kind : uint8_t { Null, Number, String, Array, Object };
  Kind kind = Kind::Null;
  double number = 0;
  std::string string;
  std::vector<Json> items;                           // Array
  std::vector<std::pair<std::string, Json>> fields;  // Object, in document order

  const Json* get(std::string_view key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

// Recursive-descent reader; returns false on malformed input.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}
  bool parse(Json& out) {
    if (!value(out)) return false;
    skip();
    return i_ == s_.size();
  }

 private:
  void skip() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) {
      ++i_;
    }
  }
  bool value(Json& out) {
    skip();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') return object(out);
    if (c == '[') return array(out);
    if (c == '"') {
      out.kind = Json::Kind::String;
      return string(out.string);
    }
    if (s_.substr(i_, 4) == "null" || s_.substr(i_, 4) == "true") {
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "false") {
      i_ += 5;
      return true;
    }
    const char* begin = s_.data() + i_;
    char* end = nullptr;
    out.kind = Json::Kind::Number;
    out.number = std::strtod(begin, &end);
    if (end == begin) return false;
    i_ += static_cast<size_t>(end - begin);
    return true;
  }
  bool object(Json& out) {
    out.kind = Json::Kind::Object;
    ++i_;
    skip();
    if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
    for (;;) {
      skip();
      std::string key;
      if (i_ >= s_.size() || s_[i_] != '"' || !string(key)) return false;
      skip();
      if (i_ >= s_.size() || s_[i_++] != ':') return false;
      Json v;
      if (!value(v)) return false;
      out.fields.emplace_back(std::move(key), std::move(v));
      skip();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      return s_[i_++] == '}';
    }
  }
  bool array(Json& out) {
    out.kind = Json::Kind::Array;
    ++i_;
    skip();
    if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
    for (;;) {
      Json v;
      if (!value(v)) return false;
      out.items.push_back(std::move(v));
      skip();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      return s_[i_++] == ']';
    }
  }
  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xc0 | cp >> 6));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xe0 | cp >> 12));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  bool string(std::string& out) {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u':
          if (i_ + 4 > s_.size()) return false;
          utf8(out, static_cast<uint32_t>(std::stoul(std::string(s_.substr(i_, 4)), nullptr, 16)));
          i_ += 4;
          break;
        default:
          out.push_back(e);
          break;
      }
    }
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
};

// nghttp2's inflater as an oracle: decodes one complete block; false on error.
class NgInflater {
 public:
  NgInflater() { nghttp2_hd_inflate_new(&p_); }
  ~NgInflater() { nghttp2_hd_inflate_del(p_); }
  NgInflater(const NgInflater&) = delete;
  NgInflater& operator=(const NgInflater&) = delete;

  bool change_table_size(size_t size) {
    return nghttp2_hd_inflate_change_table_size(p_, size) == 0;
  }

  bool inflate(const std::vector<uint8_t>& block, Headers& out) {
    out.clear();
    const uint8_t* in = block.data();
    size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      const ssize_t rv = nghttp2_hd_inflate_hd2(p_, &nv, &flags, in, left, 1);
      if (rv < 0) return false;
      in += rv;
      left -= static_cast<size_t>(rv);
      if (flags & NGHTTP2_HD_INFLATE_EMIT) {
        out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                         std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
      }
      if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
      if (rv == 0 && left == 0) break;
    }
    nghttp2_hd_inflate_end_headers(p_);
    return true;
  }

 private:
  nghttp2_hd_inflater* p_ = nullptr;
};

// nghttp2's deflater as an oracle encoder.
class NgDeflater {
 public:
  explicit NgDeflater(size_t table_size = 4096) { nghttp2_hd_deflate_new(&p_, table_size); }
  ~NgDeflater() { nghttp2_hd_deflate_del(p_); }
  NgDeflater(const NgDeflater&) = delete;
  NgDeflater& operator=(const NgDeflater&) = delete;

  bool change_table_size(size_t size) {
    return nghttp2_hd_deflate_change_table_size(p_, size) == 0;
  }

  std::vector<uint8_t> deflate(const Headers& h) {
    std::vector<nghttp2_nv> nva;
    for (const auto& [n, v] : h) {
      nva.push_back(nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                               reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(),
                               v.size(), NGHTTP2_NV_FLAG_NONE});
    }
    std::vector<uint8_t> out(nghttp2_hd_deflate_bound(p_, nva.data(), nva.size()));
    const ssize_t n = nghttp2_hd_deflate_hd(p_, out.data(), out.size(), nva.data(), nva.size());
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
  }

 private:
  nghttp2_hd_deflater* p_ = nullptr;
};

}  // namespace crossmux::codecs::hpack::testing
