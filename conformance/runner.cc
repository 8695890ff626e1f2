// h2spec-style execution and reporting.
#include "conformance/runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>

namespace crossmux::conformance {
namespace {

constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kCyan = "\033[36m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kGrey = "\033[90m";
constexpr const char* kReset = "\033[0m";

class Printer {
 public:
  Printer(std::ostream& out, bool color) : out_(out), color_(color) {}
  std::string paint(const char* c, const std::string& s) const {
    return color_ ? std::string(c) + s + kReset : s;
  }
  std::ostream& out() { return out_; }

 private:
  std::ostream& out_;
  bool color_;
};

bool has_selected(const Section& s, const RunOptions& o) {
  for (size_t i = 0; i < s.cases.size(); ++i) {
    if (s.cases[i].strict && !o.strict) continue;
    if (selected(o.specs, s.id + "/" + std::to_string(i + 1))) return true;
  }
  for (const auto& c : s.children) {
    if (has_selected(c, o)) return true;
  }
  return false;
}

std::string heading(const Section& s) {
  return s.number.empty() ? s.title : s.number + ". " + s.title;
}

void print_details(Printer& p, const std::string& indent, const CaseResult& r) {
  if (!r.requirement.empty()) p.out() << indent << "  -> " << r.requirement << "\n";
  if (!r.outcome.error.empty() && r.outcome.expected.empty()) {
    p.out() << indent << "     " << p.paint(kRed, "Error: " + r.outcome.error) << "\n";
    return;
  }
  for (size_t i = 0; i < r.outcome.expected.size(); ++i) {
    std::string prefix = i == 0 ? "Expected: " : "          ";
    p.out() << indent << "     " << p.paint(kYellow, prefix + r.outcome.expected[i]) << "\n";
  }
  p.out() << indent << "     " << p.paint(kGreen, "  Actual: " + r.outcome.actual) << "\n";
}

struct Walker {
  const RunOptions& options;
  Printer& printer;
  RunSummary& summary;
  std::string part;  // of the root being walked

  void section(const Section& s, int depth) {
    if (summary.aborted || !has_selected(s, options)) return;
    std::string indent(static_cast<size_t>(depth) * 2, ' ');
    printer.out() << indent << heading(s) << "\n";
    bool ran = false;
    for (size_t i = 0; i < s.cases.size() && !summary.aborted; ++i) {
      const Case& c = s.cases[i];
      std::string id = s.id + "/" + std::to_string(i + 1);
      if ((c.strict && !options.strict) || !selected(options.specs, id)) continue;
      ran = true;
      run_case(s, c, id, i + 1, indent + "  ");
    }
    if (ran) printer.out() << "\n";
    for (const auto& child : s.children) section(child, depth + 1);
  }

  void run_case(const Section& s, const Case& c, const std::string& id, size_t n,
                const std::string& indent) {
    std::string label = std::to_string(n) + ": " + c.title;
    if (options.dry_run) {
      printer.out() << indent << label << "\n";
      return;
    }
    if (options.progress) printer.out() << indent << printer.paint(kGrey, label) << std::flush;
    auto start = std::chrono::steady_clock::now();
    CaseResult r{id, s.id, heading(s), part, c.title, c.requirement, c.run(), 0};
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.progress) printer.out() << "\r\033[K";  // clear the progress line
    ++summary.tests;
    switch (r.outcome.verdict) {
      case Verdict::Pass:
        ++summary.passed;
        printer.out() << indent << printer.paint(kGreen, "✔ ") << printer.paint(kGrey, label)
                      << (r.outcome.note.empty()
                              ? ""
                              : printer.paint(kGrey, " (" + r.outcome.note + ")"))
                      << "\n";
        break;
      case Verdict::Skip:
        ++summary.skipped;
        printer.out() << indent
                      << printer.paint(kCyan, label + " (skipped: " + r.outcome.error + ")")
                      << "\n";
        break;
      case Verdict::Fail:
        ++summary.failed;
        printer.out() << indent << printer.paint(kRed, "× " + label) << "\n";
        print_details(printer, indent, r);
        break;
    }
    summary.aborted = r.outcome.abort_run;
    summary.results.push_back(std::move(r));
  }
};

std::string xml_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t') {
          out += "?";  // XML 1.0 cannot carry other control characters
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace

RunSummary run(const std::vector<Section>& roots, const RunOptions& options, std::ostream& out) {
  RunSummary summary;
  Printer printer(out, options.color);
  bool any = false;
  for (const auto& r : roots) any = any || has_selected(r, options);
  if (!any) {
    out << "No matched tests found.\n";
    return summary;
  }
  auto start = std::chrono::steady_clock::now();
  Walker walker{options, printer, summary, ""};
  for (const auto& r : roots) {
    auto part = options.parts.find(r.id);
    walker.part = part == options.parts.end() ? "" : part->second;
    walker.section(r, 0);
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (options.dry_run) return summary;

  if (summary.failed > 0) {
    out << "Failures:\n\n";
    std::string last_section;
    for (const auto& r : summary.results) {
      if (r.outcome.verdict != Verdict::Fail) continue;
      if (r.section != last_section) {
        out << "  " << r.section_title << " (" << r.section << ")\n";
        last_section = r.section;
      }
      out << "    " << printer.paint(kRed, "× " + r.id + ": " + r.title) << "\n";
      print_details(printer, "    ", r);
    }
    out << "\n";
  }
  char secs[64];
  std::snprintf(secs, sizeof secs, "%.4f", summary.seconds);
  out << "Finished in " << secs << " seconds\n";
  std::vector<std::string> parts;
  for (const auto& r : summary.results) {
    if (std::find(parts.begin(), parts.end(), r.part) == parts.end()) parts.push_back(r.part);
  }
  // Each part on its own line first, so a server that passes the h2spec set but fails one of
  // our additions reads as such; the last line stays h2spec's overall summary.
  if (parts.size() > 1) {
    for (const auto& part : parts) out << part << ": " << totals_line(summary, part) << "\n";
  }
  out << totals_line(summary) << "\n";
  if (!options.junit_path.empty()) {
    std::ofstream f(options.junit_path);
    f << junit_xml(summary);
    if (!f) out << "error: cannot write " << options.junit_path << "\n";
  }
  return summary;
}

std::string totals_line(const RunSummary& summary, const std::string& part) {
  int tests = 0, passed = 0, skipped = 0, failed = 0;
  for (const auto& r : summary.results) {
    if (!part.empty() && r.part != part) continue;
    ++tests;
    passed += r.outcome.verdict == Verdict::Pass;
    skipped += r.outcome.verdict == Verdict::Skip;
    failed += r.outcome.verdict == Verdict::Fail;
  }
  return std::to_string(tests) + " tests, " + std::to_string(passed) + " passed, " +
         std::to_string(skipped) + " skipped, " + std::to_string(failed) + " failed";
}

std::string junit_xml(const RunSummary& summary) {
  std::map<std::string, std::vector<const CaseResult*>> by_section;
  std::vector<std::string> order;
  for (const auto& r : summary.results) {
    if (!by_section.count(r.section)) order.push_back(r.section);
    by_section[r.section].push_back(&r);
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n";
  for (const auto& sec : order) {
    const auto& cases = by_section[sec];
    int failures = 0, skipped = 0;
    double time = 0;
    for (const auto* r : cases) {
      failures += r->outcome.verdict == Verdict::Fail;
      skipped += r->outcome.verdict == Verdict::Skip;
      time += r->seconds;
    }
    char t[32];
    std::snprintf(t, sizeof t, "%.4f", time);
    // h2spec's attributes (name, package, id = the section number) come first, so tools that
    // read h2spec's XML work unchanged.
    const std::string number =
        sec.substr(sec.find('/') == std::string::npos ? 0 : sec.find('/') + 1);
    x += "  <testsuite name=\"" + xml_escape(cases[0]->section_title) + "\" package=\"" +
         xml_escape(sec) + "\" id=\"" + xml_escape(number) + "\" tests=\"" +
         std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" skipped=\"" + std::to_string(skipped) + "\" errors=\"0\" time=\"" + t + "\">\n";
    for (const auto* r : cases) {
      std::snprintf(t, sizeof t, "%.4f", r->seconds);
      // h2spec: package = the section id, classname = the title, the case id implied by its
      // position in the testsuite; ours adds the id itself as name.
      x += "    <testcase package=\"" + xml_escape(r->section) + "\" classname=\"" +
           xml_escape(r->title) + "\" name=\"" + xml_escape(r->id) + "\" time=\"" + t + "\"";
      if (r->outcome.verdict == Verdict::Pass && r->outcome.note.empty()) {
        x += "/>\n";
        continue;
      }
      if (r->outcome.verdict == Verdict::Pass) {
        x += ">\n      <system-out>" + xml_escape(r->outcome.note) +
             "</system-out>\n    </testcase>\n";
        continue;
      }
      x += ">\n";
      if (r->outcome.verdict == Verdict::Skip) {
        x += "      <skipped message=\"" + xml_escape(r->outcome.error) + "\"/>\n";
      } else {
        std::string body;
        for (const auto& e : r->outcome.expected) body += "Expected: " + e + "\n";
        body += r->outcome.expected.empty() ? "Error: " + r->outcome.error
                                            : "Actual: " + r->outcome.actual;
        x += "      <failure message=\"" + xml_escape(r->requirement) + "\">" + xml_escape(body) +
             "</failure>\n";
      }
      x += "    </testcase>\n";
    }
    x += "  </testsuite>\n";
  }
  x += "</testsuites>\n";
  return x;
}

}  // namespace crossmux::conformance
