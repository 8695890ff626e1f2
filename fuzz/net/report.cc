// The run's report in the layout of scripts/fuzz_overnight.sh (run.json, <target>/coverage.tsv and
// fuzz.log, triage.json), so the shared renderer fuzz/tools/report.py writes report.html and
// report.md for both; plus findings.tsv and progress.tsv for scripts.
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "fuzz/net/engine_impl.h"

extern char** environ;

namespace crossmux::fuzz::net {

namespace fs = std::filesystem;

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0.
size_t utf8_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  }
  return n;
}

// A JSON string: UTF-8 kept (summaries cite "§"), every other byte escaped as \u00NN (raw bytes
// of a case must not make the file unreadable).
std::string json(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else if (size_t n = c >= 0x80 ? utf8_length(s, i) : 0; n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      char u[8];
      std::snprintf(u, sizeof u, "\\u%04x", c);
      out += u;
    }
  }
  return out + "\"";
}

std::string fixed_digits(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

// A target name as a directory name ("127.0.0.1:8080" -> "127.0.0.1_8080").
std::string dir_name(std::string name) {
  for (char& c : name) {
    if (c == '/' || c == ':' || c == ' ') c = '_';
  }
  return name;
}

std::string hex_preview(const std::string& bytes) {
  std::ostringstream out;
  const size_t n = std::min<size_t>(bytes.size(), 256);
  for (size_t i = 0; i < n; i += 16) {
    out << std::hex << std::setw(4) << std::setfill('0') << i << "  ";
    std::string text;
    for (size_t j = i; j < i + 16; ++j) {
      if (j < n) {
        const auto c = static_cast<unsigned char>(bytes[j]);
        out << std::setw(2) << static_cast<int>(c) << ' ';
        text += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.';
      } else {
        out << "   ";
      }
    }
    out << ' ' << text << '\n';
  }
  if (bytes.size() > n) out << "... " << std::dec << bytes.size() << " bytes\n";
  return out.str();
}

std::string utc(std::time_t t) {
  char buf[32];
  std::strftime(buf, sizeof buf, "%FT%TZ", std::gmtime(&t));
  return buf;
}

}  // namespace

