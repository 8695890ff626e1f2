// Translation scenarios: human-readable files (corpus/translate/*.scenario) saying what a client
// sends through the proxy and what the backend and the client must see, replayed in all four
// protocol pairings.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace crossmux::conformance::translate {

// Verdicts (attacks-and-fuzzing.md §3): a malformed request is never forwarded; a forwarded one
// arrives exactly once and equal to what was sent, after the documented normalisations
// (codecs/message/translate.h).
enum class Expect : uint8_t {
  Rejected = 0,             // the client gets 4xx, RST_STREAM or a close; the backend gets nothing
  Forwarded = 1,            // the backend gets exactly one request equal to the one sent
  RejectedOrForwarded = 2,  // either of the above, never a malformed or second request
  // The client is refused; the backend got nothing, or one request with the same method and path
  // whose body stopped where the declared length said (a proxy that streams the head before the
  // body contradicts its content-length, then aborts), and never a second, smuggled request.
  NotSmuggled = 3,
};

using Field = std::pair<std::string, std::string>;

// File format, one directive per line ('#' starts a comment; values take \r \n \t \0 \\ \xNN):
//   title: <one line>
//   class: <letter or name from attacks-and-fuzzing.md §3>
//   clients: h1 | h2 | both            (default both)
//   method: GET
//   path: /echo                        (the runner appends ?scenario=<id>-<pairing>)
//   header: name: value                (repeatable, sent as given)
//   body: <bytes>                      (repeatable, concatenated)
//   trailer: name: value               (repeatable; H1 clients send them with chunked)
//   raw-h1: <bytes>                    (H1 clients send exactly this; {target} {host} expand)
//   expect: rejected | forwarded | rejected-or-forwarded | not-smuggled
//   status: 200                        (the client's status when forwarded)
//   backend-header: name: value        (must arrive, name compared case-insensitively)
//   backend-no-header: name            (must not arrive)
struct Scenario {
  std::string id;     // file name without extension
  std::string title;
  std::string klass;
  bool h1_client = true;
  bool h2_client = true;
  std::string method = "GET";
  std::string path = "/";
  std::vector<Field> headers;
  std::string body;
  std::vector<Field> trailers;
  std::string raw_h1;
  Expect expect = Expect::Forwarded;
  int status = 200;
  std::vector<Field> backend_headers;
  std::vector<std::string> backend_absent;
};

// Parses one file's text; returns false with `error` ("line 3: unknown directive ...").
bool parse_scenario(const std::string& id, const std::string& text, Scenario& out, std::string& error);
// Every *.scenario under `dir`, sorted by file name; errors are collected, not fatal.
std::vector<Scenario> load_scenarios(const std::string& dir, std::vector<std::string>& errors);
// \r \n \t \0 \\ \xNN.
std::string unescape(std::string_view s);

}  // namespace crossmux::conformance::translate
