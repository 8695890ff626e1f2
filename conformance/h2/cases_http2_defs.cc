// http2/6.x - http2/8.2: frame definitions, error codes and HTTP semantics (h2spec's http2 group).
#include "conformance/h2/suite.h"
#include "conformance/h2/verdicts.h"

namespace crossmux::conformance::h2 {

void add_http2_chapters_3_to_5(Section& root, const Target& t);

namespace {

const std::string kPingData("h2spec\0\0", 8);
using Body = std::function<Outcome(Probe&)>;
void add(Section& s, const Target& t, const char* title, const char* req, Body body) {
  s.add(title, req, [t, body] { return with_connection(t, body); });
}
std::string u32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::string setting(uint16_t id, uint32_t v) {
  return std::string{static_cast<char>(id >> 8), static_cast<char>(id)} + u32(v);
}
// Skips a flow-control case when the target's body is too short to observe DATA frames.
std::optional<Outcome> need_body(const Target& t, long bytes) {
  long n = measure_body(t);
  if (n < 0) return Outcome::error_out("Unable to get server data length");
  if (n < bytes)
    return Outcome::skip("the response body at the target path is shorter than " +
                         std::to_string(bytes) + " bytes");
  return std::nullopt;
}

void section_6_1_to_6_4(Section& s6, const Target& t) {
  auto& s61 = s6.child("6.1", "DATA");
  add(s61, t, "Sends a DATA frame with 0x0 stream identifier",
      "DATA on stream 0 MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_data(0, "test", true);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s61, t,
      "Sends a DATA frame on the stream that is not in \"open\" or \"half-closed (local)\" state",
      "MUST respond with a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndStream | kEndHeaders);
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kStreamClosed});
      });
  add(s61, t, "Sends a DATA frame with invalid pad length",
      "Padding length >= payload length MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_headers(1, p.request_block("POST", {{"content-length", "4"}}), kEndHeaders);
        p.send_frame(kData, kEndStream | kPadded, 1, std::string("\x06", 1) + "test");
        return expect_conn_error(p, {kProtocolError});
      });
  auto& s62 = s6.child("6.2", "HEADERS");
  add(s62, t, "Sends a HEADERS frame without the END_HEADERS flag, and a PRIORITY frame",
      "A HEADERS frame without END_HEADERS MUST be followed by a CONTINUATION frame", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_priority(1, 0, 255, false);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s62, t, "Sends a HEADERS frame to another stream while sending a HEADERS frame",
      "A HEADERS frame without END_HEADERS MUST be followed by a CONTINUATION frame for the same "
      "stream",
      [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_headers(3, p.request_block(), kEndStream | kEndHeaders);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s62, t, "Sends a HEADERS frame with 0x0 stream identifier",
      "HEADERS on stream 0 MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(0, p.request_block(), kEndStream | kEndHeaders);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s62, t, "Sends a HEADERS frame with invalid pad length",
      "Padding length >= payload length MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        std::string block = p.request_block();
        std::string payload(1, static_cast<char>(std::min<size_t>(block.size() + 2, 255)));
        payload += block;
        p.send_frame(kHeaders, kEndStream | kEndHeaders | kPadded, 1, payload);
        return expect_stream_error(p, {kProtocolError});
      });
  auto& s63 = s6.child("6.3", "PRIORITY");
  add(s63, t, "Sends a PRIORITY frame with 0x0 stream identifier",
      "PRIORITY on stream 0 MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_frame(kPriority, 0, 0, u32(1) + "\x0f");
        return expect_conn_error(p, {kProtocolError});
      });
  add(s63, t, "Sends a PRIORITY frame with a length other than 5 octets",
      "MUST be a stream error of type FRAME_SIZE_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        p.send_frame(kPriority, 0, 1, u32(0));
        return expect_stream_error(p, {kFrameSizeError});
      });
  auto& s64 = s6.child("6.4", "RST_STREAM");
  add(s64, t, "Sends a RST_STREAM frame with 0x0 stream identifier",
      "RST_STREAM on stream 0 MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_rst(0, kCancel);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s64, t, "Sends a RST_STREAM frame on a idle stream",
      "RST_STREAM on an idle stream MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_rst(1, kCancel);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s64, t, "Sends a RST_STREAM frame with a length other than 4 octets",
      "MUST be a connection error of type FRAME_SIZE_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        p.send_frame(kRstStream, 0, 1, std::string(3, '\0'));
        return expect_stream_error(p, {kFrameSizeError});
      });
}

