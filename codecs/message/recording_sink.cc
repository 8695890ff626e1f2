// RecordingSink trace formatting.
#include "codecs/message/recording_sink.h"

#include <algorithm>
#include <cstdio>

#include "codecs/base/bytes.h"

namespace crossmux::codecs {

std::string_view to_string(EventKind k) {
  static constexpr std::string_view kNames[] = {"head",  "data",   "trailers",        "end",
                                                "reset", "goaway", "connection-error"};
  return kNames[static_cast<uint8_t>(k)];
}

// Appends one indented line per field (each line is built in place: the fuzzers record a trace
// per execution, so temporaries are worth avoiding).
static void append_fields(std::string& out, const HeaderList& list) {
  for (const auto& f : list) {
    out += "\n  field \"";
    out += escape_bytes(f.name);
    out += "\" \"";
    out += escape_bytes(f.value);
    out += '"';
    if (f.sensitive) out += " sensitive";
  }
}

// "<event> <stream>", the start of most lines.
static std::string event_line(std::string_view event, StreamId stream) {
  std::string line(event);
  line += ' ';
  line += std::to_string(stream);
  return line;
}

static std::string code_name(uint32_t code) {
  auto name = to_string(static_cast<H2Code>(code));
  if (name != "UNKNOWN") return std::string(name);
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", code);
  return hex;
}

void RecordingSink::push(EventKind kind, StreamId stream, std::string line) {
  if (lines_.capacity() == 0) {  // one allocation for a typical trace, not a doubling series
    lines_.reserve(8);
    kinds_.reserve(8);
  }
  last_was_data_ = kind == EventKind::Data;
  last_data_stream_ = stream;
  lines_.push_back(std::move(line));
  kinds_.push_back(kind);
}

void RecordingSink::on_head(StreamId stream, MessageHead& head) {
  const std::string summary = describe(head);
  std::string line = event_line("head", stream);
  line.reserve(line.size() + 1 + summary.size() + 24 * head.headers.size());
  line += ' ';
  line += summary;
  append_fields(line, head.headers);
  push(EventKind::Head, stream, std::move(line));
}

void RecordingSink::on_data(StreamId stream, Bytes data) {
  auto it = std::find_if(bodies_.begin(), bodies_.end(),
                         [stream](const auto& p) { return p.first == stream; });
  if (it == bodies_.end()) {
    bodies_.emplace_back(stream, std::string());
    it = bodies_.end() - 1;
  }
  it->second.append(as_chars(data));
  if (data.empty()) return;  // empty DATA carries nothing worth a trace line
  std::string escaped = escape_bytes(as_chars(data));
  if (last_was_data_ && last_data_stream_ == stream) {
    std::string& line = lines_.back();
    line.insert(line.size() - 1, escaped);  // before the closing quote
    return;
  }
  std::string line = event_line("data", stream);
  line += " \"";
  line += escaped;
  line += '"';
  push(EventKind::Data, stream, std::move(line));
}

void RecordingSink::on_trailers(StreamId stream, HeaderList& trailers) {
  std::string line = event_line("trailers", stream);
  append_fields(line, trailers);
  push(EventKind::Trailers, stream, std::move(line));
}

void RecordingSink::on_end_of_message(StreamId stream) {
  push(EventKind::EndOfMessage, stream, event_line("end", stream));
}

void RecordingSink::on_reset(StreamId stream, uint32_t code) {
  std::string line = event_line("reset", stream);
  line += ' ';
  line += code_name(code);
  push(EventKind::Reset, stream, std::move(line));
}

void RecordingSink::on_goaway(StreamId last_stream_id, uint32_t code, std::string_view debug) {
  push(EventKind::GoAway, 0,
       "goaway " + std::to_string(last_stream_id) + " " + code_name(code) + " \"" +
           escape_bytes(debug) + "\"");
}

void RecordingSink::on_connection_error(const Error& error) {
  push(EventKind::ConnectionError, 0, "connection-error " + to_string(error));
}

std::string RecordingSink::trace() const {
  std::string out;
  size_t size = 0;
  for (const auto& l : lines_) size += l.size() + 1;
  out.reserve(size);
  for (const auto& l : lines_) {
    out += l;
    out += '\n';
  }
  return out;
}

size_t RecordingSink::count(EventKind k) const {
  return static_cast<size_t>(std::count(kinds_.begin(), kinds_.end(), k));
}

std::string RecordingSink::body(StreamId stream) const {
  for (const auto& [id, bytes] : bodies_) {
    if (id == stream) return bytes;
  }
  return {};
}

void RecordingSink::clear() {
  lines_.clear();
  kinds_.clear();
  bodies_.clear();
  last_was_data_ = false;
  last_data_stream_ = 0;
}

}  // namespace crossmux::codecs
