// rfc9113/*: what RFC 9113, RFC 8441, RFC 9218 and RFC 7541 require beyond h2spec — field
// validity, connection-specific fields, pseudo-header values, content-length, extended CONNECT,
// PRIORITY_UPDATE, HPACK integer limits and table eviction, receive-side flow control. A
// translating proxy that lets any of these through can be smuggled through.
#include "conformance/h2/suite.h"
#include "conformance/h2/verdicts.h"

namespace crossmux::conformance::h2 {

namespace {

const std::string kPingData("crossmux", 8);
constexpr char kMalformed[] =
    "A malformed request MUST be treated as a stream error of type PROTOCOL_ERROR";

std::string scheme(const Probe& p) {
  return p.target().tls ? "https" : "http";
}

// The request fields with one pseudo-header replaced (or removed when value is nullopt).
std::vector<Field> request_with(const Probe& p, const std::string& name,
                                std::optional<std::string> value, std::vector<Field> extra = {}) {
  std::vector<Field> f{{":method", "GET"},
                       {":scheme", scheme(p)},
                       {":path", p.target().path},
                       {":authority", p.target().authority()}};
  for (auto it = f.begin(); it != f.end(); ++it) {
    if (it->first == name) {
      if (value)
        it->second = *value;
      else
        f.erase(it);
      break;
    }
  }
  f.insert(f.end(), extra.begin(), extra.end());
  return f;
}

// A request the RFC calls malformed (or, with `strict`, one it says a server SHOULD treat as
// malformed: such a case runs only with --strict, as h2spec's SHOULD-level cases do).
void malformed(Section& s, const Target& t, std::string title,
               std::function<std::vector<Field>(Probe&)> fields,
               std::string requirement = kMalformed, bool strict = false) {
  s.add(
      std::move(title), std::move(requirement),
      [t, fields] {
        return with_connection(t, [fields](Probe& p) {
          p.send_headers(1, p.fields_block(fields(p)), kEndStream | kEndHeaders);
          return expect_malformed(p, 1);
        });
      },
      strict);
}

void accepted(Section& s, const Target& t, std::string title, std::string req,
              std::function<std::vector<Field>(Probe&)> fields) {
  s.add(std::move(title), std::move(req), [t, fields] {
    return with_connection(t, [fields](Probe& p) {
      p.send_headers(1, p.fields_block(fields(p)), kEndStream | kEndHeaders);
      return expect_response(p, 1);
    });
  });
}

void field_validity(Section& root, const Target& t) {
  auto& s = root.child("8.2.1", "Field Validity");
  struct Bad {
    const char* title;
    Field field;
  };
  const Bad names[] = {
      {"Sends a field name containing a space", {"x test", "ok"}},
      {"Sends a field name containing a colon after the first character", {"x:test", "ok"}},
      {"Sends a field name that is not a token (parenthesis)", {"x(test)", "ok"}},
      {"Sends an empty field name", {"", "ok"}},
      {"Sends a field name containing a non-ASCII octet", {std::string("x-\xc5\xbf", 4), "ok"}},
      {"Sends a field name containing NUL", {std::string("x\0y", 3), "ok"}},
      {"Sends a field value containing CR", {"x-test", "a\rb"}},
      {"Sends a field value containing LF", {"x-test", "a\nTransfer-Encoding: chunked"}},
      {"Sends a field value containing CRLF", {"x-test", "a\r\nHost: evil"}},
      {"Sends a field value containing NUL", {"x-test", std::string("a\0b", 3)}},
      {"Sends a field value starting with a space", {"x-test", " a"}},
      {"Sends a field value ending with a space", {"x-test", "a "}},
      {"Sends a field value starting with a horizontal tab", {"x-test", "\ta"}},
      {"Sends a field value ending with a horizontal tab", {"x-test", "a\t"}},
  };
  for (const auto& b : names) {
    malformed(s, t, b.title, [f = b.field](Probe& p) { return request_with(p, "", {}, {f}); });
  }
  accepted(s, t, "Sends a field value with inner spaces and visible non-ASCII octets",
           "Valid field values MUST be accepted", [](Probe& p) {
             return request_with(p, "", {}, {{"x-test", "a b\t\xe2\x82\xac"}});
           });
}

void connection_specific(Section& root, const Target& t) {
  auto& s = root.child("8.2.2", "Connection-Specific Header Fields");
  const Field bad[] = {{"keep-alive", "timeout=5"},
                       {"proxy-connection", "keep-alive"},
                       {"transfer-encoding", "chunked"},
                       {"upgrade", "websocket"},
                       {"upgrade", "h2c"},
                       {"te", "gzip"},
                       {"connection", "close"}};
  for (const auto& f : bad) {
    malformed(s, t, "Sends a HEADERS frame with \"" + f.first + ": " + f.second + "\"",
              [f](Probe& p) { return request_with(p, "", {}, {f}); });
  }
  accepted(s, t, "Sends a HEADERS frame with \"te: trailers\"", "te: trailers MUST be accepted",
           [](Probe& p) {
             return request_with(p, "", {}, {{"te", "trailers"}});
           });
}

void pseudo_values(Section& root, const Target& t) {
  auto& s = root.child("8.3.1", "Request Pseudo-Header Fields");
  malformed(s, t, "Sends a :method containing a space and a request line", [](Probe& p) {
    return request_with(p, ":method", std::string("GET /admin HTTP/1.1\r\nHost: x\r\n\r\nGET"));
  });
  malformed(s, t, "Sends an empty :method",
            [](Probe& p) { return request_with(p, ":method", std::string()); });
  malformed(s, t, "Sends a :path containing a space",
            [](Probe& p) { return request_with(p, ":path", std::string("/a HTTP/1.1")); });
  malformed(s, t, "Sends a :path not starting with \"/\"",
            [](Probe& p) { return request_with(p, ":path", std::string("x/../admin")); });
  malformed(s, t, "Sends \":path: *\" with GET",
            [](Probe& p) { return request_with(p, ":path", std::string("*")); });
  malformed(s, t, "Sends an absolute URI in :path",
            [](Probe& p) { return request_with(p, ":path", std::string("http://evil.example/")); });
  // RFC 9113 §8.3.1 forbids userinfo to the sender; what the recipient does is a SHOULD.
  malformed(
      s, t, "Sends an :authority with userinfo",
      [](Probe& p) { return request_with(p, ":authority", "user@" + p.target().authority()); },
      "RFC 9110 §4.2.4: a recipient SHOULD parse for userinfo and treat its presence as an error "
      "(RFC 9113 §8.3.1: :authority MUST NOT include it)",
      true);
  malformed(s, t, "Sends an :authority containing a space",
            [](Probe& p) { return request_with(p, ":authority", std::string("a b")); });
  malformed(s, t, "Sends a :scheme that is not a scheme", [](Probe& p) {
    return request_with(p, ":scheme", std::string("https://evil.example/x?"));
  });
  malformed(s, t, "Sends a :status pseudo-header in a request", [](Probe& p) {
    return request_with(p, "", {}, {{":status", "200"}});
  });
  malformed(s, t, "Sends two :authority pseudo-headers", [](Probe& p) {
    return request_with(p, "", {}, {{":authority", "other.example"}});
  });
  malformed(
      s, t, "Sends a host field that differs from :authority",
      [](Probe& p) {
        return request_with(p, "", {}, {{"host", "other.example"}});
      },
      "RFC 9113 §8.3.1: A server SHOULD treat a request as malformed if it contains a Host header "
      "field that identifies an entity that differs from the entity in the :authority "
      "pseudo-header field",
      true);
  accepted(s, t, "Sends a host field equal to :authority",
           "A host field equal to :authority MUST be accepted", [](Probe& p) {
             return request_with(p, "", {}, {{"host", p.target().authority()}});
           });
  accepted(s, t, "Sends OPTIONS with \":path: *\"", "OPTIONS * MUST be accepted", [](Probe& p) {
    auto f = request_with(p, ":path", std::string("*"));
    f[0].second = "OPTIONS";
    return f;
  });
  auto& connect = root.child("8.5", "The CONNECT Method");
  malformed(connect, t, "Sends CONNECT with :scheme and :path", [](Probe& p) {
    return std::vector<Field>{{":method", "CONNECT"},
                              {":scheme", scheme(p)},
                              {":path", "/"},
                              {":authority", "example.com:443"}};
  });
  malformed(connect, t, "Sends CONNECT without :authority", [](Probe&) {
    return std::vector<Field>{{":method", "CONNECT"}};
  });
}

void content_length(Section& root, const Target& t) {
  auto& s = root.child("8.1.1", "Malformed Messages");
  malformed(s, t, "Sends content-length: 5 with END_STREAM on HEADERS", [](Probe& p) {
    auto f = request_with(p, ":method", std::string("POST"), {{"content-length", "5"}});
    return f;
  });
  const char* bad_cl[] = {"abc", "-1", "+5", "0x5", "5 5"};
  for (const char* v : bad_cl) {
    s.add(std::string("Sends content-length: ") + v, kMalformed, [t, v = std::string(v)] {
      return with_connection(t, [v](Probe& p) {
        p.send_headers(1, p.request_block("POST", {{"content-length", v}}), kEndHeaders);
        p.send_data(1, "hello", true);
        return expect_malformed(p, 1);
      });
    });
  }
  s.add("Sends two different content-length values", kMalformed, [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST", {{"content-length", "5"}, {"content-length", "6"}}),
                     kEndHeaders);
      p.send_data(1, "hello", true);
      return expect_malformed(p, 1);
    });
  });
  s.add("Sends DATA longer than content-length before END_STREAM", kMalformed, [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("POST", {{"content-length", "2"}}), kEndHeaders);
      p.send_data(1, "hello", false);
      return expect_malformed(p, 1);
    });
  });
  s.add("Sends trailers containing content-length", "Trailers MUST NOT contain framing fields",
        [t] {
          return with_connection(t, [](Probe& p) {
            p.send_headers(1, p.request_block("POST"), kEndHeaders);
            p.send_data(1, "test", false);
            p.send_headers(1, p.fields_block({{"content-length", "4"}}), kEndStream | kEndHeaders);
            return expect_malformed(p, 1);
          });
        });
}