void section_6_5(Section& s6, const Target& t) {
  auto& s65 = s6.child("6.5", "SETTINGS");
  add(s65, t, "Sends a SETTINGS frame with ACK flag and payload",
      "MUST be a connection error of type FRAME_SIZE_ERROR", [](Probe& p) {
        p.send_frame(kSettings, kAck, 0, std::string(1, '\0'));
        return expect_conn_error(p, {kFrameSizeError});
      });
  add(s65, t, "Sends a SETTINGS frame with a stream identifier other than 0x0",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_frame(kSettings, 0, 1, setting(0x3, 100));
        return expect_conn_error(p, {kProtocolError});
      });
  add(s65, t, "Sends a SETTINGS frame with a length other than a multiple of 6 octets",
      "MUST be a connection error of type FRAME_SIZE_ERROR", [](Probe& p) {
        p.send_frame(kSettings, 0, 0, std::string("\x00\x03\x00", 3));
        return expect_stream_error(p, {kProtocolError, kFrameSizeError});
      });
  auto& s652 = s65.child("6.5.2", "Defined SETTINGS Parameters");
  struct Bad {
    const char* title;
    uint16_t id;
    uint32_t v;
    uint32_t code;
  };
  for (Bad b :
       {Bad{"SETTINGS_ENABLE_PUSH (0x2): Sends the value other than 0 or 1", 0x2, 2,
            kProtocolError},
        Bad{"SETTINGS_INITIAL_WINDOW_SIZE (0x4): Sends the value above the maximum flow control "
            "window size",
            0x4, 2147483648u, kFlowControlError},
        Bad{"SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value below the initial value", 0x5, 16383,
            kProtocolError},
        Bad{"SETTINGS_MAX_FRAME_SIZE (0x5): Sends the value above the maximum allowed frame size",
            0x5, 16777216, kProtocolError}}) {
    add(s652, t, b.title, "An out-of-range value MUST be a connection error", [b](Probe& p) {
      p.send_settings({{b.id, b.v}});
      return expect_conn_error(p, {b.code});
    });
  }
  add(s652, t, "Sends a SETTINGS frame with unknown identifier", "MUST ignore unknown settings",
      [](Probe& p) {
        p.send_settings({{0xff, 1}});
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, false);
      });
  auto& s653 = s65.child("6.5.3", "Settings Synchronization");
  s653.add("Sends multiple values of SETTINGS_INITIAL_WINDOW_SIZE",
           "Values MUST be processed in order; the last one wins", [t] {
             if (auto skip = need_body(t, 1)) return *skip;
             return with_connection(t, [](Probe& p) {
               p.send_frame(kSettings, 0, 0, setting(0x4, 100) + setting(0x4, 1));
               if (p.wait_for([](const Frame& f) {
                      return f.type == kSettings && (f.flags & kAck);
                    }).kind != Event::Kind::Frame) {
                 return Outcome::error_out("no SETTINGS ACK");
               }
               p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
               return expect_data1(p);
             });
           });
  add(s653, t, "Sends a SETTINGS frame without ACK flag",
      "MUST immediately emit a SETTINGS frame with the ACK flag", [](Probe& p) {
        p.send_settings({{0x2, 0}});
        return expect_settings_ack(p);
      });
}

