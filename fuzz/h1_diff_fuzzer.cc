// h1_diff: requests through our decoder and strict llhttp. We may reject what llhttp accepts
// (we are stricter: see the allowlist in codecs/reference/llhttp_adapter.h), but never the
// reverse except where the RFCs call valid what llhttp refuses (the allowlist below), and when
// both accept, the messages (boundaries, method, target, fields, bodies) match.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/h1/decoder.h"
#include "codecs/message/recording_sink.h"
#include "codecs/reference/llhttp_adapter.h"
#include "fuzz/common/fuzz_input.h"

using namespace crossmux;

namespace {

struct Verdict {
  bool ok = true;
  std::string trace;
  std::string error;  // the connection-error line, if any
};

// llhttp rejects methods it does not know; RFC 9110 §9.1 allows any token, and so do we.
bool allowlisted(const Verdict& llhttp) {
  return llhttp.error.find("HPE_INVALID_METHOD") != std::string::npos;
}

// llhttp starts a tunnel for Upgrade in an HTTP/1.0 request; RFC 9110 §7.8 says a server MUST
// ignore Upgrade in HTTP/1.0, as we do (regressions/h1_diff/llhttp-upgrade-in-http10).
bool http10_upgrade(const Verdict& llhttp) {
  for (size_t at = 0; (at = llhttp.trace.find("HTTP/1.0 ", at)) != std::string::npos; ++at) {
    size_t eol = llhttp.trace.find('\n', at);
    if (llhttp.trace.substr(at, eol - at).find("framing=tunnel") != std::string::npos) return true;
  }
  return false;
}

// The Content-Length values (escaped as the trace shows them) of the head that starts `trace` at
// `from`: its `  field "Content-Length" "..."` lines, any case of the name (none if no head is
// there).
std::vector<std::string> content_lengths_of_head_at(const std::string& trace, size_t from) {
  std::vector<std::string> out;
  if (trace.compare(from, 5, "head ") != 0) return out;
  for (size_t at = trace.find('\n', from);
       at != std::string::npos && trace.compare(at, 10, "\n  field \"") == 0;
       at = trace.find('\n', at + 1)) {
    std::string name = trace.substr(at + 10, 15);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "content-length\"") continue;
    const size_t open = at + 10 + 15 + 2, close = trace.find('"', open);
    if (close != std::string::npos) out.push_back(trace.substr(open, close - open));
  }
  return out;
}

// llhttp rejects every repeated Content-Length (HPE_UNEXPECTED_CONTENT_LENGTH for a second line,
// HPE_INVALID_CONTENT_LENGTH for a list in one, "5, 5"); RFC 9110 §8.6 lets a recipient collapse a
// list of identical decimal values instead, which we do (llhttp_adapter.h "Content-Length"; the
// encoder then writes one). Allowed only when llhttp stopped exactly before a request of ours
// (its trace is a prefix of ours) whose Content-Length lines and list elements are all 1*DIGIT of
// one value, more than one of them. Found by the CI fuzz run (regressions/h1_diff/
// duplicate-identical-content-length) and by a fuzzwatch run (content-length-list-in-one-line).
bool duplicate_content_length(const Verdict& ours, const Verdict& llhttp) {
  if (llhttp.error.find("HPE_UNEXPECTED_CONTENT_LENGTH") == std::string::npos &&
      llhttp.error.find("HPE_INVALID_CONTENT_LENGTH") == std::string::npos) {
    return false;
  }
  if (ours.trace.compare(0, llhttp.trace.size(), llhttp.trace) != 0) return false;
  size_t elements = 0;
  std::string first;  // the value, leading zeros stripped
  for (const std::string& v : content_lengths_of_head_at(ours.trace, llhttp.trace.size())) {
    for (size_t at = 0; at <= v.size();) {
      size_t comma = v.find(',', at);
      if (comma == std::string::npos) comma = v.size();
      std::string e = v.substr(at, comma - at);
      at = comma + 1;
      for (size_t tab; (tab = e.find("\\t")) != std::string::npos;) e.replace(tab, 2, " ");
      const size_t b = e.find_first_not_of(' '), l = e.find_last_not_of(' ');
      if (b == std::string::npos) return false;
      e = e.substr(b, l + 1 - b);
      if (e.find_first_not_of("0123456789") != std::string::npos) return false;
      e.erase(0, std::min(e.find_first_not_of('0'), e.size() - 1));
      if (elements++ == 0) first = e;
      if (e != first) return false;
    }
  }
  return elements >= 2;
}

