// NetCase: what one fuzzed connection sends (HTTP/2 frames or HTTP/1.1 lines, with pauses), and
// its replayable text file form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crossmux::fuzz::net {

enum class Proto : uint8_t { H1 = 0, H2 = 1 };
// "h1" or "h2".
std::string_view to_string(Proto p);

inline constexpr std::string_view kH2ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// The bytes of one connection, in units. HTTP/2: unit 0 is normally the client preface, every
// other unit one frame (or raw bytes a mutation made). HTTP/1.1: one line each, terminator
// included, or a piece of body. An empty unit is a pause: what came before is written and the
// sender waits kPauseMs (reading what arrives meanwhile) before going on. Units are what
// mutation and minimisation add, remove and reorder.
struct NetCase {
  Proto proto = Proto::H2;
  std::vector<std::string> units;

  // Everything concatenated (pauses contribute nothing).
  std::string wire() const;
  size_t size() const;
};

inline constexpr int kPauseMs = 5;

// Cuts bytes into units. HTTP/2: the preface when the bytes start with it, then whole frames by
// their 24-bit length (a cut-short tail stays one raw unit). HTTP/1.1: lines ending in LF; bytes
// after the last LF are one unit.
std::vector<std::string> split_units(Proto proto, std::string_view wire);

// One line per unit for reports and case files: "PREFACE", "HEADERS stream=1
// flags=END_STREAM|END_HEADERS length=18", "raw 7 bytes", "pause", or an escaped HTTP/1.1 line.
std::string describe_unit(Proto proto, std::string_view unit);
// The frame types of an HTTP/2 case or the line kinds of an HTTP/1.1 one, space separated
// ("PREFACE SETTINGS HEADERS[ES,EH] DATA[ES]" / "request-line header:host empty body"): what
// tells two minimised findings apart.
std::string shape(const NetCase& c);

// Printable escapes: \r \n \t \\ and \xNN for every byte outside printable ASCII (and '#').
std::string escape(std::string_view bytes);
// Inverse of escape(): \r \n \t \0 \\ \xNN (the corpus/translate escapes). False on a malformed
// escape.
bool unescape(std::string_view text, std::string& out);

// The replayable file: '#' comment lines (each of `comments` becomes one), "proto: h1|h2", then
// one "unit: <escaped bytes>" per unit or "pause", HTTP/2 units preceded by a comment naming the
// frame. from_file() accepts what to_file() writes, blank lines and any comments; errors name the
// line ("line 4: unknown directive").
std::string to_file(const NetCase& c, const std::vector<std::string>& comments);
bool from_file(std::string_view text, NetCase& out, std::string& error);

}  // namespace crossmux::fuzz::net
