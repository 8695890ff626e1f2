// Findings: confirming, minimising, and saving each one (the case, what every target did, a conform
// case, a scenario).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <sstream>

#include "conformance/h2/probe.h"
#include "fuzz/net/engine_impl.h"
#include "fuzz/net/export.h"
#include "fuzz/net/minimize.h"

namespace crossmux::fuzz::net {

namespace fs = std::filesystem;

namespace {

std::string make_id(Proto p, const Finding& f) {
  // FNV-1a of the key: the same bug gets the same file name in every run.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : f.key()) h = (h ^ c) * 1099511628211ull;
  char hex[8];
  std::snprintf(hex, sizeof hex, "%06llx", static_cast<unsigned long long>(h & 0xffffff));
  return std::string(to_string(p)) + "-" + std::string(to_string(f.kind)) + "-" + hex;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// Whether the finding showed again when its case was re-run: one that did not is timing or
// state left by earlier cases, and its case may not replay it.
std::string confirmation(const Saved& s) {
  return s.confirmed ? "reproduced" : s.rerun ? "did not reproduce when re-run" : "not re-run";
}

}  // namespace

size_t Engine::target_index(const std::string& name) const {
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (targets_[i].name == name) return i;
  }
  return 0;
}

bool Engine::reproduces(const Finding& f, const NetCase& c) {
  ++reruns_;
  if (f.kind == Kind::Diff) {
    auto obs = observe_all(c, true);
    return compare(targets_,
                   [&] {
                     std::vector<Verdict> v;
                     for (const auto& ob : obs) v.push_back(normalise(c, ob));
                     return v;
                   }())
               .rule == f.rule;
  }
  const size_t i = target_index(f.target);
  if (f.kind == Kind::Crash || f.kind == Kind::Liveness) {
    // The last try most likely left the target down: a supervised one is restarted outright
    // (cheaper than finding out with a probe).
    if (sup_ && i == 0) {
      std::string error;
      if (!sup_->restart(error)) {
        stop_reason_ = "the target command could not be restarted: " + error;
        return false;
      }
      targets_[0].pid = sup_->pid();
    } else if (!ensure_up(i)) {
      return false;
    }
  }
  Observation ob = observe(i, c, true);
  for (const auto& g : judge(targets_[i], c, ob, bounds_[i])) {
    if (g.key() == f.key()) return true;
  }
  return false;
}

void Engine::on_finding(const Finding& f, const NetCase& c, const std::vector<Observation>& obs) {
  if (auto it = saved_.find(f.key()); it != saved_.end()) {
    ++it->second.hits;
    return;
  }
  const double began = elapsed();
  Saved s;
  s.id = make_id(o_.proto, f);
  s.f = f;
  s.seconds = elapsed();
  s.exec = execs_;
  s.original_units = c.units.size();
  s.minimal = c;
  const size_t i = target_index(f.target);
  // A crash or a target that stopped serving can be re-run only when we can restart it; memory
  // growth is not one case's doing.
  const bool down = f.kind == Kind::Crash || f.kind == Kind::Liveness;
  const bool rerun = f.kind != Kind::Memory && (!down || sup_);
  std::vector<Observation> final_obs = obs;
  s.rerun = rerun;
  if (rerun) {
    s.confirmed = reproduces(f, c);
    if (s.confirmed && o_.minimize) {
      s.minimal = minimize(
          c, [&](const NetCase& cand) { return !done() && reproduces(f, cand); },
          o_.minimize_budget, &s.tries);
    }
    if (s.confirmed) {
      if (down) ensure_up(i);
      final_obs = observe_all(s.minimal, true);  // what the saved case does, for the exports
    }
  }
  save(s, final_obs);
  saved_[f.key()] = s;
  order_.push_back(f.key());
  findings_s_ += elapsed() - began;
  ++kind_counts_[std::string(to_string(f.kind))];
  if (tty_ && o_.progress) std::fprintf(stderr, "\r%-110s\r", "");
  out_ << "finding " << s.id << " after " << fixed(s.seconds, 1) << " s (case " << s.exec
       << "): " << f.summary << "\n  " << confirmation(s)
       << (s.confirmed && o_.minimize ? ", minimised from " + std::to_string(s.original_units) +
                                            " to " + std::to_string(s.minimal.units.size()) +
                                            " units in " + std::to_string(s.tries) + " runs"
                                      : std::string())
       << "; " << o_.out_dir << "/findings/" << s.id << ".case" << std::endl;
}

std::vector<std::string> Engine::describe(const NetCase& c,
                                          const std::vector<Observation>& obs) const {
  std::vector<std::string> out;
  for (size_t i = 0; i < obs.size(); ++i) {
    const Observation& ob = obs[i];
    const Exchange& x = ob.x;
    const std::string who = targets_[i].name + ": ";
    if (!x.connected) {
      out.push_back(who + "could not connect: " + x.connect_error);
      continue;
    }
    if (c.proto == Proto::H2) {
      for (const auto& s : x.streams) {
        std::string line =
            who + "stream " + std::to_string(s.id) + " " + std::string(to_string(s.fate));
        if (s.status >= 0) line += " " + std::to_string(s.status);
        if (s.fate == Fate::Reset || s.fate == Fate::ConnectionError || s.fate == Fate::Refused) {
          line += " (" + conformance::h2::error_code_name(s.code) + ")";
        }
        if (s.fate == Fate::Answered) {
          line += s.response_complete ? ", " + std::to_string(s.body_bytes) + " body octets"
                                      : ", response not finished";
        }
        if (s.owed) line += " [owed an answer]";
        out.push_back(line);
      }
      std::string conn = who + "connection ";
      conn += x.connection.goaway
                  ? "GOAWAY " + conformance::h2::error_code_name(x.connection.goaway_code) +
                        " last-stream-id " + std::to_string(x.connection.last_stream_id)
                  : std::string("no GOAWAY");
      conn += x.closed ? ", closed" : x.marker_acked ? ", open (PING answered)" : ", open";
      out.push_back(conn);
    } else {
      std::string line = who + std::to_string(x.requests) + " complete request(s) sent" +
                         (x.request_tail ? " (+ bytes our strict parser rejects or that are "
                                           "incomplete)"
                                         : "") +
                         "; responses:";
      for (int st : x.statuses) line += " " + std::to_string(st);
      if (x.statuses.empty()) line += " none";
      line += x.garbage ? ", then bytes that are not HTTP/1.1" : "";
      line += x.closed ? ", then closed" : ", connection left open";
      out.push_back(line);
    }
    if (x.timed_out) out.push_back(who + "HANG: " + x.hang_detail);
    for (const auto& v : x.violations) out.push_back(who + "VIOLATION " + v.rule + ": " + v.detail);
    if (ob.probed) {
      out.push_back(who + "liveness: " +
                    (ob.live.state == Liveness::Alive
                         ? "served (" + std::to_string(ob.live.status) + ")"
                         : "FAILED: " + ob.live.detail));
    }
    if (ob.watched) {
      out.push_back(who + "process: " + (ob.after.alive ? "alive" : "GONE") + ", RSS " +
                    std::to_string(ob.after.rss_kb / 1024) + " MiB, CPU +" +
                    std::to_string(ob.after.cpu_ms - std::min(ob.after.cpu_ms, ob.before.cpu_ms)) +
                    " ms");
    }
    if (ob.recorded) {
      out.push_back(who + std::to_string(ob.forwarded.size()) + " request(s) reached the origin");
      for (const auto& r : ob.forwarded) out.push_back(who + "  origin got: " + r.normalised());
    }
    out.push_back(who + "normalised verdict: " + normalise(c, ob).describe());
  }
  return out;
}

void Engine::save(Saved& s, const std::vector<Observation>& obs) {
  const fs::path dir = fs::path(o_.out_dir) / "findings";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string port = std::to_string(targets_[0].port);
  std::vector<std::string> comments = {
      "crossmux fuzz finding " + s.id + " (" + std::string(to_string(s.f.kind)) + "/" + s.f.rule +
          " on " + s.f.target + ")",
      s.f.summary,
      "found after " + fixed(s.seconds, 1) + " s, case " + std::to_string(s.exec) + ", " +
          confirmation(s) + "; " + std::to_string(s.original_units) + " units, minimised to " +
          std::to_string(s.minimal.units.size()),
      "replay: crossmux fuzz " + std::string(to_string(o_.proto)) + " --replay " + s.id +
          ".case -h " + targets_[0].host + " -p " + port};
  write_file(dir / (s.id + ".case"), to_file(s.minimal, comments));
  std::string text;
  for (const auto& c : comments) text += c + "\n";
  text += "\nrule: " + s.f.rule + "\n";
  for (const auto& d : s.f.details) text += d + "\n";
  text += "\nwhat the minimised case does:\n";
  s.what = describe(s.minimal, obs);
  for (const auto& line : s.what) text += "  " + line + "\n";
  text += "\nunits:\n";
  for (const auto& u : s.minimal.units) text += "  " + describe_unit(s.minimal.proto, u) + "\n";
  write_file(dir / (s.id + ".txt"), text);
  const size_t i = target_index(s.f.target);
  const Observation& ob = obs[std::min(i, obs.size() - 1)];
  write_file(dir / (s.id + ".conform.cc"),
             conform_case(s.id, s.f, s.minimal, ob, targets_[0].authority()));
  if (record_ || s.f.kind == Kind::Origin) {
    // The origin's answer as a target that forwarded the request passed it on.
    int origin_status = 0;
    for (const auto& each : obs) {
      std::vector<int> statuses = each.x.statuses;
      for (const auto& st : each.x.streams) statuses.push_back(st.status);
      for (int st : statuses) {
        if (origin_status == 0 && is_acceptance(st)) origin_status = st;
      }
    }
    std::string sc =
        translate_scenario(s.id, s.f, s.minimal, ob, targets_[0].authority(), origin_status);
    if (!sc.empty()) write_file(dir / (s.id + ".scenario"), sc);
  }
}

}  // namespace crossmux::fuzz::net
