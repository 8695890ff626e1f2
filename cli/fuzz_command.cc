// `crossmux fuzz h2|h1`: black-box and differential fuzzing of HTTP/2 and HTTP/1.1 servers and
// proxies over the network (the engine is fuzz/net/).
#include "cli/fuzz_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "fuzz/net/engine.h"

namespace crossmux::cli {

namespace {

namespace net = fuzz::net;

struct FuzzArgs {
  net::EngineOptions engine;
  net::Target single;
  std::vector<std::string> target_specs;
  int pid = 0;
  double timeout_s = 1;
  double rss_growth_mib = 64;
  bool allow_remote = false;
  bool no_minimize = false;
  bool no_conform_seeds = false;
  bool quiet = false;
  std::string replay;
};

// The corpus directories used when none is given, relative to the repository root.
std::vector<std::string> default_corpus(net::Proto p) {
  const std::vector<std::string> candidates =
      p == net::Proto::H2 ? std::vector<std::string>{"corpus/net/h2", "corpus/translate_h2_h1"}
                          : std::vector<std::string>{"corpus/net/h1", "corpus/h1_request"};
  std::vector<std::string> dirs;
  for (const auto& d : candidates) {
    if (std::filesystem::is_directory(d)) dirs.push_back(d);
  }
  return dirs;
}

// The report renderer shared with scripts/fuzz_overnight.sh: $CROSSMUX_REPORT_TOOL, else
// fuzz/tools/report.py of the source tree the binary was built in (build/<preset>/cli/crossmux),
// else of the current directory.
std::string find_report_tool() {
  if (const char* env = std::getenv("CROSSMUX_REPORT_TOOL")) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  for (const auto& candidate : {exe.parent_path() / "../../../fuzz/tools/report.py",
                                std::filesystem::current_path(ec) / "fuzz/tools/report.py"}) {
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return std::filesystem::weakly_canonical(candidate, ec).string();
    }
  }
  return "";
}

// Checks and completes the options; false (with a message) on a usage error.
bool prepare(FuzzArgs& a, net::Proto proto, std::string& error) {
  auto& e = a.engine;
  e.proto = proto;
  e.targets.clear();
  if (!a.target_specs.empty()) {
    if (!a.engine.exec.empty()) {
      error = "--exec works with one target (-h/-p), not with --target";
      return false;
    }
    for (const auto& spec : a.target_specs) {
      net::Target t;
      if (!net::parse_target(spec, t, error)) return false;
      t.path = a.single.path;
      e.targets.push_back(t);
    }
  } else {
    if (a.single.port == 0) {
      error = "give the target with -p PORT (and -h HOST), or --target for several";
      return false;
    }
    a.single.pid = a.pid;
    a.single.name = a.single.authority();
    e.targets.push_back(a.single);
  }
  if (!a.allow_remote) {
    for (const auto& t : e.targets) {
      std::string why;
      if (!net::is_loopback(t.host, why)) {
        error = "refusing to fuzz a non-loopback target (" + why +
                "); pass --allow-remote for a test host you own";
        return false;
      }
    }
  }
  e.exchange.timeout_ms = static_cast<int>(a.timeout_s * 1000);
  e.probe_timeout_ms = std::max(e.exchange.timeout_ms, 300);
  e.bounds.max_rss_growth_kb = static_cast<uint64_t>(a.rss_growth_mib * 1024);
  e.minimize = !a.no_minimize;
  e.conform_seeds = !a.no_conform_seeds;
  e.progress = !a.quiet;
  if (e.corpus_dirs.empty()) e.corpus_dirs = default_corpus(proto);
  if (e.out_dir.empty()) e.out_dir = "crossmux-fuzz-" + std::string(net::to_string(proto));
  e.report_tool = find_report_tool();
  return true;
}

void add_proto(CLI::App* fuzz, net::Proto proto, int& exit_code) {
  auto a = std::make_shared<FuzzArgs>();
  a->engine.out_dir.clear();  // prepare() names it after the protocol
  const bool h2 = proto == net::Proto::H2;
  auto* cmd = fuzz->add_subcommand(
      h2 ? "h2" : "h1",
      h2 ? "Fuzz an HTTP/2 server or proxy: frame sequences from the structured generator and\n"
           "the corpus (valid and invalid SETTINGS, HPACK blocks with and without the dynamic\n"
           "table, CONTINUATION splits, flow-control games, resets), mutated frame by frame"
         : "Fuzz an HTTP/1.1 server or proxy: request streams from the RFC 9112 grammar with its\n"
           "known ambiguities (Content-Length / Transfer-Encoding variants, obs-fold, bare LF and\n"
           "CR, chunk sizes and extensions, pipelining), mutated line by line");
  cmd->set_help_flag("--help", "Print this help and exit (-h is --host)");
  cmd->add_option("-h,--host", a->single.host, "Target host (loopback unless --allow-remote)")
      ->capture_default_str();
  cmd->add_option("-p,--port", a->single.port, "Target port");
  cmd->add_flag("-t,--tls", a->single.tls,
                std::string("Connect over TLS (ALPN ") + (h2 ? "h2" : "http/1.1") + ")");
  cmd->add_flag("-k,--insecure", a->single.insecure, "Do not verify the certificate");
  cmd->add_option("--target", a->target_specs,
                  "Differential mode: [NAME=]HOST:PORT[,pid=N][,tls][,insecure], repeated; every "
                  "case goes to each and their normalised verdicts are compared");
  cmd->add_option("-P,--path", a->single.path, "Path the liveness probe requests after each case")
      ->capture_default_str();
  cmd->add_option("--pid", a->pid,
                  "The target's process: watch its RSS and CPU (and its children's) and notice "
                  "when it dies");
  cmd->add_option("--exec", a->engine.exec,
                  "Start the target with this shell command (restarted after each crash, so "
                  "crashes are minimised too; its process is watched as with --pid)");
  cmd->add_option("-d,--duration", a->engine.seconds, "Seconds to fuzz (0: until Ctrl-C)")
      ->capture_default_str();
  cmd->add_option("-n,--count", a->engine.max_execs, "Stop after this many cases");
  cmd->add_option("--max-findings", a->engine.max_findings,
                  "Stop after this many distinct findings");
  cmd->add_option("--rate", a->engine.rate, "At most this many cases per second");
  cmd->add_option("--timeout", a->timeout_s,
                  "Seconds the target has to answer a case before it counts as a hang")
      ->capture_default_str();
  cmd->add_option("--probe-every", a->engine.probe_every,
                  "Liveness probe after every Nth case (always after a suspicious one)")
      ->capture_default_str();
  cmd->add_option("--seed", a->engine.seed, "Random seed")->capture_default_str();
  cmd->add_option("-c,--corpus", a->engine.corpus_dirs,
                  h2 ? "Seed directory or file, repeatable (default: corpus/net/h2 and "
                       "corpus/translate_h2_h1 when run from the repository)"
                     : "Seed directory or file, repeatable (default: corpus/net/h1 and "
                       "corpus/h1_request when run from the repository)");
  cmd->add_flag("--no-conform-seeds", a->no_conform_seeds,
                std::string("Do not seed with the bytes the `crossmux conform ") +
                    (h2 ? "h2` cases (generic, http2, hpack, rfc9113)" : "h1` cases") +
                    " send, recorded at the start against an in-process origin");
  cmd->add_option("-o,--out", a->engine.out_dir,
                  std::string("Output directory for findings and the report (default "
                              "crossmux-fuzz-") +
                      (h2 ? "h2" : "h1") + ")");
  cmd->add_option("--origin-record", a->engine.origin_record,
                  "Proxies: the --record file of the `crossmux origin` behind them; what reached "
                  "the origin is compared across targets and with what the client sent");
  cmd->add_flag("--no-minimize", a->no_minimize, "Save findings as found, not minimised");
  cmd->add_option("--minimize-budget", a->engine.minimize_budget,
                  "Re-runs allowed to minimise one finding")
      ->capture_default_str();
  cmd->add_option("--max-rss-growth", a->rss_growth_mib,
                  "MiB of RSS growth over the warmed-up baseline that count as a finding")
      ->capture_default_str();
  cmd->add_option("--max-cpu-ms", a->engine.bounds.max_cpu_ms,
                  "Target CPU milliseconds one case may cost before it counts as a finding")
      ->capture_default_str();
  cmd->add_flag("--allow-remote", a->allow_remote,
                "Allow targets that are not on loopback (only hosts you own and test)");
  cmd->add_option("--replay", a->replay,
                  "Send this saved .case file once to every target and print what happened");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress line");
  cmd->callback([a, proto, &exit_code] {
    std::string error;
    if (!prepare(*a, proto, error)) {
      std::cerr << "crossmux fuzz: " << error << "\n";
      exit_code = 2;
      return;
    }
    if (!a->replay.empty()) {
      std::ifstream f(a->replay, std::ios::binary);
      std::stringstream text;
      text << f.rdbuf();
      net::NetCase c;
      if (!f || !net::from_file(text.str(), c, error)) {
        std::cerr << "crossmux fuzz: " << a->replay << ": "
                  << (f ? error : std::string("cannot read it")) << "\n";
        exit_code = 2;
        return;
      }
      if (c.proto != proto) {
        std::cerr << "crossmux fuzz: " << a->replay << " is an " << net::to_string(c.proto)
                  << " case\n";
        exit_code = 2;
        return;
      }
      exit_code = net::replay_case(a->engine, c, std::cout);
      return;
    }
    exit_code = net::run_fuzz(a->engine, std::cout);
  });
}

}  // namespace

void add_fuzz_command(CLI::App& app, int& exit_code) {
  auto* fuzz = app.add_subcommand(
      "fuzz",
      "Black-box and differential fuzzing of HTTP/2 and HTTP/1.1 servers and proxies over the\n"
      "network. After each case a normal request on a fresh connection must still be served.\n"
      "Oracles: crash (refused, process gone), hang (owed answers missing at the deadline),\n"
      "liveness, protocol errors in what the target sent (parsed with crossmux's codecs),\n"
      "memory and CPU growth (--pid/--exec), disagreement between --target servers, and\n"
      "requests smuggled to the origin (--origin-record). Findings are minimised and saved as\n"
      "replayable cases, conform cases and scenarios. Exit status: 0 nothing found, 1 findings,\n"
      "2 usage or setup error. Loopback targets only unless --allow-remote.");
  fuzz->require_subcommand(1);
  add_proto(fuzz, net::Proto::H2, exit_code);
  add_proto(fuzz, net::Proto::H1, exit_code);
}

}  // namespace crossmux::cli
