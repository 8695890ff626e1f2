// Judging one target's exchange, and the normalisations of the differential comparison.
#include "fuzz/net/verdict.h"

#include <algorithm>
#include <map>
#include <set>

namespace crossmux::fuzz::net {

std::string_view to_string(Kind k) {
  switch (k) {
    case Kind::Crash:
      return "crash";
    case Kind::Hang:
      return "hang";
    case Kind::Liveness:
      return "liveness";
    case Kind::Protocol:
      return "protocol";
    case Kind::Memory:
      return "memory";
    case Kind::Cpu:
      return "cpu";
    case Kind::Diff:
      return "diff";
    case Kind::Origin:
      return "origin";
  }
  return "?";
}

namespace {

Finding make(Kind k, std::string rule, const Target& t, std::string summary) {
  Finding f;
  f.kind = k;
  f.rule = std::move(rule);
  f.target = t.name;
  f.summary = t.name + ": " + std::move(summary);
  return f;
}

// Client requests in the case, as a proxy should forward them at most: HTTP/2 streams opened
// with HEADERS; HTTP/1.1 the larger of the complete requests our strict decoder read and the
// responses the client got.
size_t requests_sent(const NetCase& c, const Observation& o) {
  if (c.proto == Proto::H2) return o.x.streams.size();
  return std::max(o.x.requests + o.x.tail_request_lines, o.x.statuses.size());
}

}  // namespace

std::vector<Finding> judge(const Target& t, const NetCase& c, const Observation& o,
                           const Bounds& b) {
  std::vector<Finding> out;
  const Exchange& x = o.x;
  if (!x.connected) {
    Kind k = x.connect_error == "connection refused" ? Kind::Crash : Kind::Liveness;
    out.push_back(make(k, "connect", t, "connecting failed before the case: " + x.connect_error));
    return out;
  }
  if (o.watched && o.before.alive && !o.after.alive) {
    out.push_back(make(Kind::Crash, "process-exited", t,
                       "the target process (pid " + std::to_string(t.pid) + ") exited"));
  } else if (o.probed && o.live.state == Liveness::Refused) {
    out.push_back(make(Kind::Crash, "refused", t,
                       "a fresh connection was refused after the case: " + o.live.detail));
  } else if (o.probed && o.live.state == Liveness::NoAnswer) {
    out.push_back(make(Kind::Liveness, "no-answer", t,
                       "a normal request on a fresh connection was not answered after the "
                       "case: " +
                           o.live.detail));
  } else if (o.probed && o.live.status >= 500 && b.baseline_status >= 0 &&
             b.baseline_status < 500) {
    out.push_back(make(Kind::Liveness, "5xx", t,
                       "a normal request now gets " + std::to_string(o.live.status) + " (it got " +
                           std::to_string(b.baseline_status) + " before fuzzing)"));
  }
  // A connection left hanging while the target still serves others is a hang; when it serves
  // nobody any more, the liveness (or crash) finding above is the bug and the hang its symptom.
  const bool serving = !o.probed || o.live.state == Liveness::Alive;
  if (x.timed_out && serving) {
    const bool ping = x.hang_detail.find("PING") != std::string::npos;
    const bool partial = x.hang_detail.find("did not finish") != std::string::npos;
    out.push_back(make(Kind::Hang,
                       ping      ? "ping-unanswered"
                       : partial ? "response-stalled"
                                 : "request-unanswered",
                       t, x.hang_detail));
  }
  for (const auto& v : x.violations) {
    out.push_back(make(Kind::Protocol, v.rule, t, v.detail));
  }
  if (o.watched && o.after.alive) {
    if (b.rss_baseline_kb > 0 && o.after.rss_kb > b.rss_baseline_kb + b.max_rss_growth_kb) {
      out.push_back(make(Kind::Memory, "rss-growth", t,
                         "resident memory grew from " + std::to_string(b.rss_baseline_kb / 1024) +
                             " MiB to " + std::to_string(o.after.rss_kb / 1024) + " MiB"));
    }
    const uint64_t cpu = o.after.cpu_ms - std::min(o.after.cpu_ms, o.before.cpu_ms);
    if (cpu > b.max_cpu_ms) {
      out.push_back(make(Kind::Cpu, "cpu-per-case", t,
                         "one case cost the target " + std::to_string(cpu) + " ms of CPU"));
    }
  }
  if (o.recorded && o.forwarded.size() > requests_sent(c, o)) {
    Finding f = make(Kind::Origin, "more-requests-than-sent", t,
                     std::to_string(o.forwarded.size()) + " requests reached the origin for " +
                         std::to_string(requests_sent(c, o)) + " the client sent");
    for (const auto& r : o.forwarded) f.details.push_back("origin got: " + r.normalised());
    out.push_back(std::move(f));
  }
  return out;
}

// ---- differential ----------------------------------------------------------------------------

namespace {

// Normalisation 1: statuses that mean "your request is malformed" are one class with RST_STREAM
// and connection errors; 5xx (server or backend trouble) is its own class; every other status is
// an acceptance, whatever content the target serves (200, 404 and 405 alike).
std::string status_class(int status) {
  switch (status) {
    case 400:
    case 411:
    case 413:
    case 414:
    case 421:
    case 431:
    case 501:
    case 505:
      return "reject";
    default:
      return status >= 500 ? "error" : status < 0 ? "reject" : "accept";
  }
}

}  // namespace

bool is_acceptance(int status) {
  return status_class(status) == "accept";
}

std::string Verdict::describe() const {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
  for (const auto& f : forwarded) out += (out.empty() ? "" : "; ") + ("forwarded " + f);
  return out.empty() ? "nothing to compare" : out;
}

Verdict normalise(const NetCase& c, const Observation& o) {
  Verdict v;
  const Exchange& x = o.x;
  if (!x.connected) {
    v.items.push_back("connection: refused");
    return v;
  }
  if (c.proto == Proto::H2) {
    for (const auto& s : x.streams) {
      // Normalisation 2: refused and unanswered streams are not compared (capacity limits and
      // incomplete requests differ legitimately); Normalisation 3: a reset, a GOAWAY covering
      // the stream and a malformed-request status are the same refusal.
      std::string cls;
      switch (s.fate) {
        case Fate::Answered:
          cls = status_class(s.status);
          break;
        case Fate::Reset:
        case Fate::ConnectionError:
          cls = "reject";
          break;
        default:
          continue;
      }
      if (cls == "error") continue;
      v.items.push_back("stream " + std::to_string(s.id) + ": " + cls);
    }
    // Normalisation 4: a graceful GOAWAY (NO_ERROR) is not a failure.
    const bool failed = x.connection.goaway ? x.connection.goaway_code != 0 : x.closed;
    v.items.push_back(std::string("connection: ") + (failed ? "failed" : "alive"));
  } else {
    // Normalisation 5 (HTTP/1.1): only how many requests each target accepted is compared; how
    // it refused the rest (400, a close) and whether it kept the connection open are not.
    size_t accepted = 0;
    for (int s : x.statuses) accepted += status_class(s) == "accept";
    v.items.push_back("accepted: " + std::to_string(accepted));
  }
  if (o.recorded) {
    for (const auto& r : o.forwarded) v.forwarded.push_back(r.normalised());
  }
  return v;
}

Finding compare(const std::vector<Target>& targets, const std::vector<Verdict>& verdicts) {
  Finding f;
  f.kind = Kind::Diff;
  // Per item key ("stream 1", "connection", "accepted", "forwarded"), which targets said what.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> by_key;
  auto key_of = [](const std::string& item) { return item.substr(0, item.find(':')); };
  for (size_t i = 0; i < targets.size(); ++i) {
    for (const auto& item : verdicts[i].items) {
      by_key[key_of(item)][item.substr(item.find(':') + 2)].push_back(targets[i].name);
    }
    std::string fw;
    for (const auto& r : verdicts[i].forwarded) fw += (fw.empty() ? "" : " || ") + r;
    if (std::any_of(verdicts.begin(), verdicts.end(),
                    [](const Verdict& v) { return !v.forwarded.empty(); })) {
      by_key["forwarded"][fw.empty() ? "nothing" : fw].push_back(targets[i].name);
    }
  }
  std::set<std::string> rules;
  for (const auto& [key, values] : by_key) {
    // A stream only some targets have a comparable verdict for is not a difference.
    if (values.size() < 2) continue;
    std::string pattern;
    std::string detail = key + ":";
    for (const auto& [value, names] : values) {
      std::string who;
      for (const auto& n : names) who += (who.empty() ? "" : ",") + n;
      detail += " " + who + " -> " + value + ";";
      if (key == "forwarded") {
        pattern += (pattern.empty() ? "[" : " vs [") + who + "]";  // the records are long
      } else {
        pattern += (pattern.empty() ? "" : " ") + value + "[" + who + "]";
      }
    }
    const std::string k = key.starts_with("stream") ? "stream" : key;
    rules.insert(k + " " + pattern);
    f.details.push_back(detail);
  }
  if (rules.empty()) return f;
  for (const auto& r : rules) f.rule += (f.rule.empty() ? "" : "; ") + r;
  for (const auto& t : targets) f.target += (f.target.empty() ? "" : ",") + t.name;
  f.summary = "targets disagree: " + f.rule;
  return f;
}

std::string fingerprint(const Observation& o) {
  const Exchange& x = o.x;
  std::string fp = x.connected ? "" : "noconnect ";
  if (x.timed_out) fp += "timeout ";
  if (x.closed) fp += "closed ";
  for (const auto& s : x.streams) {
    fp += std::string(to_string(s.fate)) + ":" + std::to_string(s.status) + ":" +
          std::to_string(s.code) + (s.response_complete ? "c " : " ");
  }
  if (x.connection.goaway) fp += "goaway:" + std::to_string(x.connection.goaway_code) + " ";
  for (int s : x.statuses) fp += std::to_string(s) + " ";
  // What our strict HTTP/1.1 parser made of the case: a stand-in for grammar coverage.
  if (!x.methods.empty() || x.request_error) {
    fp += "req:" + std::to_string(x.requests) + (x.request_tail ? "+" : "") + ":" +
          x.request_error_detail + " ";
  }
  if (x.garbage) fp += "garbage ";
  for (const auto& v : x.violations) fp += v.rule + " ";
  if (o.probed) fp += "live:" + std::to_string(static_cast<int>(o.live.state));
  return fp;
}

}  // namespace crossmux::fuzz::net
