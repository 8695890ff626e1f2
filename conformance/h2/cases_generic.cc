// generic/*: the server accepts ordinary HTTP/2 traffic (h2spec's 44 generic cases).
#include "codecs/h2/frame.h"
#include "conformance/h2/suite.h"
#include "conformance/h2/verdicts.h"

namespace crossmux::conformance::h2 {

namespace {

const std::string kPingData("h2spec\0\0", 8);

Outcome get_then(Probe& p, uint32_t stream, const std::vector<Field>& extra = {}) {
  p.send_headers(stream, p.request_block("GET", extra), kEndStream | kEndHeaders);
  return expect_response(p, stream);
}

void add_sections_2_3(Section& g, const Target& t) {
  auto& s2 = g.child("2", "Streams and Multiplexing");
  s2.add("Sends a PRIORITY frame on idle stream", "MUST accept PRIORITY on an idle stream", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_priority(1, 0, 255, false);
      p.send_ping(kPingData);
      return expect_ping_ack(p, kPingData, false);
    });
  });
  s2.add("Sends a WINDOW_UPDATE frame on half-closed (remote) stream",
         "MUST accept WINDOW_UPDATE on a half-closed (remote) stream", [t] {
           return with_connection(t, [](Probe& p) {
             if (!p.settings_and_ack({{0x4, 0}})) return Outcome::error_out("no SETTINGS ACK");
             p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
             p.send_window_update(1, 1);
             return expect_frame(p, kData);
           });
         });
  s2.add("Sends a PRIORITY frame on half-closed (remote) stream",
         "MUST accept PRIORITY on a half-closed (remote) stream", [t] {
           return with_connection(t, [](Probe& p) {
             if (!p.settings_and_ack({{0x4, 0}})) return Outcome::error_out("no SETTINGS ACK");
             p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
             p.send_priority(1, 0, 255, false);
             p.send_window_update(1, 1);
             return expect_frame(p, kData);
           });
         });
  s2.add("Sends a RST_STREAM frame on half-closed (remote) stream",
         "MUST accept RST_STREAM on a half-closed (remote) stream", [t] {
           return with_connection(t, [](Probe& p) {
             p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
             p.send_rst(1, kCancel);
             p.send_ping(kPingData);
             return expect_ping_ack(p, kPingData, true);
           });
         });
  s2.add("Sends a PRIORITY frame on closed stream", "MUST accept PRIORITY on a closed stream", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
      if (!wait_stream_close(p, 1)) return Outcome::error_out("stream 1 was not closed");
      p.send_priority(1, 0, 255, false);
      p.send_ping(kPingData);
      return expect_ping_ack(p, kPingData, false);
    });
  });

  auto& s3 = g.child("3", "Frame Definitions");
  auto& s31 = s3.child("3.1", "DATA");
  s31.add("Sends a DATA frame", "MUST accept a DATA frame", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST"), kEndHeaders);
      p.send_data(1, "test", true);
      return expect_response(p, 1);
    });
  });
  s31.add("Sends multiple DATA frames", "MUST accept multiple DATA frames", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST"), kEndHeaders);
      p.send_data(1, "test", false);
      p.send_data(1, "test", true);
      return expect_response(p, 1);
    });
  });
  s31.add("Sends a DATA frame with padding", "MUST accept a padded DATA frame", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST"), kEndHeaders);
      p.send_frame(kData, kEndStream | kPadded, 1, padded("test", 5));
      return expect_response(p, 1);
    });
  });
  auto& s32 = s3.child("3.2", "HEADERS");
  s32.add("Sends a HEADERS frame", "MUST accept a HEADERS frame",
          [t] { return with_connection(t, [](Probe& p) { return get_then(p, 1); }); });
  s32.add("Sends a HEADERS frame with padding", "MUST accept a padded HEADERS frame", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_frame(kHeaders, kEndStream | kEndHeaders | kPadded, 1, padded(p.request_block(), 8));
      return expect_response(p, 1);
    });
  });
  s32.add("Sends a HEADERS frame with priority", "MUST accept HEADERS with priority", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_frame(kHeaders, kEndStream | kEndHeaders | kPriorityFlag, 1,
                   with_priority(0, 255, false, p.request_block()));
      return expect_response(p, 1);
    });
  });
  auto& s33 = s3.child("3.3", "PRIORITY");
  struct Prio {
    const char* title;
    uint32_t stream, dep;
    uint8_t w;
    bool excl;
  };
  for (Prio pr : {Prio{"Sends a PRIORITY frame with priority 1", 1, 0, 0, false},
                  Prio{"Sends a PRIORITY frame with priority 256", 1, 0, 255, false},
                  Prio{"Sends a PRIORITY frame with stream dependency", 3, 1, 15, false},
                  Prio{"Sends a PRIORITY frame with exclusive", 1, 0, 15, true},
                  Prio{"Sends a PRIORITY frame for an idle stream, then send a HEADER frame for a "
                       "lower stream ID",
                       3, 0, 15, false}}) {
    s33.add(pr.title, "MUST accept PRIORITY", [t, pr] {
      return with_connection(t, [pr](Probe& p) {
        p.send_priority(pr.stream, pr.dep, pr.w, pr.excl);
        return get_then(p, 1);
      });
    });
  }
  s3.child("3.4", "RST_STREAM").add("Sends a RST_STREAM frame", "MUST accept RST_STREAM", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block(), kEndHeaders);
      p.send_rst(1, kCancel);
      p.send_ping(kPingData);
      return expect_ping_ack(p, kPingData, true);
    });
  });
  s3.child("3.5", "SETTINGS").add("Sends a SETTINGS frame", "MUST ACK SETTINGS", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_settings({{0x1, 4096}, {0x2, 1}, {0x3, 100}, {0x4, 65535}, {0x5, 16384}, {0x6, 100}});
      return expect_settings_ack(p);
    });
  });
  s3.child("3.7", "PING").add("Sends a PING frame", "MUST answer PING with an ACK", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_ping(kPingData);
      return expect_ping_ack(p, kPingData, false);
    });
  });
  s3.child("3.8", "GOAWAY").add("Sends a GOAWAY frame", "MUST accept GOAWAY", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_goaway(0, kNoError, "h2spec");
      p.send_ping(kPingData);
      return expect_ping_ack(p, kPingData, true);
    });
  });
  auto& s39 = s3.child("3.9", "WINDOW_UPDATE");
  s39.add("Sends a WINDOW_UPDATE frame with stream ID 0", "MUST accept WINDOW_UPDATE", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_window_update(0, 1);
      p.send_ping(kPingData);
      return expect_ping_ack(p, kPingData, false);
    });
  });
  s39.add("Sends a WINDOW_UPDATE frame with stream ID 1", "MUST accept WINDOW_UPDATE", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
      p.send_window_update(1, 1);
      return expect_response(p, 1);
    });
  });
  auto& s310 = s3.child("3.10", "CONTINUATION");
  s310.add("Sends a CONTINUATION frame", "MUST accept CONTINUATION", [t] {
    return with_connection(t, [](Probe& p) {
      std::string b = p.request_block();
      p.send_headers(1, b.substr(0, 5), kEndStream);
      p.send_frame(kContinuation, kEndHeaders, 1, b.substr(5));
      return expect_response(p, 1);
    });
  });
  s310.add("Sends multiple CONTINUATION frames", "MUST accept CONTINUATION", [t] {
    return with_connection(t, [](Probe& p) {
      std::string b = p.request_block();
      p.send_headers(1, b.substr(0, 5), kEndStream);
      p.send_frame(kContinuation, 0, 1, b.substr(5, 5));
      p.send_frame(kContinuation, kEndHeaders, 1, b.substr(10));
      return expect_response(p, 1);
    });
  });
}