void section_6_7_to_6_10(Section& s6, const Target& t) {
  auto& s67 = s6.child("6.7", "PING");
  add(s67, t, "Sends a PING frame", "MUST send a PING with the ACK flag and the same payload",
      [](Probe& p) {
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, false);
      });
  add(s67, t, "Sends a PING frame with ACK", "MUST NOT respond to PING frames with ACK",
      [](Probe& p) {
        p.send_ping(std::string("invalid\0", 8), true);
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, false);
      });
  add(s67, t, "Sends a PING frame with a stream identifier field value other than 0x0",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_frame(kPing, 0, 1, kPingData);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s67, t, "Sends a PING frame with a length field value other than 8",
      "MUST be a connection error of type FRAME_SIZE_ERROR", [](Probe& p) {
        p.send_frame(kPing, 0, 0, std::string(6, 'x'));
        return expect_conn_error(p, {kFrameSizeError});
      });
  add(s6.child("6.8", "GOAWAY"), t, "Sends a GOAWAY frame with a stream identifier other than 0x0",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_frame(kGoAway, 0, 1, u32(0) + u32(0));
        return expect_conn_error(p, {kProtocolError});
      });
  auto& s69 = s6.child("6.9", "WINDOW_UPDATE");
  add(s69, t, "Sends a WINDOW_UPDATE frame with a flow control window increment of 0",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_window_update(0, 0);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s69, t, "Sends a WINDOW_UPDATE frame with a flow control window increment of 0 on a stream",
      "MUST be a stream error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndHeaders);
        p.send_window_update(1, 0);
        return expect_stream_error(p, {kProtocolError});
      });
  add(s69, t, "Sends a WINDOW_UPDATE frame with a length other than 4 octets",
      "MUST be a connection error of type FRAME_SIZE_ERROR", [](Probe& p) {
        p.send_frame(kWindowUpdate, 0, 0, std::string("\x00\x00\x01", 3));
        return expect_conn_error(p, {kFrameSizeError});
      });
  auto& s691 = s69.child("6.9.1", "The Flow-Control Window");
  s691.add("Sends SETTINGS frame to set the initial window size to 1 and sends HEADERS frame",
           "MUST NOT send DATA beyond the window", [t] {
             if (auto skip = need_body(t, 1)) return *skip;
             return with_connection(t, [](Probe& p) {
               if (!p.settings_and_ack({{0x4, 1}})) return Outcome::error_out("no SETTINGS ACK");
               p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
               return expect_data1(p);
             });
           });
  add(s691, t,
      "Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1",
      "MUST terminate the connection with FLOW_CONTROL_ERROR", [](Probe& p) {
        p.send_window_update(0, 0x7fffffff);
        p.send_window_update(0, 0x7fffffff);
        return expect_goaway_code(p, kFlowControlError);
      });
  add(s691, t,
      "Sends multiple WINDOW_UPDATE frames increasing the flow control window to above 2^31-1 on a "
      "stream",
      "MUST send RST_STREAM with FLOW_CONTROL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndHeaders);
        p.send_window_update(1, 0x7fffffff);
        p.send_window_update(1, 0x7fffffff);
        Event e =
            p.wait_for([](const Frame& f) { return f.type == kRstStream || f.type == kGoAway; });
        if (e.kind == Event::Kind::Frame && e.frame.type == kRstStream &&
            (e.frame.stream != 1 || e.frame.error_code() == kFlowControlError)) {
          return Outcome::pass();
        }
        return Outcome::fail({"RST_STREAM Frame (Error Code: FLOW_CONTROL_ERROR)"}, e.describe());
      });
  auto& s692 = s69.child("6.9.2", "Initial Flow-Control Window Size");
  s692.add("Changes SETTINGS_INITIAL_WINDOW_SIZE after sending HEADERS frame",
           "MUST adjust open streams' windows", [t] {
             if (auto skip = need_body(t, 1)) return *skip;
             return with_connection(t, [](Probe& p) {
               if (!p.settings_and_ack({{0x4, 0}})) return Outcome::error_out("no SETTINGS ACK");
               p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
               p.send_settings({{0x4, 1}});
               return expect_data1(p);
             });
           });
  s692.add("Sends a SETTINGS frame for window size to be negative", "MUST track negative windows",
           [t] {
             if (auto skip = need_body(t, 5)) return *skip;
             return with_connection(t, [](Probe& p) {
               if (!p.settings_and_ack({{0x4, 3}})) return Outcome::error_out("no SETTINGS ACK");
               p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
               if (p.wait_for([](const Frame& f) { return f.type == kData; }).kind !=
                   Event::Kind::Frame) {
                 return Outcome::error_out("no DATA frame");
               }
               if (!p.settings_and_ack({{0x4, 2}})) return Outcome::error_out("no SETTINGS ACK");
               p.send_window_update(1, 2);
               return expect_data1(p);
             });
           });
  add(s692, t,
      "Sends a SETTINGS_INITIAL_WINDOW_SIZE settings with an exceeded maximum window size value",
      "MUST be a connection error of type FLOW_CONTROL_ERROR", [](Probe& p) {
        p.send_frame(kSettings, 0, 0, setting(0x4, 2147483648u));
        return expect_conn_error(p, {kFlowControlError});
      });
  auto& s610 = s6.child("6.10", "CONTINUATION");
  add(s610, t, "Sends multiple CONTINUATION frames preceded by a HEADERS frame",
      "MUST accept CONTINUATION frames", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_frame(kContinuation, 0, 1, p.dummy_block());
        p.send_frame(
            kContinuation, kEndHeaders, 1,
            p.fields_block({{"x-dummy1", std::string(p.target().max_header_length, 'x')}}));
        return expect_response(p, 1);
      });
  add(s610, t, "Sends a CONTINUATION frame followed by any frame other than CONTINUATION",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), 0);
        p.send_frame(kContinuation, 0, 1, p.dummy_block());
        p.send_data(1, "test", true);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s610, t, "Sends a CONTINUATION frame with 0x0 stream identifier",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_frame(kContinuation, kEndHeaders, 0, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s610, t, "Sends a CONTINUATION frame preceded by a HEADERS frame with END_HEADERS flag",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s610, t, "Sends a CONTINUATION frame preceded by a CONTINUATION frame with END_HEADERS flag",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s610, t, "Sends a CONTINUATION frame preceded by a DATA frame",
      "MUST be a connection error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        p.send_data(1, "test", false);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
}

