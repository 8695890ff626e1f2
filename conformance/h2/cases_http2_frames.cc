// http2/3.5 - http2/6.5.3: preface, frame format, sizes, header blocks, stream states, priority,
// error handling, extensions, DATA/HEADERS/PRIORITY/RST_STREAM/SETTINGS definitions.
#include <optional>

#include "codecs/h2/frame.h"
#include "conformance/h2/suite.h"
#include "conformance/h2/verdicts.h"

namespace crossmux::conformance::h2 {

namespace {

const std::string kPingData("h2spec\0\0", 8);

// RFC 9113 §4.2 cases need a frame one octet over the server's SETTINGS_MAX_FRAME_SIZE; with
// 2^24-1 advertised no frame can be (§4.1: 24-bit length), so nothing can be tested.
std::optional<Outcome> no_frame_exceeds(const Probe& p) {
  if (p.server_max_frame_size() < Probe::kMaxFrameLength) return std::nullopt;
  return Outcome::skip("the server's SETTINGS_MAX_FRAME_SIZE is " +
                       std::to_string(p.server_max_frame_size()) +
                       ": no frame can exceed it (the frame length field holds at most 2^24-1)");
}

using Body = std::function<Outcome(Probe&)>;
void add(Section& s, const Target& t, const char* title, const char* req, Body body,
         bool strict = false) {
  s.add(
      title, req, [t, body] { return with_connection(t, body); }, strict);
}

void chapter_3_4(Section& root, const Target& t) {
  auto& s35 = root.child("3.5", "HTTP/2 Connection Preface");
  s35.add("Sends client connection preface",
          "The server connection preface MUST be the first frame", [t] {
            return with_connection(
                t,
                [](Probe& p) {
                  p.send_raw(codecs::h2::kConnectionPreface);
                  p.send_settings({{0x4, 65535}});
                  Event e = p.next_event();
                  if (e.kind == Event::Kind::Frame && e.frame.type == kSettings &&
                      !(e.frame.flags & kAck))
                    return Outcome::pass();
                  return Outcome::fail({"SETTINGS Frame (flags:0x00)"}, e.describe());
                },
                false);
          });
  s35.add("Sends invalid connection preface",
          "MUST treat an invalid preface as a connection error (PROTOCOL_ERROR)", [t] {
            return with_connection(
                t,
                [](Probe& p) {
                  p.send_raw("INVALID CONNECTION PREFACE\r\n\r\n");
                  return expect_conn_error(p, {kProtocolError});
                },
                false);
          });

  auto& s4 = root.child("4", "HTTP Frames");
  auto& s41 = s4.child("4.1", "Frame Format");
  add(s41, t, "Sends a frame with unknown type", "MUST ignore frames of unknown types",
      [](Probe& p) {
        p.send_frame(0x16, 0, 0, std::string(8, 'x'));
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, false);
      });
  add(s41, t, "Sends a frame with undefined flag", "MUST ignore undefined flags", [](Probe& p) {
    p.send_frame(kPing, 0x16, 0, kPingData);
    return expect_frame(p, kPing);
  });
  add(s41, t, "Sends a frame with reserved field bit", "MUST ignore the reserved bit",
      [](Probe& p) {
        p.send_frame(kPing, 0, 0x80000000u, kPingData);
        return expect_frame(p, kPing);
      });
  auto& s42 = s4.child("4.2", "Frame Size");
  add(s42, t, "Sends a DATA frame with 2^14 octets in length",
      "MUST be capable of receiving frames up to 2^14 octets", [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        p.send_data(1, std::string(p.server_max_frame_size(), 'x'), true);
        return expect_response(p, 1);
      });
  add(s42, t, "Sends a large size DATA frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
      "MUST send an error code of FRAME_SIZE_ERROR", [](Probe& p) {
        if (auto skip = no_frame_exceeds(p)) return *skip;
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        p.send_data(1, std::string(p.server_max_frame_size() + 1, 'x'), true);
        return expect_stream_error(p, {kFrameSizeError});
      });
  add(s42, t, "Sends a large size HEADERS frame that exceeds the SETTINGS_MAX_FRAME_SIZE",
      "A frame size error in a frame that could alter the state of the entire connection MUST be "
      "treated as a connection error",
      [](Probe& p) {
        if (auto skip = no_frame_exceeds(p)) return *skip;
        std::string block = p.request_block();
        while (block.size() <= p.server_max_frame_size()) block += p.dummy_block(5);
        p.send_headers(1, block, kEndStream | kEndHeaders);
        return expect_conn_error(p, {kFrameSizeError});
      });
  auto& s43 = s4.child("4.3", "Header Compression and Decompression");
  add(s43, t, "Sends invalid header block fragment",
      "MUST treat a decoding error as a connection error of type COMPRESSION_ERROR", [](Probe& p) {
        p.send_headers(1, std::string(1, '\x40'), kEndStream | kEndHeaders);
        return expect_conn_error(p, {kCompressionError});
      });
  add(s43, t, "Sends a PRIORITY frame while sending the header blocks",
      "Each header block MUST be transmitted as a contiguous sequence of frames", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_priority(1, 0, 255, false);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s43, t, "Sends a HEADERS frame to another stream while sending the header blocks",
      "Each header block MUST be transmitted as a contiguous sequence of frames", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_headers(3, p.request_block(), kEndStream | kEndHeaders);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kProtocolError});
      });
}