// Transfer-Encoding field values our trace shows (`  field "Transfer-Encoding" "..."`).
std::vector<std::string> transfer_encodings(const Verdict& ours) {
  std::vector<std::string> out;
  for (size_t at = 0; (at = ours.trace.find("  field \"", at)) != std::string::npos; ++at) {
    std::string name = ours.trace.substr(at + 9, 18);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name != "transfer-encoding\"") continue;
    const size_t open = at + 9 + 18 + 2, close = ours.trace.find('"', open);
    if (close != std::string::npos) out.push_back(ours.trace.substr(open, close - open));
  }
  return out;
}

// llhttp refuses empty list elements after the last coding ("chunked,"); RFC 9110 §5.6.1 says a
// recipient MUST ignore them, as we do (field_facts.cc).
bool te_empty_element(const Verdict& ours, const Verdict& llhttp) {
  if (llhttp.error.find("HPE_INVALID_TRANSFER_ENCODING") == std::string::npos) return false;
  for (const std::string& v : transfer_encodings(ours)) {
    std::string compact;
    for (char c : v) {
      if (c != ' ' && c != '\t') compact += c;
    }
    if (compact.empty()) continue;
    if (compact.front() == ',' || compact.back() == ',' ||
        compact.find(",,") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// llhttp refuses BWS in chunk extensions ("5 ; a = b"); RFC 9112 §7.1.1 allows it before ";" and
// around "=", and so do we (chunked.cc). Allowed when some line of the input is a chunk-size line
// with whitespace in its extensions.
bool chunk_ext_bws(std::span<const uint8_t> input, const Verdict& llhttp) {
  if (llhttp.error.find("HPE_INVALID_CHUNK_SIZE") == std::string::npos &&
      llhttp.error.find("HPE_STRICT") == std::string::npos) {
    return false;
  }
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  for (size_t at = 0; at < text.size();) {
    size_t eol = text.find("\r\n", at);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(at, eol - at);
    size_t hex = 0;
    while (hex < line.size() && std::isxdigit(static_cast<unsigned char>(line[hex]))) ++hex;
    const size_t semi = line.find(';', hex);
    if (hex > 0 && semi != std::string_view::npos &&
        line.substr(hex).find_first_of(" \t") != std::string_view::npos &&
        line.substr(hex, semi - hex).find_first_not_of(" \t") == std::string_view::npos) {
      return true;
    }
    at = eol + 2;
  }
  return false;
}

// llhttp refuses HTTP/1.2 and up; RFC 9110 §2.5 says to process a higher minor version as the
// highest one implemented, as we do (the trace shows HTTP/1.1).
bool higher_minor_version(std::span<const uint8_t> input, const Verdict& llhttp) {
  if (llhttp.error.find("HPE_INVALID_VERSION") == std::string::npos) return false;
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  for (size_t at = 0; (at = text.find("HTTP/1.", at)) != std::string_view::npos; ++at) {
    if (at + 7 < text.size() && text[at + 7] >= '2' && text[at + 7] <= '9') return true;
  }
  return false;
}

// llhttp refuses a horizontal tab after the Content-Length digits (it skips only spaces); RFC 9110
// §5.5 strips OWS, SP or HTAB, around every field value, as we do. Allowed when some line of the
// input is a Content-Length field whose digits are followed by OWS holding a tab (found by the
// fuzz_ci run: regressions/h1_diff/content-length-trailing-htab).
bool content_length_trailing_htab(std::span<const uint8_t> input, const Verdict& llhttp) {
  if (llhttp.error.find("HPE_INVALID_CONTENT_LENGTH") == std::string::npos) return false;
  const std::string_view text(reinterpret_cast<const char*>(input.data()), input.size());
  constexpr std::string_view kName = "content-length:";
  for (size_t at = 0; at < text.size();) {
    size_t eol = text.find("\r\n", at);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(at, eol - at);
    at = eol + 2;
    if (line.size() <= kName.size()) continue;
    bool named = true;
    for (size_t i = 0; i < kName.size() && named; ++i) {
      named = std::tolower(static_cast<unsigned char>(line[i])) == kName[i];
    }
    if (!named) continue;
    const std::string_view value = line.substr(kName.size());
    const size_t digits = value.find_first_not_of(" \t");
    if (digits == std::string_view::npos) continue;
    const size_t end = value.find_first_not_of("0123456789", digits);
    if (end == digits || end == std::string_view::npos) continue;
    const std::string_view tail = value.substr(end);
    if (tail.find_first_not_of(" \t") == std::string_view::npos &&
        tail.find('\t') != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// llhttp starts a tunnel for an Upgrade whose value holds only empty list elements ("Upgrade: ,");
// RFC 9110 §5.6.1 says to ignore empty elements, so no protocol is asked for and we parse what
// follows as requests (field_facts.cc; regressions/h1_diff/upgrade-empty-list-is-no-upgrade).
// True when some request llhttp tunnelled has Upgrade fields and every one is only commas and
// whitespace.
bool empty_upgrade_list(const Verdict& llhttp) {
  // A head line ends "framing=tunnel" or goes on with flags ("framing=tunnel expect-continue").
  for (size_t at = 0; (at = llhttp.trace.find("framing=tunnel", at)) != std::string::npos;) {
    at += 14;
    if (at < llhttp.trace.size() && llhttp.trace[at] != '\n' && llhttp.trace[at] != ' ') continue;
    at = llhttp.trace.find('\n', at) + 1;
    size_t upgrades = 0, empty = 0;
    while (llhttp.trace.compare(at, 9, "  field \"") == 0) {
      const size_t eol = llhttp.trace.find('\n', at);
      const std::string line = llhttp.trace.substr(at, eol - at);
      at = eol + 1;
      std::string name = line.substr(9, 8);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name != "upgrade\"" || line.size() < 9 + 8 + 3) continue;
      ++upgrades;
      const std::string value = line.substr(9 + 8 + 2, line.size() - (9 + 8 + 2) - 1);
      empty += value.find_first_not_of(", \t") == std::string::npos;
    }
    if (upgrades > 0 && upgrades == empty) return true;
  }
  return false;
}

template <class Decoder>
Verdict run(Decoder& d, std::span<const uint8_t> input) {
  codecs::RecordingSink sink;
  auto r = d.feed(codecs::Bytes(input.data(), input.size()), sink);
  Verdict v;
  v.ok = r.has_value();
  if (v.ok) v.ok = d.finish(sink).has_value();
  // Compare only message events: errors differ in status and detail by design.
  auto is_error = [](const std::string& line) { return line.rfind("connection-error", 0) == 0; };
  size_t bytes = 0;
  for (const auto& line : sink.lines()) bytes += is_error(line) ? 0 : line.size() + 1;
  v.trace.reserve(bytes);  // one allocation, not one per doubling
  for (const auto& line : sink.lines()) {
    if (!is_error(line)) {
      v.trace += line;
      v.trace += '\n';
    } else {
      v.error = line;
    }
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  codecs::h1::Decoder ours(codecs::MessageKind::Request);
  codecs::reference::LlhttpDecoder theirs(codecs::MessageKind::Request);
  std::span<const uint8_t> input(data, size);
  Verdict a = run(ours, input);
  Verdict b = run(theirs, input);
  if (a.ok && !b.ok && !allowlisted(b) && !duplicate_content_length(a, b) &&
      !te_empty_element(a, b) && !chunk_ext_bws(input, b) && !higher_minor_version(input, b) &&
      !content_length_trailing_htab(input, b)) {  // we accepted what strict llhttp refuses
    std::fprintf(stderr,
                 "h1_diff: we accepted what llhttp refuses (%s)\n--- ours\n%s--- llhttp\n%s",
                 b.error.c_str(), a.trace.c_str(), b.trace.c_str());
    std::abort();
  }
  if (a.ok && b.ok && a.trace != b.trace && !http10_upgrade(b) && !empty_upgrade_list(b)) {
    std::fprintf(stderr, "h1_diff: traces differ\n--- ours\n%s--- llhttp\n%s", a.trace.c_str(),
                 b.trace.c_str());
    std::abort();
  }
  return 0;
}
