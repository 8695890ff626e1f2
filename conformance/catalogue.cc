// Section building and spec-id selection.
#include "conformance/catalogue.h"

namespace crossmux::conformance {

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::Pass:
      return "pass";
    case Verdict::Fail:
      return "fail";
    case Verdict::Skip:
      return "skip";
  }
  return "?";
}

Section& Section::child(std::string child_number, std::string child_title) {
  std::string group = id.substr(0, id.find('/'));
  Section s;
  s.id = group + "/" + child_number;
  s.number = std::move(child_number);
  s.title = std::move(child_title);
  children.push_back(std::move(s));
  return children.back();
}

Case& Section::add(std::string title, std::string requirement, std::function<Outcome()> run,
                   bool strict) {
  cases.push_back(Case{std::move(title), std::move(requirement), strict, std::move(run)});
  return cases.back();
}

bool selects(std::string_view spec, std::string_view id) {
  while (!spec.empty() && spec.back() == '/') spec.remove_suffix(1);
  if (spec.empty()) return true;
  if (!id.starts_with(spec)) return false;
  if (id.size() == spec.size()) return true;
  // "http2/6.5" selects "http2/6.5/1" and "http2/6.5.2" but not "http2/6.50".
  char next = id[spec.size()];
  return next == '/' || next == '.';
}

bool selected(const std::vector<std::string>& specs, std::string_view id) {
  if (specs.empty()) return true;
  for (const auto& s : specs) {
    if (selects(s, id)) return true;
  }
  return false;
}

}  // namespace crossmux::conformance