void extensions(Section& root, const Target& t) {
  auto& ec = root.child("rfc8441", "Extended CONNECT (RFC 8441)");
  ec.add("Sends :protocol when SETTINGS_ENABLE_CONNECT_PROTOCOL was not advertised",
         "A :protocol pseudo-header without the setting MUST be malformed", [t] {
           return with_connection(t, [](Probe& p) {
             if (p.server_enables_connect_protocol())
               return Outcome::skip("the server enables extended CONNECT");
             p.send_headers(1,
                            p.fields_block({{":method", "CONNECT"},
                                            {":protocol", "websocket"},
                                            {":scheme", scheme(p)},
                                            {":path", "/chat"},
                                            {":authority", p.target().authority()}}),
                            kEndHeaders);
             return expect_malformed(p, 1);
           });
         });
  ec.add(
      "Sends :protocol on a non-CONNECT request", "RFC 8441 §4: :protocol only with CONNECT", [t] {
        return with_connection(t, [](Probe& p) {
          p.send_headers(1, p.fields_block(request_with(p, "", {}, {{":protocol", "websocket"}})),
                         kEndStream | kEndHeaders);
          return expect_malformed(p, 1);
        });
      });
  auto& pu = root.child("rfc9218", "PRIORITY_UPDATE (RFC 9218)");
  pu.add("Sends PRIORITY_UPDATE for an open stream", "PRIORITY_UPDATE MUST be accepted", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_frame(0x10, 0, 0, std::string("\x00\x00\x00\x01", 4) + "u=0");
      p.send_headers(1, p.request_block(), kEndStream | kEndHeaders);
      return expect_response(p, 1);
    });
  });
  pu.add("Sends PRIORITY_UPDATE on a non-zero stream",
         "MUST be a connection error of type PROTOCOL_ERROR", [t] {
           return with_connection(t, [](Probe& p) {
             if (!p.server_uses_rfc9218())
               return Outcome::skip("the server does not advertise SETTINGS_NO_RFC7540_PRIORITIES");
             p.send_frame(0x10, 0, 1, std::string("\x00\x00\x00\x01", 4) + "u=0");
             return expect_conn_error(p, {kProtocolError});
           });
         });
  pu.add("Sends a priority header field", "The priority field MUST be accepted", [t] {
    return with_connection(t, [](Probe& p) {
      p.send_headers(1, p.request_block("GET", {{"priority", "u=1, i"}}), kEndStream | kEndHeaders);
      return expect_response(p, 1);
    });
  });
}

