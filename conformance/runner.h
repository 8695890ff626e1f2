// Runs a selected subset of catalogue sections and reports like h2spec: progress lines, a
// Failures recap, the summary line, JUnit XML, and an exit status.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "conformance/catalogue.h"

namespace crossmux::conformance {

struct RunOptions {
  std::vector<std::string> specs;  // spec ids; empty runs everything
  bool strict = false;             // also run strict (SHOULD-level) cases
  bool dry_run = false;            // list what would run, run nothing
  bool color = false;              // ANSI colours (callers enable it on a TTY)
  bool progress = true;    // "  n: title" while a case runs, then erased (callers: TTY only)
  std::string junit_path;  // write JUnit XML here when not empty
  // Root id -> the part of the suite it belongs to ("h2spec set", "crossmux additions"). A run
  // whose results span more than one part prints a subtotal line per part.
  std::map<std::string, std::string> parts;
};

struct CaseResult {
  std::string id;       // "http2/6.5/1"
  std::string section;  // section id
  std::string section_title;
  std::string part;  // RunOptions::parts of its root ("" when unlisted)
  std::string title;
  std::string requirement;
  Outcome outcome;
  double seconds = 0;
};

struct RunSummary {
  int tests = 0, passed = 0, skipped = 0, failed = 0;
  bool aborted = false;
  double seconds = 0;
  std::vector<CaseResult> results;
  // 1 on any failure or abort, else 0 (also for dry runs and empty selections).
  int exit_status() const { return (failed > 0 || aborted) ? 1 : 0; }
};

RunSummary run(const std::vector<Section>& roots, const RunOptions& options, std::ostream& out);

// "N tests, P passed, S skipped, F failed" for the results of one part ("" = all of them).
std::string totals_line(const RunSummary& summary, const std::string& part = "");

// JUnit XML for a finished run: one <testsuite> per section that holds cases, <failure> with the
// expected and actual outcomes, <skipped/> for skips.
std::string junit_xml(const RunSummary& summary);

}  // namespace crossmux::conformance