void chapter_7_8(Section& root, const Target& t) {
  auto& s7 = root.child("7", "Error Codes");
  add(s7, t, "Sends a GOAWAY frame with unknown error code",
      "Unknown error codes MUST NOT trigger special behavior", [](Probe& p) {
        p.send_goaway(0, 0xff, "");
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, true);
      });
  add(s7, t, "Sends a RST_STREAM frame with unknown error code",
      "Unknown error codes MUST NOT trigger special behavior", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        p.send_rst(1, 0xff);
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, true);
      });
  auto& s8 = root.child("8", "HTTP Message Exchanges");
  auto& s81 = s8.child("8.1", "HTTP Request/Response Exchange");
  add(s81, t, "Sends a second HEADERS frame without the END_STREAM flag",
      "A HEADERS frame after the message head without END_STREAM MUST be malformed", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        p.send_data(1, "test", false);
        p.send_headers(1, p.fields_block({{"x-test", "ok"}}), kEndHeaders);
        return expect_stream_error(p, {kProtocolError});
      });
  auto& s812 = s81.child("8.1.2", "HTTP Header Fields");
  auto& s8121 = s812.child("8.1.2.1", "Pseudo-Header Fields");
  auto& s8122 = s812.child("8.1.2.2", "Connection-Specific Header Fields");
  auto& s8123 = s812.child("8.1.2.3", "Request Pseudo-Header Fields");
  auto malformed = [&t](Section& s, const char* title, std::function<std::string(Probe&)> block) {
    add(s, t, title, "A malformed request MUST be treated as a stream error of type PROTOCOL_ERROR",
        [block](Probe& p) {
          p.send_headers(1, block(p), kEndStream | kEndHeaders);
          return expect_stream_error(p, {kProtocolError});
        });
  };
  malformed(s812, "Sends a HEADERS frame that contains the header field name in uppercase letters",
            [](Probe& p) {
              return p.request_block("GET", {{"X-TEST", "ok"}});
            });
  malformed(s8121, "Sends a HEADERS frame that contains a unknown pseudo-header field",
            [](Probe& p) {
              return p.request_block("GET", {{":test", "ok"}});
            });
  malformed(s8121,
            "Sends a HEADERS frame that contains the pseudo-header field defined for response",
            [](Probe& p) {
              return p.request_block("GET", {{":status", "200"}});
            });
  add(s8121, t, "Sends a HEADERS frame that contains a pseudo-header field as trailers",
      "Pseudo-header fields MUST NOT appear in trailers", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        p.send_data(1, "test", false);
        p.send_headers(1, p.fields_block({{":method", "POST"}}), kEndHeaders);
        return expect_stream_error(p, {kProtocolError});
      });
  malformed(s8121,
            "Sends a HEADERS frame that contains a pseudo-header field that appears in a header "
            "block after a regular header field",
            [](Probe& p) {
              const Target& tt = p.target();
              return p.fields_block({{"x-test", "ok"},
                                     {":method", "GET"},
                                     {":scheme", tt.tls ? "https" : "http"},
                                     {":path", tt.path},
                                     {":authority", tt.authority()}});
            });
  malformed(s8122, "Sends a HEADERS frame that contains the connection-specific header field",
            [](Probe& p) {
              return p.request_block("GET", {{"connection", "keep-alive"}});
            });
  malformed(s8122,
            "Sends a HEADERS frame that contains the TE header field with any value other than "
            "\"trailers\"",
            [](Probe& p) {
              return p.request_block("GET", {{"trailers", "test"}, {"te", "trailers, deflate"}});
            });
  auto pseudo = [](Probe& p, bool method, bool scheme, bool path, std::string path_value,
                   std::vector<Field> extra) {
    const Target& tt = p.target();
    std::vector<Field> f;
    if (method) f.emplace_back(":method", "GET");
    if (scheme) f.emplace_back(":scheme", tt.tls ? "https" : "http");
    if (path) f.emplace_back(":path", path_value);
    f.emplace_back(":authority", tt.authority());
    f.insert(f.end(), extra.begin(), extra.end());
    return p.fields_block(f);
  };
  malformed(s8123, "Sends a HEADERS frame with empty \":path\" pseudo-header field",
            [pseudo](Probe& p) { return pseudo(p, true, true, true, "", {}); });
  malformed(s8123, "Sends a HEADERS frame that omits \":method\" pseudo-header field",
            [pseudo](Probe& p) { return pseudo(p, false, false, true, p.target().path, {}); });
  malformed(s8123, "Sends a HEADERS frame that omits \":scheme\" pseudo-header field",
            [pseudo](Probe& p) { return pseudo(p, true, false, true, p.target().path, {}); });
  malformed(s8123, "Sends a HEADERS frame that omits \":path\" pseudo-header field",
            [pseudo](Probe& p) { return pseudo(p, true, true, false, "", {}); });
  malformed(s8123, "Sends a HEADERS frame with duplicated \":method\" pseudo-header field",
            [pseudo](Probe& p) {
              return pseudo(p, true, true, true, p.target().path, {{":method", "GET"}});
            });
  malformed(s8123, "Sends a HEADERS frame with duplicated \":scheme\" pseudo-header field",
            [pseudo](Probe& p) {
              return pseudo(p, true, true, true, p.target().path,
                            {{":scheme", p.target().tls ? "https" : "http"}});
            });
  malformed(s8123, "Sends a HEADERS frame with duplicated \":path\" pseudo-header field",
            [pseudo](Probe& p) {
              return pseudo(p, true, true, true, p.target().path, {{":path", p.target().path}});
            });
  auto& s8126 = s812.child("8.1.2.6", "Malformed Requests and Responses");
  add(s8126, t,
      "Sends a HEADERS frame with the \"content-length\" header field which does not equal the "
      "DATA frame payload length",
      "A content-length that does not match the DATA MUST make the request malformed",
      [](Probe& p) {
        p.send_headers(1, p.request_block("POST", {{"content-length", "1"}}), kEndHeaders);
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kProtocolError});
      });
  add(s8126, t,
      "Sends a HEADERS frame with the \"content-length\" header field which does not equal the sum "
      "of the multiple DATA frames payload length",
      "A content-length that does not match the DATA MUST make the request malformed",
      [](Probe& p) {
        p.send_headers(1, p.request_block("POST", {{"content-length", "1"}}), kEndHeaders);
        p.send_data(1, "test", false);
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kProtocolError});
      });
  add(s8.child("8.2", "Server Push"), t, "Sends a PUSH_PROMISE frame",
      "A client MUST NOT send PUSH_PROMISE; it is a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_frame(kPushPromise, kEndHeaders, 1, u32(3) + p.request_block());
        return expect_conn_error(p, {kProtocolError});
      });
}

}  // namespace

Section build_http2(const Target& t) {
  Section root{"http2", "", "Hypertext Transfer Protocol Version 2 (HTTP/2)", {}, {}};
  add_http2_chapters_3_to_5(root, t);
  auto& s6 = root.child("6", "Frame Definitions");
  section_6_1_to_6_4(s6, t);
  section_6_5(s6, t);
  section_6_7_to_6_10(s6, t);
  chapter_7_8(root, t);
  return root;
}

}  // namespace crossmux::conformance::h2