// An HPACK integer (RFC 7541 §5.1) for an indexed field (7-bit prefix) whose value, past the
// prefix, is `rest`: written out in full, however many octets that takes.
std::string indexed_with_rest(uint64_t rest) {
  std::string out(1, '\xff');
  do {
    const auto group = static_cast<char>(rest & 0x7f);
    rest >>= 7;
    out += static_cast<char>(rest ? (0x80 | group) : group);
  } while (rest);
  return out;
}

// A decoding error is a connection error of type COMPRESSION_ERROR (RFC 9113 §4.3).
void hpack_error(Section& s, const Target& t, std::string title, std::string req,
                 std::function<std::string(Probe&)> block) {
  s.add(std::move(title), std::move(req), [t, block] {
    return with_connection(t, [block](Probe& p) {
      p.send_headers(1, p.request_block() + block(p), kEndStream | kEndHeaders);
      return expect_decoding_error(p, 1);
    });
  });
}

// Two incrementally indexed fields of `size` octets each as the dynamic table counts them (name +
// value + 32, RFC 7541 §4.1), then an index of the older one.
std::string two_entries_then_older(size_t size) {
  const std::string a(size - 32 - 3, 'a'), b(size - 32 - 3, 'b');
  return hpack_literal("x-a", a, 0x40) + hpack_literal("x-b", b, 0x40) + hpack_int(0x80, 7, 63);
}