void chapter_5_states(Section& s51, const Target& t) {
  add(s51, t, "idle: Sends a DATA frame",
      "Receiving any frame other than HEADERS or PRIORITY on an idle stream MUST be a connection "
      "error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kProtocolError, kStreamClosed});
      });
  add(s51, t, "idle: Sends a RST_STREAM frame",
      "RST_STREAM on an idle stream MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_rst(1, kCancel);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s51, t, "idle: Sends a WINDOW_UPDATE frame",
      "WINDOW_UPDATE on an idle stream MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_window_update(1, 100);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s51, t, "idle: Sends a CONTINUATION frame",
      "CONTINUATION on an idle stream MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_frame(kContinuation, kEndHeaders, 1, p.request_block());
        return expect_conn_error(p, {kProtocolError});
      });
  add(s51, t, "half closed (remote): Sends a DATA frame",
      "MUST respond with a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kStreamClosed});
      });
  add(s51, t, "half closed (remote): Sends a HEADERS frame",
      "MUST respond with a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        return expect_stream_error(p, {kStreamClosed});
      });
  add(s51, t, "half closed (remote): Sends a CONTINUATION frame",
      "MUST respond with a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_stream_error(p, {kStreamClosed, kProtocolError});
      });
  add(s51, t, "closed: Sends a DATA frame after sending RST_STREAM frame",
      "MUST treat it as a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndHeaders);
        p.send_rst(1, kCancel);
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kStreamClosed});
      });
  add(s51, t, "closed: Sends a HEADERS frame after sending RST_STREAM frame",
      "MUST treat it as a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndHeaders);
        p.send_rst(1, kCancel);
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        return expect_stream_error(p, {kStreamClosed});
      });
  add(s51, t, "closed: Sends a CONTINUATION frame after sending RST_STREAM frame",
      "MUST treat it as a stream error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndHeaders);
        p.send_rst(1, kCancel);
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_stream_error(p, {kStreamClosed, kProtocolError});
      });
  add(s51, t, "closed: Sends a DATA frame", "MUST treat it as a stream error of type STREAM_CLOSED",
      [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        if (!wait_stream_close(p, 1)) return Outcome::error_out("stream 1 was not closed");
        p.send_data(1, "test", true);
        return expect_stream_error(p, {kStreamClosed});
      });
  add(s51, t, "closed: Sends a HEADERS frame",
      "MUST treat it as a connection error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        if (!wait_stream_close(p, 1)) return Outcome::error_out("stream 1 was not closed");
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        return expect_conn_error(p, {kStreamClosed});
      });
  add(s51, t, "closed: Sends a CONTINUATION frame",
      "MUST treat it as a connection error of type STREAM_CLOSED", [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
        if (!wait_stream_close(p, 1)) return Outcome::error_out("stream 1 was not closed");
        p.send_frame(kContinuation, kEndHeaders, 1, p.dummy_block());
        return expect_conn_error(p, {kStreamClosed, kProtocolError});
      });
}