void add_sections_4_5(Section& g, const Target& t) {
  auto& s4 = g.child("4", "HTTP Message Exchanges");
  s4.add("Sends a GET request", "MUST answer GET",
         [t] { return with_connection(t, [](Probe& p) { return get_then(p, 1); }); });
  s4.add("Sends a HEAD request", "MUST answer HEAD", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("HEAD"), kEndStream | kEndHeaders);
      return expect_response(p, 1);
    });
  });
  s4.add("Sends a POST request", "MUST answer POST", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST"), kEndHeaders);
      p.send_data(1, "test", true);
      return expect_response(p, 1);
    });
  });
  s4.add("Sends a POST request with trailers", "MUST accept trailers", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST", {{"trailer", "x-test"}}), kEndHeaders);
      p.send_data(1, "test", false);
      p.send_headers(1, p.fields_block({{"x-test", "ok"}}), kEndStream | kEndHeaders);
      return expect_response(p, 1);
    });
  });

  auto& s5 = g.child("5", "HPACK");
  // Literal representations as h2spec 2.6 sends them (its generic/5_hpack.go).
  struct Rep {
    const char* title;
    std::string bytes;
  };
  auto lit = [](uint8_t kind, std::string_view n, bool huffman) {
    return hpack_literal(n, "h2spec", kind, huffman);
  };
  // As h2spec sends them: the "indexed name" variants use a literal `user-agent` name, and /2
  // and /3 have the Huffman choice the other way round from their titles.
  std::vector<Rep> reps = {
      {"Sends a indexed header field representation", std::string(1, static_cast<char>(0x80 | 58))},
      {"Sends a literal header field with incremental indexing - indexed name",
       lit(0x40, "user-agent", true)},
      {"Sends a literal header field with incremental indexing - indexed name (with Huffman "
       "coding)",
       lit(0x40, "user-agent", false)},
      {"Sends a literal header field with incremental indexing - new name",
       lit(0x40, "x-test", false)},
      {"Sends a literal header field with incremental indexing - new name (with Huffman coding)",
       lit(0x40, "x-test", true)},
      {"Sends a literal header field without indexing - indexed name",
       lit(0x00, "user-agent", false)},
      {"Sends a literal header field without indexing - indexed name (with Huffman coding)",
       lit(0x00, "user-agent", true)},
      {"Sends a literal header field without indexing - new name", lit(0x00, "x-test", false)},
      {"Sends a literal header field without indexing - new name (huffman encoded)",
       lit(0x00, "x-test", true)},
      {"Sends a literal header field never indexed - indexed name", lit(0x10, "user-agent", false)},
      {"Sends a literal header field never indexed - indexed name (huffman encoded)",
       lit(0x10, "user-agent", true)},
      {"Sends a literal header field never indexed - new name", lit(0x10, "x-test", true)},
      {"Sends a literal header field never indexed - new name (huffman encoded)",
       lit(0x10, "x-test", true)},
  };
  for (const auto& r : reps) {
    s5.add(r.title, "MUST decode every HPACK representation", [t, bytes = r.bytes] {
      return with_connection(t, [bytes](Probe& p) {
        p.send_headers(1, p.request_block() + bytes, kEndStream | kEndHeaders);
        return expect_response(p, 1);
      });
    });
  }
  s5.add("Sends a dynamic table size update", "MUST accept a size update at the block start", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, hpack_int(0x20, 5, 128) + p.request_block(), kEndStream | kEndHeaders);
      return expect_response(p, 1);
    });
  });
  s5.add("Sends multiple dynamic table size update",
         "MUST accept two size updates at the block start", [t] {
           return with_connection(t, [](Probe& p) {
             p.send_headers(1,
                            hpack_int(0x20, 5, 128) + hpack_int(0x20, 5, 4096) + p.request_block(),
                            kEndStream | kEndHeaders);
             return expect_response(p, 1);
           });
         });
}

}  // namespace