void Engine::write_reports() {
  const fs::path dir(o_.out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  const double secs = std::max(elapsed(), 1e-9);
  const std::string proto(to_string(o_.proto));
  // run.json: what the renderer shows in its header; the labels say what the columns of a
  // libFuzzer run mean here (a black box has no edge coverage).
  std::ostringstream run;
  run << "{\"started\": " << json(utc(started_)) << ", \"seconds\": " << static_cast<long>(secs)
      << ", \"jobs\": 1, \"commit\": \"crossmux 0.1.0\", \"compiler\": "
      << json("crossmux fuzz " + proto + " (network, black box)") << ", \"targets\": [";
  for (size_t i = 0; i < targets_.size(); ++i) {
    run << (i ? ", " : "") << json(dir_name(targets_[i].name));
  }
  run << "], \"seed_counts\": {";
  for (size_t i = 0; i < targets_.size(); ++i) {
    run << (i ? ", " : "") << json(dir_name(targets_[i].name)) << ": " << seeds_;
  }
  run << "}, \"labels\": {\"cov\": \"behaviours\", \"ft\": \"cases kept\", \"coverage_plot\": "
         "\"distinct behaviours\"}, \"coverage_error\": "
      << json(
             "a network black box: no line coverage; behaviours count the distinct answers "
             "seen, the corpus the cases kept for them")
      << ", \"finished\": " << json(utc(std::time(nullptr)))
      << ", \"stopped\": " << json(stop_reason_.empty() ? "at its bound" : stop_reason_) << "}\n";
  std::ofstream(dir / "run.json") << run.str();
  // Per target: the samples (every case goes to every target, so the curves are shared) and the
  // status lines the renderer reads, in libFuzzer's shape.
  for (const auto& t : targets_) {
    const fs::path td = dir / dir_name(t.name);
    fs::create_directories(td, ec);
    std::ofstream tsv(td / "coverage.tsv");
    std::ofstream log(td / "fuzz.log");
    tsv << "elapsed\tcov\tft\tcorpus\texec_s\n";
    uint64_t last_execs = 0;
    double last_t = 0;
    uint64_t rate = 0;
    for (const auto& p : samples_) {
      // The last sample may come a moment after the one before: keep the rate it had.
      const double dt = p.seconds - last_t;
      if (dt >= 0.5) rate = static_cast<uint64_t>(static_cast<double>(p.execs - last_execs) / dt);
      tsv << static_cast<long>(p.seconds) << "\t" << p.behaviours << "\t" << p.corpus << "\t"
          << p.corpus << "\t" << rate << "\n";
      log << "#" << p.execs << "\t" << (&p == &samples_.front() ? "INITED" : "pulse")
          << " cov: " << p.behaviours << " ft: " << p.corpus << " corp: " << p.corpus
          << " exec/s: " << rate << "\n";
      last_execs = p.execs;
      last_t = p.seconds;
    }
  }
  // triage.json: one bucket per finding.
  std::ostringstream tri;
  tri << "{\"buckets\": [";
  bool first = true;
  for (const auto& key : order_) {
    const Saved& s = saved_.at(key);
    const std::string target = dir_name(s.f.target.substr(0, s.f.target.find(',')));
    const std::string file = (fs::absolute(dir) / "findings" / (s.id + ".case")).string();
    std::string said;
    for (const auto& d : s.f.details) said += (said.empty() ? "" : ", ") + json(d);
    for (const auto& d : s.what) said += (said.empty() ? "" : ", ") + json(d);
    tri << (first ? "" : ",\n") << "{\"target\": " << json(target) << ", \"key\": " << json(s.id)
        << ", \"kind\": " << json(std::string(to_string(s.f.kind)) + "/" + s.f.rule)
        << ", \"reason\": " << json(s.f.summary) << ", \"summary\": "
        << json("found after " + fixed_digits(s.seconds, 1) + " s (case " + std::to_string(s.exec) +
                "); " + std::to_string(s.original_units) + " units minimised to " +
                std::to_string(s.minimal.units.size()))
        << ", \"count\": " << s.hits << ", \"size\": " << s.minimal.size()
        << ", \"frames\": [], \"message\": [" << said << "], \"reproducer\": " << json(file)
        << ", \"minimized\": " << (s.confirmed && o_.minimize ? "true" : "false")
        << ", \"hex\": " << json(hex_preview(s.minimal.wire())) << ", \"repro_cmd\": "
        << json("crossmux fuzz " + proto + " --replay " + file + " -h " + targets_[0].host +
                " -p " + std::to_string(targets_[0].port))
        << ", \"seed_cmd\": "
        << json("paste " + (fs::absolute(dir) / "findings" / (s.id + ".conform.cc")).string() +
                " into conformance/" + (o_.proto == Proto::H2 ? "h2/cases_*.cc" : "h1/cases.cc"))
        << "}";
    first = false;
  }
  tri << "]}\n";
  std::ofstream(dir / "triage.json") << tri.str();
  // For scripts: the findings and the progress curve as TSV.
  std::ofstream tsv(dir / "findings.tsv");
  tsv << "id\tkind\ttarget\trule\tseconds\texec\thits\tunits\tconfirmed\tsummary\n";
  for (const auto& key : order_) {
    const Saved& s = saved_.at(key);
    std::string summary = s.f.summary;
    std::replace(summary.begin(), summary.end(), '\t', ' ');
    tsv << s.id << "\t" << to_string(s.f.kind) << "\t" << s.f.target << "\t" << s.f.rule << "\t"
        << fixed_digits(s.seconds, 2) << "\t" << s.exec << "\t" << s.hits << "\t"
        << s.minimal.units.size() << "\t" << (s.confirmed ? "yes" : "no") << "\t" << summary
        << "\n";
  }
  std::ofstream prog(dir / "progress.tsv");
  prog << "seconds\texecs\tcorpus\tbehaviours\tfindings\n";
  for (const auto& p : samples_) {
    prog << fixed_digits(p.seconds, 1) << "\t" << p.execs << "\t" << p.corpus << "\t"
         << p.behaviours << "\t" << p.findings << "\n";
  }
  out_ << execs_ << " cases in " << fixed_digits(secs, 1) << " s ("
       << fixed_digits(static_cast<double>(execs_) / secs, 1) << "/s; "
       << fixed_digits(exchange_s_, 1) << " s in exchanges, " << deadlines_
       << " of them ran into the deadline, " << fixed_digits(probe_s_, 1)
       << " s in liveness probes, " << fixed_digits(findings_s_, 1)
       << " s confirming and minimising), " << saved_.size() << " finding(s)" << std::endl;
  render(dir);
}

void Engine::render(const std::filesystem::path& dir) {
  if (o_.report_tool.empty()) {
    out_ << "report data in " << dir.string() << "/ (render it with python3 "
         << "fuzz/tools/report.py " << dir.string() << ")" << std::endl;
    return;
  }
  const std::string out = dir.string();
  const char* argv[] = {"python3", o_.report_tool.c_str(), out.c_str(), nullptr};
  pid_t pid = 0;
  int status = 1;
  if (posix_spawnp(&pid, "python3", nullptr, nullptr, const_cast<char**>(argv), environ) == 0) {
    waitpid(pid, &status, 0);
  }
  if (status != 0) {
    out_ << "crossmux fuzz: " << o_.report_tool << " could not render the report in " << out
         << std::endl;
  }
}

}  // namespace crossmux::fuzz::net
