// h2spec verdict semantics.
#include "conformance/h2/verdicts.h"

#include <algorithm>
#include <optional>

namespace crossmux::conformance::h2 {

namespace {

bool contains(std::initializer_list<uint32_t> codes, uint32_t c) {
  return std::find(codes.begin(), codes.end(), c) != codes.end();
}

std::vector<std::string> expected_codes(const char* frame, std::initializer_list<uint32_t> codes) {
  std::vector<std::string> out;
  for (uint32_t c : codes)
    out.push_back(std::string(frame) + " Frame (Error Code: " + error_code_name(c) + ")");
  return out;
}

}  // namespace

Outcome wait(Probe& p, std::vector<std::string> expected, bool close_passes,
             const std::function<std::optional<bool>(const Frame&)>& accept) {
  std::string actual = "Timeout";
  while (true) {
    Event e = p.next_event();
    if (e.kind == Event::Kind::Frame) {
      actual = e.describe();
      if (auto verdict = accept(e.frame)) {
        return *verdict ? Outcome::pass() : Outcome::fail(std::move(expected), actual);
      }
      continue;
    }
    // h2spec counts only a clean EOF or a reset as "connection closed" (Probe::next_event);
    // an EOF inside a frame, a frame its reader refuses, or a read error fails every verdict.
    if (e.kind == Event::Kind::Closed && close_passes) return Outcome::pass();
    if (e.kind == Event::Kind::Closed || e.kind == Event::Kind::Error) {
      return Outcome::fail(std::move(expected), e.describe());
    }
    return Outcome::fail(std::move(expected),
                         actual == "Timeout" ? "Timeout" : actual + " (then Timeout)");
  }
}

Outcome expect_conn_error(Probe& p, std::initializer_list<uint32_t> codes) {
  auto expected = expected_codes("GOAWAY", codes);
  expected.push_back("Connection closed");
  return wait(p, expected, true, [&](const Frame& f) -> std::optional<bool> {
    if (f.type == kGoAway && contains(codes, f.error_code())) return true;
    return std::nullopt;
  });
}

Outcome expect_stream_error(Probe& p, std::initializer_list<uint32_t> codes) {
  auto expected = expected_codes("GOAWAY", codes);
  auto rst = expected_codes("RST_STREAM", codes);
  expected.insert(expected.end(), rst.begin(), rst.end());
  expected.push_back("Connection closed");
  return wait(p, expected, true, [&](const Frame& f) -> std::optional<bool> {
    if ((f.type == kGoAway || f.type == kRstStream) && contains(codes, f.error_code())) return true;
    return std::nullopt;
  });
}

namespace {

// The wait shared by expect_malformed and expect_decoding_error: `accept` decides a frame as in
// wait(); a close passes. A server answers a request only after it has decoded and checked it,
// so once a response (or RST_STREAM) ends `stream` the error the case needs would follow right
// behind it if at all, and the wait shrinks to kAfterAnswerMs instead of the read timeout (a
// server may answer before reading the whole request, a 405 to a POST, and reset the stream
// over what came next).
Outcome wait_after_answer(Probe& p, uint32_t stream, const std::vector<std::string>& expected,
                          const std::function<std::optional<bool>(const Frame&)>& accept) {
  constexpr int kAfterAnswerMs = 250;
  std::string actual = "Timeout";
  bool answered = false;
  while (true) {
    Event e = answered ? p.next_event_within(std::min(p.target().timeout_ms, kAfterAnswerMs))
                       : p.next_event();
    if (e.kind == Event::Kind::Frame) {
      const Frame& f = e.frame;
      if (auto verdict = accept(f)) {
        return *verdict ? Outcome::pass() : Outcome::fail(expected, e.describe());
      }
      const bool ends = f.stream == stream &&
                        (((f.type == kHeaders || f.type == kData) && (f.flags & kEndStream)) ||
                         f.type == kRstStream);
      if (!answered) actual = e.describe();
      answered = answered || ends;
      continue;
    }
    if (e.kind == Event::Kind::Closed) return Outcome::pass();
    if (e.kind == Event::Kind::Error) return Outcome::fail(expected, e.describe());
    if (answered) return Outcome::fail(expected, actual + " (the request was answered)");
    return Outcome::fail(expected, actual == "Timeout" ? actual : actual + " (then Timeout)");
  }
}

}  // namespace

Outcome expect_malformed(Probe& p, uint32_t stream) {
  auto expected = expected_codes("GOAWAY", {kProtocolError});
  auto rst = expected_codes("RST_STREAM", {kProtocolError});
  expected.insert(expected.end(), rst.begin(), rst.end());
  expected.push_back("Connection closed");
  return wait_after_answer(p, stream, expected, [&](const Frame& f) -> std::optional<bool> {
    if ((f.type == kGoAway || f.type == kRstStream) && f.error_code() == kProtocolError)
      return true;
    // RST_STREAM NO_ERROR after a response only asks the client to stop sending (RFC 9113
    // §8.1); any other code ends the stream without the error the case needs.
    if (f.stream == stream && f.type == kRstStream && f.error_code() != kNoError) return false;
    return std::nullopt;
  });
}

Outcome expect_decoding_error(Probe& p, uint32_t stream) {
  auto expected = expected_codes("GOAWAY", {kCompressionError});
  expected.push_back("Connection closed");
  return wait_after_answer(p, stream, expected, [](const Frame& f) -> std::optional<bool> {
    if (f.type == kGoAway && f.error_code() == kCompressionError) return true;
    return std::nullopt;
  });
}

Outcome expect_response(Probe& p, uint32_t stream) {
  return wait(p, {"HEADERS Frame (stream_id:" + std::to_string(stream) + ")"}, false,
              [&](const Frame& f) -> std::optional<bool> {
                if (f.type == kHeaders) return f.stream == stream;
                return std::nullopt;
              });
}

Outcome expect_ping_ack(Probe& p, const std::string& data, bool or_close) {
  std::vector<std::string> expected{
      "PING Frame (flags:0x01, opaque_data:" + data.substr(0, data.find('\0')) + ")"};
  if (or_close) expected.push_back("Connection closed");
  return wait(p, expected, or_close, [&](const Frame& f) -> std::optional<bool> {
    if (f.type == kPing) return (f.flags & kAck) && f.payload == data;
    return std::nullopt;
  });
}

Outcome expect_settings_ack(Probe& p) {
  return wait(p, {"SETTINGS Frame (flags:0x01)"}, false, [](const Frame& f) -> std::optional<bool> {
    if (f.type == kSettings) return (f.flags & kAck) != 0;
    return std::nullopt;
  });
}

Outcome expect_frame(Probe& p, uint8_t type) {
  return wait(p, {frame_type_name(type) + " Frame"}, false,
              [&](const Frame& f) -> std::optional<bool> {
                if (f.type == type) return true;
                return std::nullopt;
              });
}

Outcome expect_data1(Probe& p) {
  return wait(p, {"DATA Frame (length:1)"}, false, [](const Frame& f) -> std::optional<bool> {
    if (f.type == kData) return f.payload.size() == 1;
    return std::nullopt;
  });
}

Outcome expect_close(Probe& p) {
  return wait(p, {"Connection closed"}, true,
              [](const Frame&) -> std::optional<bool> { return std::nullopt; });
}

Outcome expect_goaway(Probe& p) {
  return wait(p, {"GOAWAY Frame"}, false, [](const Frame& f) -> std::optional<bool> {
    if (f.type == kGoAway) return true;
    return std::nullopt;
  });
}

Outcome expect_goaway_code(Probe& p, uint32_t code) {
  return wait(p, expected_codes("GOAWAY", {code}), false,
              [&](const Frame& f) -> std::optional<bool> {
                if (f.type == kGoAway) return f.error_code() == code;
                return std::nullopt;
              });
}

bool wait_stream_close(Probe& p, uint32_t stream) {
  Event e = p.wait_for([&](const Frame& f) {
    if (f.stream != stream) return false;
    if ((f.type == kData || f.type == kHeaders) && (f.flags & kEndStream)) return true;
    return f.type == kRstStream && f.error_code() == kNoError;
  });
  return e.kind == Event::Kind::Frame;
}

Outcome with_connection(const Target& t, const std::function<Outcome(Probe&)>& body,
                        bool handshake) {
  std::string error;
  auto probe = Probe::connect(t, &error);
  if (!probe) return Outcome::error_out(error, true);
  if (handshake && !probe->handshake(&error)) return Outcome::error_out(error);
  Outcome o = body(*probe);
  // A frame the case needed could not be expressed on the wire: nothing was tested.
  if (!probe->unsendable().empty()) return Outcome::skip(probe->unsendable());
  return o;
}

long measure_body(const Target& t) {
  std::string error;
  auto p = Probe::connect(t, &error);
  if (!p || !p->handshake(&error)) return -1;
  p->send_headers(1, p->request_block(), kEndStream | kEndHeaders);
  long total = 0;
  while (true) {
    Event e = p->next_event();
    if (e.kind != Event::Kind::Frame) return -1;
    if (e.frame.stream != 1) continue;
    if (e.frame.type == kRstStream) return -1;
    if (e.frame.type == kData) total += static_cast<long>(e.frame.payload.size());
    if ((e.frame.type == kData || e.frame.type == kHeaders) && (e.frame.flags & kEndStream))
      return total;
  }
}

}  // namespace crossmux::conformance::h2