void hpack_limits(Section& root, const Target& t) {
  auto& s = root.child("rfc7541", "HPACK Integer Limits and Table Eviction (RFC 7541)");
  // §5.1: "Integer encodings that exceed implementation limits ... MUST be treated as decoding
  // errors." Each value, cut to 32 or 64 bits, is a valid field, so a decoder that wraps serves it.
  hpack_error(s, t, "Sends an indexed field whose index is past 2^32-1 (2^32 + 16)",
              "An index past the implementation's integer limit MUST be a decoding error",
              [](Probe&) { return hpack_int(0x80, 7, (uint64_t{1} << 32) + 16); });
  hpack_error(s, t, "Sends a string length past 2^32-1 (2^32 + 3)",
              "A length past the implementation's integer limit MUST be a decoding error",
              [](Probe&) {
                return std::string(1, '\0') + hpack_int(0, 7, (uint64_t{1} << 32) + 3) + "abc" +
                       hpack_string("v", false);
              });
  hpack_error(s, t, "Sends an index that overflows 64 bits to 16",
              "An integer past 64 bits MUST be a decoding error, not wrap", [](Probe&) {
                return indexed_with_rest(uint64_t{0} - 127 + 16);  // 127 + rest = 2^64 + 16
              });
  // §4.1: an entry's size is its name and value lengths plus 32; §4.4: entries are evicted until
  // the new one fits, and one that fits exactly is kept.
  s.add("Sends an index of an entry evicted because of the 32-octet entry overhead",
        "Two entries of table size / 2 + 4 octets cannot both be in the table (RFC 7541 §4.1, "
        "§4.4): the older index MUST be a decoding error (§2.3.3)",
        [t] {
          return with_connection(t, [](Probe& p) {
            const size_t table = p.server_header_table_size();
            if (table < 256 || table > 65536) return Outcome::skip("table size out of range");
            p.send_headers(1, p.request_block() + two_entries_then_older(table / 2 + 4),
                           kEndStream | kEndHeaders);
            return expect_decoding_error(p, 1);
          });
        });
  s.add("Sends two entries that fill the dynamic table exactly, then indexes the older one",
        "Entries whose sizes sum to the table size MUST both stay (RFC 7541 §4.4)", [t] {
          return with_connection(t, [](Probe& p) {
            const size_t table = p.server_header_table_size();
            if (table < 256 || table > 65536) return Outcome::skip("table size out of range");
            if (table % 2) return Outcome::skip("odd table size");
            p.send_headers(1, p.request_block() + two_entries_then_older(table / 2),
                           kEndStream | kEndHeaders);
            return expect_response(p, 1);
          });
        });
}

// Receive-side flow control (RFC 9113 §6.9.1): "A sender MUST NOT send a flow-controlled frame
// with a length that exceeds the space available in either of the flow-control windows advertised
// by the receiver"; a receiver that sees one detects a flow-control violation (FLOW_CONTROL_ERROR,
// §7). The DATA goes out at once, unread: a server that returns credit as data arrives may rightly
// take it all, so only an excess over every credit it ever granted is judged.
constexpr int64_t kMaxFlowProbe = 4 << 20;  // octets a case may send

