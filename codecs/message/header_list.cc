// HeaderList lookups and copies.
#include "codecs/message/header_list.h"

#include "codecs/base/swar.h"

namespace crossmux::codecs {

bool iequals(std::string_view a, std::string_view b) {
  return swar::iequals(a, b);
}

std::string_view HeaderList::own_lowercase(std::string_view s) {
  if (s.empty()) return {};
  char* p = arena_.allocate(s.size());
  for (size_t i = 0; i < s.size(); ++i) p[i] = swar::ascii_lower(s[i]);
  return {p, s.size()};
}

HeaderList HeaderList::clone() const {
  HeaderList out;
  out.fields_.reserve(fields_.size());
  for (const auto& f : fields_) out.add_copy(f);
  return out;
}

const HeaderField* HeaderList::find(std::string_view name) const {
  for (const auto& f : fields_) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

size_t HeaderList::count(std::string_view name) const {
  size_t n = 0;
  for (const auto& f : fields_) n += iequals(f.name, name) ? 1 : 0;
  return n;
}

size_t HeaderList::remove(std::string_view name) {
  return remove_if([name](const HeaderField& f) { return iequals(f.name, name); });
}

size_t HeaderList::hpack_size() const {
  size_t total = 0;
  for (const auto& f : fields_) total += f.name.size() + f.value.size() + 32;
  return total;
}

}  // namespace crossmux::codecs
