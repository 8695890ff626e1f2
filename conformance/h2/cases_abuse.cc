// abuse/*: flood and limit probes for the denial-of-service classes of RFC 9113 §10.5 (and the
// CVEs named in each case title), each with a "still serving afterwards" verdict.
// Verdict: the server answers with the right error or limit, and a fresh connection is still
// served normally afterwards.
#include <algorithm>

#include "conformance/h2/suite.h"
#include "conformance/h2/verdicts.h"

namespace crossmux::conformance::h2 {

namespace {

// After the probe's verdict, a new connection must still get a response.
Outcome and_still_serving(const Target& t, Outcome first) {
  if (first.verdict != Verdict::Pass) return first;
  return with_connection(t, [](Probe& p) {
    p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
    Outcome o = expect_response(p, 1);
    if (o.verdict == Verdict::Fail)
      o.expected.insert(o.expected.begin(), "a fresh connection is served after the attack");
    return o;
  });
}

// The attack ended in a limit: GOAWAY ENHANCE_YOUR_CALM (or another listed code) or a close.
Outcome expect_limit(Probe& p, std::initializer_list<uint32_t> codes = {kEnhanceYourCalm}) {
  return expect_conn_error(p, codes);
}

// For floods of frames that each owe an answer (PING, SETTINGS): either a limit as above, or TCP
// backpressure — the server stopped reading while its answers were not read, answered every frame
// once we read, and still answers a marker PING sent after the flood.
Outcome expect_limit_or_backpressure(Probe& p) {
  const std::string marker("marker!!", 8);
  p.send_ping(marker);
  return wait(
      p,
      {"GOAWAY Frame (Error Code: ENHANCE_YOUR_CALM)", "Connection closed",
       "PING Frame (flags:0x01, opaque_data:marker!!) after every flood frame was answered"},
      true, [&](const Frame& f) -> std::optional<bool> {
        if (f.type == kGoAway && f.error_code() == kEnhanceYourCalm) return true;
        if (f.type == kPing && (f.flags & kAck) && f.payload == marker) return true;
        return std::nullopt;
      });
}

// The attack runs with a tiny receive buffer so that whatever the server owes us backs up on its
// side (we do not read while attacking); the follow-up connection is ordinary.
void add(Section& s, const Target& t, const char* title, const char* req,
         std::function<Outcome(Probe&)> body) {
  s.add(title, req, [t, body] {
    Target attack = t;
    attack.receive_buffer = 4096;
    attack.eof_inside_frame_is_close = true;
    return and_still_serving(t, with_connection(attack, body));
  });
}

}  // namespace

Section build_abuse(const Target& t) {
  Section root{
      "abuse",
      "",
      "HTTP/2 abuse probes, RFC 9113 §10.5 denial-of-service limits (crossmux addition, not in "
      "h2spec)",
      {},
      {}};
  auto& floods = root.child("1", "Control-frame floods");
  add(floods, t, "PING flood without reading (CVE-2019-9512)",
      "RFC 9113 §10.5: a peer can make an endpoint queue a PING ACK per PING it sends. "
      "Implementations SHOULD track the use of these features and set limits on their use",
      [](Probe& p) {
        std::string burst;
        for (int i = 0; i < 20000; ++i)
          burst += std::string("\x00\x00\x08\x06\x00\x00\x00\x00\x00", 9) + "pingpong";
        p.send_raw(burst);
        return expect_limit_or_backpressure(p);
      });
  add(floods, t, "SETTINGS flood without reading (CVE-2019-9515)",
      "RFC 9113 §10.5: The SETTINGS frame can be abused to cause a peer to expend additional "
      "processing time. Implementations SHOULD track the use of these features and set limits on "
      "their use",
      [](Probe& p) {
        std::string burst;
        for (int i = 0; i < 20000; ++i)
          burst += std::string("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64", 15);
        p.send_raw(burst);
        return expect_limit_or_backpressure(p);
      });
  add(floods, t, "SETTINGS frame with thousands of entries (CVE-2020-11080)",
      "RFC 9113 §10.5: The SETTINGS frame can be abused to cause a peer to expend additional "
      "processing time. Implementations SHOULD track the use of these features and set limits on "
      "their use",
      [](Probe& p) {
        std::string payload;
        for (int i = 0; i < 2500; ++i) payload += std::string("\x00\x03\x00\x00\x00\x64", 6);
        p.send_frame(kSettings, 0, 0, payload);
        return expect_limit(p);
      });
  add(floods, t, "Empty DATA frames flood (CVE-2019-9518)",
      "RFC 9113 §10.5: Large numbers of small or empty frames can be abused to cause a peer to "
      "expend time processing frame headers. Implementations SHOULD track the use of these "
      "features and set limits on their use",
      [](Probe& p) {
        p.send_headers(1, p.request_block("POST"), kEndHeaders);
        std::string burst;
        for (int i = 0; i < 20000; ++i)
          burst += std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9);
        p.send_raw(burst);
        return expect_limit(p);
      });
  auto& resets = root.child("2", "Reset floods");
  add(resets, t, "Rapid Reset: HEADERS + RST_STREAM pairs (CVE-2023-44487)",
      "RFC 9113 §10.5: stream creation and RST_STREAM cost the server work the client does not "
      "pay for. Implementations SHOULD track the use of these features and set limits on their use",
      [](Probe& p) {
        std::string block = p.request_block();
        for (uint32_t i = 0; i < 5000; ++i) {
          uint32_t id = 1 + 2 * i;
          p.send_headers(id, block, kEndStream | kEndHeaders);
          p.send_rst(id, kCancel);
        }
        return expect_limit(p);
      });
  add(resets, t, "MadeYouReset: WINDOW_UPDATE 0 on open streams (CVE-2025-8671)",
      "RFC 9113 §10.5: stream errors the client provokes cost the server a reset each. "
      "Implementations SHOULD track the use of these features and set limits on their use",
      [](Probe& p) {
        std::string block = p.request_block();
        for (uint32_t i = 0; i < 5000; ++i) {
          uint32_t id = 1 + 2 * i;
          p.send_headers(id, block, kEndStream | kEndHeaders);
          p.send_window_update(id, 0);
        }
        return expect_limit(p, {kEnhanceYourCalm, kProtocolError});
      });
  auto& headers = root.child("3", "Header floods");
  add(headers, t, "CONTINUATION flood (VU#421644)",
      "RFC 9113 §10.5.1: A server that receives a larger field block than it is willing to "
      "handle can send an HTTP 431 (Request Header Fields Too Large) status code; RFC 9113 §10.5: "
      "Implementations SHOULD track the use of these features and set limits on their use",
      [](Probe& p) {
        p.send_headers(1, p.request_block(), kEndStream);
        std::string cont = p.fields_block({{"x-flood", std::string(16000, 'a')}});
        for (int i = 0; i < 2000; ++i) p.send_frame(kContinuation, 0, 1, cont);
        return expect_limit(p, {kEnhanceYourCalm, kProtocolError, kCompressionError});
      });
  add(headers, t, "HPACK bomb: one dynamic entry referenced thousands of times (CVE-2016-1544)",
      "RFC 7541 §7.3: a decoder limits the memory a header list can take; RFC 9113 §10.5.1: the "
      "field block size is charged as decoded (SETTINGS_MAX_HEADER_LIST_SIZE)",
      [](Probe& p) {
        // Insert a 4000-byte field with incremental indexing, then reference it (index 62) 16000
        // times.
        std::string block =
            p.request_block() + hpack_literal("x-bomb", std::string(4000, 'b'), 0x40);
        block += std::string(16000, '\xbe');
        for (size_t off = 0; off < block.size(); off += 16000) {
          bool last = off + 16000 >= block.size();
          std::string piece = block.substr(off, 16000);
          if (off == 0)
            p.send_headers(1, piece, kEndStream | (last ? kEndHeaders : 0));
          else
            p.send_frame(kContinuation, last ? kEndHeaders : 0, 1, piece);
        }
        // A stream-level refusal keeps the connection; a connection error is also a limit.
        return expect_stream_error(
            p, {kEnhanceYourCalm, kProtocolError, kRefusedStream, kCompressionError});
      });
  add(headers, t, "Thousands of empty header fields (CVE-2019-9516)",
      "RFC 9113 §10.5.1: SETTINGS_MAX_HEADER_LIST_SIZE counts 32 octets per field, so empty "
      "fields are charged too; RFC 9113 §10.5: Implementations SHOULD track the use of these "
      "features and set limits on their use",
      [](Probe& p) {
        std::string block = p.request_block();
        for (int i = 0; i < 4000; ++i) block += std::string("\x00\x00\x00", 3);
        p.send_headers(1, block.substr(0, 16000), kEndStream | kEndHeaders);
        return expect_stream_error(p, {kProtocolError, kEnhanceYourCalm, kCompressionError});
      });
  auto& windows = root.child("4", "Flow-control abuse");
  add(windows, t, "Zero window with many large responses (CVE-2019-9517)",
      "RFC 9113 §6.9.1: A sender MUST NOT send a flow-controlled frame with a length that "
      "exceeds the space available in either of the flow-control windows advertised by the "
      "receiver (so responses wait; the connection stays up)",
      [](Probe& p) {
        if (!p.settings_and_ack({{0x4, 0}})) return Outcome::error_out("no SETTINGS ACK");
        std::string block = p.request_block();
        for (uint32_t i = 0; i < 50; ++i)
          p.send_headers(1 + 2 * i, block, kEndStream | kEndHeaders);
        const std::string ping("stillok!", 8);
        p.send_ping(ping);
        return expect_ping_ack(p, ping, false);
      });
  auto& slow = root.child("5", "Slow readers");
  slow.add(
      "Zero-window streams on three connections do not starve a fourth client (CVE-2019-9517)",
      "RFC 9113 §5.2.2: a receiver may hold its window at zero (flow control cannot be disabled "
      "by the sender); RFC 9113 §10.5: Implementations SHOULD track the use of these features and "
      "set limits on their use, so responses nobody reads must not take the capacity (backend "
      "connections, workers, memory) other clients are served with",
      [t] {
        // Three connections each keep 100 streams whose responses they never take a byte of
        // (SETTINGS_INITIAL_WINDOW_SIZE 0); while all three stay open a fourth connection must
        // be answered within 5 s (or the read timeout, when longer).
        Target patient = t;
        patient.timeout_ms = std::max(t.timeout_ms, 5000);
        auto stall = [](Probe& p) {
          if (!p.settings_and_ack({{0x4, 0}})) return false;
          const std::string block = p.request_block();
          for (uint32_t i = 0; i < 100; ++i)
            p.send_headers(1 + 2 * i, block, kEndStream | kEndHeaders);
          return true;
        };
        auto fourth = [&patient] {
          return with_connection(patient, [](Probe& p) {
            p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
            Outcome o = expect_response(p, 1);
            if (o.verdict == Verdict::Fail)
              o.expected.insert(o.expected.begin(),
                                "a fourth client is served while 300 zero-window streams wait");
            return o;
          });
        };
        return with_connection(t, [&](Probe& a) {
          if (!stall(a)) return Outcome::error_out("no SETTINGS ACK");
          return with_connection(t, [&](Probe& b) {
            if (!stall(b)) return Outcome::error_out("no SETTINGS ACK");
            return with_connection(t, [&](Probe& c) {
              if (!stall(c)) return Outcome::error_out("no SETTINGS ACK");
              return fourth();
            });
          });
        });
      });
  return root;
}

std::vector<Section> build_suite(const Target& t) {
  return {build_generic(t), build_http2(t), build_hpack(t), build_rfc9113(t), build_abuse(t)};
}

std::map<std::string, std::string> suite_parts() {
  return {{"generic", kH2specPart},
          {"http2", kH2specPart},
          {"hpack", kH2specPart},
          {"rfc9113", kAdditionsPart},
          {"abuse", kAdditionsPart}};
}

}  // namespace crossmux::conformance::h2
