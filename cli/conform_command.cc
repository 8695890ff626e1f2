// `crossmux conform h2`: h2spec's flags, spec-id selection, JUnit output and exit status.
#include "cli/conform_command.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "conformance/h1/suite.h"
#include "conformance/h2/suite.h"
#include "conformance/runner.h"
#include "conformance/translate/replay.h"

namespace crossmux::cli {

namespace {

struct H2Options {
  conformance::h2::Target target;
  conformance::RunOptions run;
  std::vector<std::string> specs;
  bool all = false;
  double timeout_s = 2;
};

// The spec ids to run: "h2spec" stands for h2spec's groups; no ids means h2spec's groups;
// --all runs everything.
std::vector<std::string> h2_specs(const std::vector<std::string>& given, bool all) {
  if (all) return {};
  std::vector<std::string> out;
  for (const auto& s : given) {
    if (s == "h2spec") {
      out.insert(out.end(), conformance::h2::kH2specGroups.begin(),
                 conformance::h2::kH2specGroups.end());
    } else {
      out.push_back(s);
    }
  }
  return out.empty() ? conformance::h2::kH2specGroups : out;
}

struct H1Options {
  conformance::h1::Target target;
  conformance::RunOptions run;
  std::vector<std::string> specs;
  double timeout_s = 2;
};

void add_h1(CLI::App* conform, int& exit_code) {
  auto opts = std::make_shared<H1Options>();
  auto* h1 = conform->add_subcommand(
      "h1",
      "HTTP/1.1 server or proxy conformance: RFC 9112/9110 syntax and framing, and the "
      "request smuggling classes, each with its accepted verdicts");
  h1->set_help_flag("--help", "Print this help and exit (-h is --host)");
  h1->add_option("specs", opts->specs,
                 "Spec ids to run, with prefix selection: http1/6, http1/7.1/3");
  h1->add_option("-h,--host", opts->target.host, "Target host")->capture_default_str();
  h1->add_option("-p,--port", opts->target.port, "Target port (default 80, or 443 with --tls)");
  h1->add_flag("-t,--tls", opts->target.tls, "Connect over TLS (ALPN http/1.1)");
  h1->add_flag("-k,--insecure", opts->target.insecure, "Do not verify the server certificate");
  h1->add_option("-o,--timeout", opts->timeout_s, "Seconds to wait for each read")
      ->capture_default_str();
  h1->add_option("-P,--path", opts->target.path, "The request target of every request")
      ->capture_default_str();
  h1->add_option("-j,--junit-report,--junit", opts->run.junit_path,
                 "Write a JUnit XML report to this file");
  h1->add_flag("--dryrun,--dry-run", opts->run.dry_run,
               "List the cases that would run, run nothing");
  h1->callback([opts, &exit_code] {
    opts->target.timeout_ms = static_cast<int>(opts->timeout_s * 1000);
    opts->run.specs = opts->specs;
    opts->run.color = opts->run.progress = ::isatty(STDOUT_FILENO) != 0;
    auto summary =
        conformance::run(conformance::h1::build_suite(opts->target), opts->run, std::cout);
    exit_code = summary.exit_status();
  });
}

struct TranslateOptions {
  conformance::translate::ProxyTarget target;
  conformance::RunOptions run;
  std::vector<std::string> specs;
  std::string scenarios = "corpus/translate";
  double timeout_s = 2;
};

void add_translate(CLI::App* conform, int& exit_code) {
  auto opts = std::make_shared<TranslateOptions>();
  auto* tr = conform->add_subcommand(
      "translate",
      "Replays translation scenarios through a proxy in all four pairings (HTTP/1.1 and HTTP/2\n"
      "clients; HTTP/1.1 and h2c backends) and checks, from the record file of the `crossmux "
      "origin`\n"
      "behind the proxy, that a malformed request never reaches the backend and that a valid one\n"
      "arrives exactly once, equal to what was sent; and that the client gets back the status,\n"
      "1xx responses, fields, body and trailers the scenario lists (corpus/translate/README.md).\n"
      "The proxy routes --h1-authority to an HTTP/1.1 backend and --h2-authority to an h2c\n"
      "backend, both that origin.");
  tr->set_help_flag("--help", "Print this help and exit (-h is --host)");
  tr->add_option("specs", opts->specs, "Spec ids to run, with prefix selection: translate/h2-h1");
  tr->add_option("-h,--host", opts->target.host, "Proxy host")->capture_default_str();
  tr->add_option("-p,--port", opts->target.port, "Proxy port")->required();
  tr->add_flag("-t,--tls", opts->target.tls, "Connect over TLS (ALPN h2 or http/1.1)");
  tr->add_flag("-k,--insecure", opts->target.insecure, "Do not verify the proxy's certificate");
  tr->add_option("-r,--record", opts->target.record_path, "The origin's --record file")->required();
  tr->add_option("-s,--scenarios", opts->scenarios, "Directory of *.scenario files")
      ->capture_default_str();
  tr->add_option("--h1-authority", opts->target.h1_authority,
                 "Authority routed to the HTTP/1.1 backend")
      ->capture_default_str();
  tr->add_option("--h2-authority", opts->target.h2_authority, "Authority routed to the h2c backend")
      ->capture_default_str();
  tr->add_option("-o,--timeout", opts->timeout_s, "Seconds to wait for each read")
      ->capture_default_str();
  tr->add_option("-j,--junit-report,--junit", opts->run.junit_path,
                 "Write a JUnit XML report to this file");
  tr->add_flag("--dryrun,--dry-run", opts->run.dry_run,
               "List the cases that would run, run nothing");
  tr->callback([opts, &exit_code] {
    std::vector<std::string> errors;
    auto scenarios = conformance::translate::load_scenarios(opts->scenarios, errors);
    for (const auto& e : errors) std::cerr << "crossmux conform translate: " << e << "\n";
    if (!errors.empty() || scenarios.empty()) {
      if (scenarios.empty())
        std::cerr << "crossmux conform translate: no scenarios in " << opts->scenarios << "\n";
      exit_code = 2;
      return;
    }
    opts->target.timeout_ms = static_cast<int>(opts->timeout_s * 1000);
    opts->run.specs = opts->specs;
    opts->run.color = opts->run.progress = ::isatty(STDOUT_FILENO) != 0;
    auto suite = conformance::translate::build_suite(opts->target, scenarios);
    exit_code = conformance::run(suite, opts->run, std::cout).exit_status();
  });
}

}  // namespace

void add_conform_command(CLI::App& app, int& exit_code) {
  auto* conform =
      app.add_subcommand("conform", "Conformance suites against any HTTP/2 or HTTP/1.1 server");
  conform->require_subcommand(1);

  add_h1(conform, exit_code);
  add_translate(conform, exit_code);
  auto opts = std::make_shared<H2Options>();
  auto* h2 = conform->add_subcommand(
      "h2",
      "HTTP/2 server conformance. By default h2spec's set: the generic, http2 and hpack groups\n"
      "with h2spec's case ids and verdicts (146 cases, 147 with --strict). crossmux's additions,\n"
      "run with --all or by naming them, are reported apart: rfc9113 (RFC 9113 §8 field and\n"
      "pseudo-header rules, content-length, RFC 8441, RFC 9218 and RFC 7541 integer limits and\n"
      "table eviction, RFC 9113 §6.9.1 receive-side flow control, which h2spec does not test)\n"
      "and abuse (RFC 9113 §10.5 denial-of-service limits: floods, resets, CONTINUATION, HPACK\n"
      "bombs, each also checking the server still serves).");
  h2->set_help_flag("--help", "Print this help and exit (-h is --host, as in h2spec)");
  h2->add_option(
      "specs", opts->specs,
      "Spec ids to run, with prefix selection: generic, http2/6.5, http2/6.5/1, hpack;\n"
      "h2spec (the default) = generic http2 hpack; rfc9113, abuse: crossmux's additions");
  h2->add_option("-h,--host", opts->target.host, "Target host")->capture_default_str();
  h2->add_option("-p,--port", opts->target.port, "Target port (default 80, or 443 with --tls)");
  h2->add_flag("-t,--tls", opts->target.tls, "Connect over TLS (ALPN h2)");
  h2->add_flag("-k,--insecure", opts->target.insecure, "Do not verify the server certificate");
  h2->add_option("-o,--timeout", opts->timeout_s, "Seconds to wait for each read")
      ->capture_default_str();
  h2->add_option("-P,--path", opts->target.path, "The :path of every request")
      ->capture_default_str();
  h2->add_option("--max-header-length", opts->target.max_header_length,
                 "Length of each dummy header value in CONTINUATION and frame-size cases")
      ->capture_default_str();
  h2->add_option("-j,--junit-report,--junit", opts->run.junit_path,
                 "Write a JUnit XML report to this file (h2spec's attributes plus ours)");
  h2->add_flag("-S,--strict", opts->run.strict, "Also run strict (SHOULD-level) cases");
  h2->add_flag("--all", opts->all,
               "Also run crossmux's additions: rfc9113 and abuse (as naming them does)");
  h2->add_flag("--dryrun,--dry-run", opts->run.dry_run,
               "List the cases that would run, run nothing");
  h2->add_flag("-v,--verbose", opts->target.verbose, "Print every frame sent and received");
  h2->callback([opts, &exit_code] {
    opts->target.timeout_ms = static_cast<int>(opts->timeout_s * 1000);
    opts->run.specs = h2_specs(opts->specs, opts->all);
    opts->run.parts = conformance::h2::suite_parts();
    opts->run.color = opts->run.progress = ::isatty(STDOUT_FILENO) != 0;
    opts->run.progress = opts->run.progress && !opts->target.verbose;
    auto suite = conformance::h2::build_suite(opts->target);
    auto summary = conformance::run(suite, opts->run, std::cout);
    exit_code = summary.exit_status();
  });
}

}  // namespace crossmux::cli
