// HeaderList: the IR's ordered field list; names keep their original case; views or owned bytes.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "codecs/message/string_arena.h"

namespace crossmux::codecs {

struct HeaderField {
  std::string_view name;  // original case as received (H1) or lowercase (H2)
  std::string_view value;
  bool sensitive = false;  // HPACK never-indexed (RFC 7541 §6.2.3) or marked by the caller
  // The value is unique to this message (a request id the proxy generated): HTTP/2 sends it
  // without indexing (hpack::Field::unique). Not a property of the wire: decoders leave it false.
  bool unique = false;
};

// ASCII case-insensitive equality (field names, RFC 9110 §5.1).
bool iequals(std::string_view a, std::string_view b);

// Ordered list of fields. add_view() stores views the caller keeps alive (zero-copy from a pooled
// buffer); add_copy() copies into the list's own arena. Order and duplicates are preserved.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(HeaderList&&) noexcept = default;
  HeaderList& operator=(HeaderList&&) noexcept = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  void add_view(std::string_view name, std::string_view value, bool sensitive = false) {
    fields_.push_back(HeaderField{name, value, sensitive});
  }
  void add_copy(std::string_view name, std::string_view value, bool sensitive = false) {
    fields_.push_back(HeaderField{arena_.copy(name), arena_.copy(value), sensitive});
  }
  // A copy of `f` (its strings into this list's arena, its flags as they are).
  void add_copy(const HeaderField& f) {
    fields_.push_back(
        HeaderField{arena_.copy(f.name), arena_.copy(f.value), f.sensitive, f.unique});
  }
  // Copies bytes into this list's arena without adding a field (for joined values).
  std::string_view own(std::string_view s) { return arena_.copy(s); }
  // The same with ASCII A-Z lowercased on the way (field names for HTTP/2).
  std::string_view own_lowercase(std::string_view s);
  // Sizes the arena's first block for `n` bytes about to be owned (see StringArena::reserve).
  void reserve_arena(size_t n) { arena_.reserve(n); }
  // Room for `n` fields without growing the list.
  void reserve(size_t n) { fields_.reserve(n); }

  // A deep copy whose views all point into the copy's own arena.
  HeaderList clone() const;

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const HeaderField& operator[](size_t i) const { return fields_[i]; }
  HeaderField& operator[](size_t i) { return fields_[i]; }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  auto begin() { return fields_.begin(); }
  auto end() { return fields_.end(); }

  // First field whose name equals `name` case-insensitively, or nullptr.
  const HeaderField* find(std::string_view name) const;
  size_t count(std::string_view name) const;
  // Removes every field whose name equals `name` case-insensitively; returns how many.
  size_t remove(std::string_view name);
  template <class Pred>
  size_t remove_if(Pred pred) {
    size_t before = fields_.size();
    std::erase_if(fields_, pred);
    return before - fields_.size();
  }

  // RFC 7541 §4.1 size: sum of name + value + 32 per field.
  size_t hpack_size() const;
  size_t bytes_copied() const { return arena_.bytes_copied(); }
  // Bytes the arena holds in its chunks (what its allocations cost, used or not).
  size_t bytes_reserved() const { return arena_.bytes_reserved(); }
  void clear() {
    fields_.clear();
    arena_.clear();
  }

 private:
  std::vector<HeaderField> fields_;
  StringArena arena_{512};
};

}  // namespace crossmux::codecs