// After `stream`'s (or, with stream 0, the connection's) window was overrun: FLOW_CONTROL_ERROR
// passes; silence with the window still overrun fails; credit that covered it skips.
Outcome judge_overrun(Probe& p, uint32_t stream) {
  while (true) {
    Event e = p.next_event();
    if (e.kind == Event::Kind::Frame && e.frame.type == kGoAway) {
      if (e.frame.error_code() == kFlowControlError) return Outcome::pass();
      return Outcome::fail({"GOAWAY Frame (Error Code: FLOW_CONTROL_ERROR)"}, e.describe());
    }
    if (e.kind == Event::Kind::Frame && e.frame.type == kRstStream && stream != 0 &&
        e.frame.stream == stream) {
      if (e.frame.error_code() == kFlowControlError) return Outcome::pass();
      if (e.frame.error_code() == kNoError) return Outcome::skip("the server closed the stream");
      return Outcome::fail({"RST_STREAM Frame (Error Code: FLOW_CONTROL_ERROR)"}, e.describe());
    }
    if (e.kind == Event::Kind::Frame) continue;  // credits WINDOW_UPDATEs, skips the rest
    if (e.kind != Event::Kind::Timeout) {
      return Outcome::fail({"FLOW_CONTROL_ERROR before the connection closed"}, e.describe());
    }
    const int64_t left = p.send_window(stream);
    if (left >= 0) {
      return Outcome::skip(
          "the server returned credit as the data arrived: nothing it received "
          "was past a window it had advertised");
    }
    return Outcome::fail({stream ? "RST_STREAM Frame (Error Code: FLOW_CONTROL_ERROR)"
                                 : "GOAWAY Frame (Error Code: FLOW_CONTROL_ERROR)"},
                         "Timeout, with " + std::to_string(-left) +
                             " octets accepted past every credit the server granted");
  }
}

// DATA on `stream` up to `octets`, in frames the server's MAX_FRAME_SIZE allows.
void send_octets(Probe& p, uint32_t stream, int64_t octets) {
  const std::string chunk(p.server_max_frame_size(), 'x');
  while (octets > 0) {
    const auto n = static_cast<size_t>(std::min<int64_t>(octets, chunk.size()));
    p.send_data(stream, std::string_view(chunk).substr(0, n), false);
    octets -= static_cast<int64_t>(n);
  }
}

void flow_control(Section& root, const Target& t) {
  auto& s = root.child("6.9.1", "Receive-Side Flow Control");
  s.add("Sends DATA one octet past a stream's flow-control window",
        "A sender MUST NOT exceed the stream window the receiver advertised: DATA past it is a "
        "flow-control violation, a stream or connection error of type FLOW_CONTROL_ERROR",
        [t] {
          return with_connection(t, [](Probe& p) {
            const int64_t window = p.send_window(1);
            if (window > kMaxFlowProbe) return Outcome::skip("stream window above 4 MiB");
            p.send_headers(1, p.request_block("POST"), kEndHeaders);
            send_octets(p, 1, window + 1);
            return judge_overrun(p, 1);
          });
        });
  s.add("Sends DATA one octet past the connection window, spread over streams within theirs",
        "A sender MUST NOT exceed the connection window the receiver advertised: DATA past it is "
        "a connection error of type FLOW_CONTROL_ERROR",
        [t] {
          return with_connection(t, [](Probe& p) {
            const int64_t window = p.send_window(0), per_stream = p.server_initial_window();
            if (window > kMaxFlowProbe) return Outcome::skip("connection window above 4 MiB");
            if (per_stream == 0) return Outcome::skip("the server's stream windows are 0");
            const int64_t streams = window / per_stream + 1;
            if (streams > p.server_max_concurrent_streams().value_or(100) || streams > 100) {
              return Outcome::skip("needs " + std::to_string(streams) + " concurrent streams");
            }
            for (int64_t i = 0; i < streams; ++i) {
              p.send_headers(static_cast<uint32_t>(2 * i + 1), p.request_block("POST"),
                             kEndHeaders);
            }
            for (int64_t i = 0, left = window + 1; left > 0; ++i) {
              const int64_t n = std::min(left, per_stream);
              send_octets(p, static_cast<uint32_t>(2 * i + 1), n);
              left -= n;
            }
            return judge_overrun(p, 0);
          });
        });
}

}  // namespace

Section build_rfc9113(const Target& t) {
  Section root{"rfc9113",
               "",
               "RFC 9113, RFC 8441, RFC 9218 and RFC 7541 requirements h2spec does not test "
               "(crossmux addition)",
               {},
               {}};
  content_length(root, t);
  field_validity(root, t);
  connection_specific(root, t);
  pseudo_values(root, t);
  extensions(root, t);
  hpack_limits(root, t);
  flow_control(root, t);
  return root;
}

}  // namespace crossmux::conformance::h2