std::string padded(std::string_view data, uint8_t pad_length) {
  std::string out(1, static_cast<char>(pad_length));
  out += data;
  out.append(pad_length, '\0');
  return out;
}

std::string with_priority(uint32_t dep, uint8_t weight, bool exclusive, std::string_view block) {
  uint32_t d = dep | (exclusive ? 0x80000000u : 0);
  std::string out;
  out += static_cast<char>(d >> 24);
  out += static_cast<char>(d >> 16);
  out += static_cast<char>(d >> 8);
  out += static_cast<char>(d);
  out += static_cast<char>(weight);
  out += block;
  return out;
}

Section build_generic(const Target& t) {
  Section g{"generic", "", "Generic tests for HTTP/2 server", {}, {}};
  g.child("1", "Starting HTTP/2")
      .add("Sends a client connection preface",
           "The server connection preface MUST be the first frame", [t] {
             return with_connection(
                 t,
                 [](Probe& p) {
                   p.send_raw(codecs::h2::kConnectionPreface);
                   p.send_settings({{0x4, 65535}});
                   Event e = p.next_event();
                   if (e.kind == Event::Kind::Frame && e.frame.type == kSettings &&
                       !(e.frame.flags & kAck)) {
                     return Outcome::pass();
                   }
                   return Outcome::fail({"SETTINGS Frame (flags:0x00)"}, e.describe());
                 },
                 false);
           });
  add_sections_2_3(g, t);
  add_sections_4_5(g, t);
  return g;
}

}  // namespace crossmux::conformance::h2
