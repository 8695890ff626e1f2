// Conformance catalogue: sections and cases as data, selected by h2spec-style spec ids.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace crossmux::conformance {

enum class Verdict : uint8_t { Pass = 0, Fail = 1, Skip = 2 };
std::string_view to_string(Verdict v);

// What a case concluded. On failure `expected` lists every acceptable outcome (one per line, e.g.
// "GOAWAY Frame (Error Code: PROTOCOL_ERROR)") and `actual` the last event seen ("Timeout",
// "Connection closed", a frame). `error` is set instead for plain errors (connect failed,
// handshake timeout). `abort_run` stops the whole run (the target cannot be reached).
struct Outcome {
  Verdict verdict = Verdict::Pass;
  std::vector<std::string> expected;
  std::string actual;
  std::string error;
  bool abort_run = false;
  // For a pass where the rules allow more than one answer: which one the target chose
  // ("rejected", "forwarded"); printed after the ✔ line and in JUnit <system-out>.
  std::string note;

  static Outcome pass() { return {}; }
  static Outcome pass(std::string note) {
    Outcome o;
    o.note = std::move(note);
    return o;
  }
  static Outcome skip(std::string why) {
    Outcome o;
    o.verdict = Verdict::Skip;
    o.error = std::move(why);
    return o;
  }
  static Outcome fail(std::vector<std::string> expected, std::string actual) {
    Outcome o;
    o.verdict = Verdict::Fail;
    o.expected = std::move(expected);
    o.actual = std::move(actual);
    return o;
  }
  static Outcome error_out(std::string message, bool abort = false) {
    Outcome o;
    o.verdict = Verdict::Fail;
    o.error = std::move(message);
    o.abort_run = abort;
    return o;
  }
};

struct Case {
  std::string title;        // h2spec's one-line title where the case comes from h2spec
  std::string requirement;  // the RFC sentence it checks, shown on failure
  bool strict = false;      // SHOULD-level: runs only with --strict
  std::function<Outcome()> run;
};

// A section holds cases and/or subsections. Its id is "<group>/<number>" ("http2/6.5.2"), or the
// group name alone for a root. Case ids are "<section id>/<n>", n 1-based in the section.
struct Section {
  std::string id;
  std::string number;  // "6.5.2", empty for a root
  std::string title;   // "SETTINGS", or the root's title
  std::vector<Case> cases;
  std::deque<Section>
      children;  // a deque: references from child() stay valid as siblings are added

  Section& child(std::string child_number, std::string child_title);
  Case& add(std::string title, std::string requirement, std::function<Outcome()> run,
            bool strict = false);
};

// Whether a spec id selects `id`: equal, or `spec` is an ancestor ("http2/6.5" selects
// "http2/6.5/1", "http2/6.5.2" and "http2/6.5.2/3", but not "http2/6.50").
bool selects(std::string_view spec, std::string_view id);
// True when any of `specs` selects `id`, or `specs` is empty.
bool selected(const std::vector<std::string>& specs, std::string_view id);

}  // namespace crossmux::conformance