void chapter_5(Section& root, const Target& t) {
  auto& s5 = root.child("5", "Streams and Multiplexing");
  chapter_5_states(s5.child("5.1", "Stream States"), t);
  auto& s511 = s5.child("5.1.1", "Stream Identifiers");
  add(s511, t, "Sends even-numbered stream identifier",
      "An even-numbered client stream MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_headers(2, p.request_block(), kEndStream | kEndHeaders);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s511, t, "Sends stream identifier that is numerically smaller than previous",
      "A smaller stream identifier MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_headers(5, p.request_block(), kEndStream | kEndHeaders);
        p.send_headers(3, p.request_block(), kEndStream | kEndHeaders);
        return expect_conn_error(p, {kProtocolError});
      });
  add(s5.child("5.1.2", "Stream Concurrency"), t,
      "Sends HEADERS frames that causes their advertised concurrent stream limit to be exceeded",
      "Exceeding MAX_CONCURRENT_STREAMS MUST be a stream error of type PROTOCOL_ERROR or "
      "REFUSED_STREAM",
      [](Probe& p) {
        auto mcs = p.server_max_concurrent_streams();
        if (!mcs) return Outcome::skip("SETTINGS_MAX_CONCURRENT_STREAMS is unlimited");
        if (*mcs > 1000) return Outcome::skip("SETTINGS_MAX_CONCURRENT_STREAMS above 1000");
        if (!p.settings_and_ack({{0x4, 0}})) return Outcome::error_out("no SETTINGS ACK");
        for (uint32_t i = 0; i <= *mcs; ++i)
          p.send_headers(1 + 2 * i, p.request_block(), kEndStream | kEndHeaders);
        return expect_stream_error(p, {kProtocolError, kRefusedStream});
      });
  auto& s531 = s5.child("5.3.1", "Stream Dependencies");
  add(s531, t, "Sends HEADERS frame that depends on itself",
      "A stream depending on itself MUST be a stream error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_frame(kHeaders, kEndStream | kEndHeaders | kPriorityFlag, 1,
                     with_priority(1, 15, false, p.request_block()));
        return expect_stream_error(p, {kProtocolError});
      });
  add(s531, t, "Sends PRIORITY frame that depend on itself",
      "A stream depending on itself MUST be a stream error of type PROTOCOL_ERROR", [](Probe& p) {
        p.send_priority(1, 1, 15, false);
        return expect_stream_error(p, {kProtocolError});
      });
  auto& s541 = s5.child("5.4.1", "Connection Error Handling");
  add(s541, t, "Sends an invalid PING frame for connection close",
      "After sending GOAWAY for a connection error the endpoint MUST close the TCP connection",
      [](Probe& p) {
        p.send_frame(kPing, 0, 3, kPingData);
        return expect_close(p);
      });
  add(
      s541, t, "Sends an invalid PING frame to receive GOAWAY frame",
      "An endpoint that encounters a connection error SHOULD first send a GOAWAY frame",
      [](Probe& p) {
        p.send_frame(kPing, 0, 3, kPingData);
        return expect_goaway(p);
      },
      true);
  auto& s55 = s5.child("5.5", "Extending HTTP/2");
  add(s55, t, "Sends an unknown extension frame",
      "Implementations MUST ignore unknown extension frames", [](Probe& p) {
        p.send_frame(0x16, 0, 0, std::string(8, 'x'));
        p.send_ping(kPingData);
        return expect_ping_ack(p, kPingData, false);
      });
  add(s55, t, "Sends an unknown extension frame in the middle of a header block",
      "An unknown frame inside a header block MUST be a connection error of type PROTOCOL_ERROR",
      [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        p.send_frame(0x16, 0, 0, std::string(8, 'x'));
        return expect_conn_error(p, {kProtocolError});
      });
}

}  // namespace

void add_http2_chapters_3_to_5(Section& root, const Target& t) {
  chapter_3_4(root, t);
  chapter_5(root, t);
}

}  // namespace crossmux::conformance::h2
