// The oracles: what one exchange says about one target (crash, hang, liveness, protocol errors,
// memory and CPU growth, requests smuggled to the origin), and the normalised verdicts compared
// across targets in differential mode.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/net/exchange.h"
#include "fuzz/net/origin_record.h"
#include "fuzz/net/target.h"

namespace crossmux::fuzz::net {

enum class Kind : uint8_t {
  Crash = 0,     // the target stopped accepting connections, or its process died
  Hang = 1,      // owed answers did not come within the deadline
  Liveness = 2,  // a normal request on a fresh connection was not served afterwards
  Protocol = 3,  // what the target sent broke an RFC 9113 / RFC 9112 rule
  Memory = 4,    // resident memory grew past the bound
  Cpu = 5,       // one case cost the target more CPU than the bound
  Diff = 6,      // targets disagreed after normalisation
  Origin = 7,    // more requests reached the origin than the client sent
};
std::string_view to_string(Kind k);

// Normalisation 1 of the differential mode: a status that accepts the request (any but 400, 411,
// 413, 414, 421, 431, 501, 505 and 5xx; 200, 404 and 405 alike).
bool is_acceptance(int status);

struct Finding {
  Kind kind = Kind::Protocol;
  std::string rule;     // stable within a kind: a violation rule, a diff pattern, ...
  std::string target;   // the target it is about (Diff: the names of all, comma-separated)
  std::string summary;  // one line
  std::vector<std::string> details;
  // What identifies the same bug found twice.
  std::string key() const { return std::string(to_string(kind)) + "/" + rule + "@" + target; }
};

// Everything observed about one target for one case.
struct Observation {
  Exchange x;
  bool probed = false;  // the liveness probe ran after the case
  LivenessResult live;
  bool watched = false;  // a process was sampled before and after
  ProcessSample before, after;
  bool recorded = false;  // an origin record was read
  std::vector<RecordedRequest> forwarded;
};

struct Bounds {
  uint64_t rss_baseline_kb = 0;  // 0: not known yet
  uint64_t max_rss_growth_kb = 64 * 1024;
  uint64_t max_cpu_ms = 2000;
  int baseline_status = -1;  // the liveness status before fuzzing (a later 5xx is a failure)
};

// Findings about one target from one case.
std::vector<Finding> judge(const Target& t, const NetCase& c, const Observation& o,
                           const Bounds& b);

// A target's answer to one case, normalised so that targets serving different content and
// choosing different (equally valid) ways to refuse compare equal (see verdict.cc).
struct Verdict {
  std::vector<std::string> items;      // "stream 1: accept", "connection: failed", "accepted: 2"
  std::vector<std::string> forwarded;  // origin records, normalised
  std::string describe() const;
};
Verdict normalise(const NetCase& c, const Observation& o);

// A Diff finding when the verdicts differ, else nothing (kind Diff, rule empty).
Finding compare(const std::vector<Target>& targets, const std::vector<Verdict>& verdicts);

// What an observation looked like, coarsely, for corpus feedback: frame types, statuses, codes
// and violations the target answered with. A new fingerprint keeps the case in the corpus.
std::string fingerprint(const Observation& o);

}  // namespace crossmux::fuzz::net
