// Scenario replay: send as an H1 or H2 client, read the whole response and the origin's record,
// judge both.
#include "conformance/translate/replay.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "codecs/h1/decoder.h"
#include "conformance/h2/probe.h"
#include "conformance/origin/origin_app.h"
#include "conformance/transport.h"

namespace crossmux::conformance::translate {

namespace {

// Everything the client got back for its one request.
struct ClientSaw {
  bool rejected = false;  // an error status, a reset or a close before a final response
  int status = -1;
  std::vector<ResponseExpectation::Interim> interim;
  std::vector<Field> headers;
  std::string body;
  std::vector<Field> trailers;
  bool complete = false;  // the final response ended cleanly (END_STREAM / end of message)
  std::string text;       // what happened, for failure messages
};

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_framing(const Scenario& s) {
  for (const auto& [n, v] : s.headers) {
    if (lower(n) == "content-length" || lower(n) == "transfer-encoding") return true;
  }
  return false;
}

// The client waits for 100 (Continue) before sending the body (RFC 9110 §10.1.1).
bool waits_for_continue(const Scenario& s) {
  if (s.body.empty()) return false;
  for (const auto& [n, v] : s.headers) {
    if (lower(n) == "expect" && lower(v) == "100-continue") return true;
  }
  return false;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size())
    s.replace(at, from.size(), to);
}

std::string summary(const ClientSaw& saw) {
  std::string out;
  for (const auto& i : saw.interim) out += std::to_string(i.status) + ", ";
  if (saw.status < 0) return out + "no final response";
  out += std::to_string(saw.status) + " with " + std::to_string(saw.headers.size()) +
         " fields, a " + std::to_string(saw.body.size()) + "-byte body";
  if (!saw.trailers.empty()) out += " and " + std::to_string(saw.trailers.size()) + " trailers";
  if (!saw.complete) out += ", not ended";
  return out;
}

// --- HTTP/1.1 client -------------------------------------------------------------------------

class ResponseSink : public codecs::EventSink {
 public:
  explicit ResponseSink(ClientSaw& saw) : saw_(saw) {}
  bool any_head = false;  // an interim or final head arrived
  bool ended = false;     // the first response ended
  void on_head(codecs::StreamId, codecs::MessageHead& head) override {
    any_head = true;
    if (ended || saw_.status >= 0) return;  // answers past the first belong to no request of ours
    std::vector<Field> fields;
    for (const auto& f : head.headers)
      fields.emplace_back(std::string(f.name), std::string(f.value));
    if (head.is_informational() && head.status != 101) {
      saw_.interim.push_back({head.status, std::move(fields)});
      return;
    }
    saw_.status = head.status;
    saw_.headers = std::move(fields);
  }
  void on_data(codecs::StreamId, codecs::Bytes data) override {
    if (!ended) saw_.body.append(codecs::as_chars(data));
  }
  void on_trailers(codecs::StreamId, codecs::HeaderList& t) override {
    if (ended) return;
    for (const auto& f : t) saw_.trailers.emplace_back(std::string(f.name), std::string(f.value));
  }
  void on_end_of_message(codecs::StreamId) override {
    if (saw_.status >= 0 && !ended) saw_.complete = ended = true;
  }
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}

 private:
  ClientSaw& saw_;
};

ClientSaw send_h1(const ProxyTarget& t, const Scenario& s, const std::string& authority,
                  const std::string& target) {
  std::string head, body;
  const bool wait_continue = s.raw_h1.empty() && waits_for_continue(s);
  if (!s.raw_h1.empty()) {
    head = s.raw_h1;
    replace_all(head, "{target}", target);
    replace_all(head, "{host}", authority);
  } else {
    head = s.method + " " + target + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    for (const auto& [n, v] : s.headers) head += n + ": " + v + "\r\n";
    const bool chunked = !s.trailers.empty();
    if (chunked)
      head += "Transfer-Encoding: chunked\r\n";
    else if (!has_framing(s) && !s.body.empty())
      head += "Content-Length: " + std::to_string(s.body.size()) + "\r\n";
    head += "\r\n";
    if (chunked) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", s.body.size());
      if (!s.body.empty()) body += size + s.body + "\r\n";
      body += "0\r\n";
      for (const auto& [n, v] : s.trailers) body += n + ": " + v + "\r\n";
      body += "\r\n";
    } else {
      body = s.body;
    }
  }
  ClientSaw saw;
  Endpoint e;
  e.host = t.host;
  e.port = t.port;
  e.tls = t.tls;
  e.insecure = t.insecure;
  e.alpn = t.tls ? "http/1.1" : "";
  std::string error;
  auto io = Transport::connect(e, &error);
  if (!io) {
    saw.rejected = true;
    saw.text = "HTTP/1.1 client could not connect: " + error;
    return saw;
  }
  codecs::h1::Decoder decoder(codecs::MessageKind::Response);
  codecs::MessageHead req;
  req.method = s.method;
  decoder.expect_response(req);
  ResponseSink sink(saw);
  std::string in;
  std::string end = "timeout";
  // Reads until `done()`; false when the connection ended (closed, timeout, garbage) first.
  auto read_until = [&](auto done) {
    char buf[16384];
    while (!done()) {
      ssize_t n = io->read(buf, sizeof buf, t.timeout_ms);
      if (n == -1) {
        end = "timeout";
        return false;
      }
      if (n <= 0) {
        end = "closed";
        (void)decoder.finish(sink);
        return false;
      }
      in.append(buf, static_cast<size_t>(n));
      if (saw.status < 0 && in.starts_with("HTTP/1.1 101 ")) {
        // The proxy switched protocols itself (it serves an h2c upgrade) and answers the request
        // in HTTP/2 now, after forwarding it: the exchange is over once the connection goes
        // quiet (read before the record is, so the request is not counted against the next).
        saw.status = 101;
        saw.complete = sink.ended = true;
        while (io->read(buf, sizeof buf, std::min(t.timeout_ms, 500)) > 0) {
        }
        return true;
      }
      auto r = decoder.feed(codecs::as_bytes(in), sink);
      if (!r) {
        end = "bytes that are not an HTTP/1.1 response";
        return false;
      }
      in.erase(0, *r);
    }
    return true;
  };
  if (wait_continue) {
    io->write(head);
    // A 100 or a final answer, or the read timeout (the client then sends the body anyway).
    read_until([&] { return sink.any_head; });
    if (saw.status < 0) io->write(body);
  } else {
    io->write(head + body);
  }
  read_until([&] { return sink.ended; });
  saw.rejected = saw.status < 0 || saw.status >= 400;
  saw.text = "HTTP/1.1 client saw " + summary(saw) + (saw.complete ? "" : ", then " + end);
  return saw;
}

// --- HTTP/2 client ---------------------------------------------------------------------------

ClientSaw send_h2(const ProxyTarget& t, const Scenario& s, const std::string& authority,
                  const std::string& target) {
  h2::Target pt;
  pt.host = t.host;
  pt.port = t.port;
  pt.tls = t.tls;
  pt.insecure = t.insecure;
  pt.timeout_ms = t.timeout_ms;
  ClientSaw saw;
  std::string error;
  auto p = h2::Probe::connect(pt, &error);
  if (!p || !p->handshake(&error)) {
    saw.rejected = true;
    saw.text = "HTTP/2 client could not connect: " + error;
    return saw;
  }
  // SETTINGS_ENABLE_PUSH = 0 (RFC 9113 §6.5.2), as browsers send it: a proxy that pushes what a
  // 103's Link preloads (nghttpx) would otherwise fetch it from the origin, and those requests
  // would be counted against this scenario or the next.
  p->send_settings({{0x2, 0}});
  std::vector<h2::Field> fields{{":method", s.method},
                                {":scheme", t.tls ? "https" : "http"},
                                {":authority", authority},
                                {":path", target}};
  for (const auto& pseudo : s.pseudo) {  // not a structured binding: clang 14 cannot capture one
    auto it = std::find_if(fields.begin(), fields.end(),
                           [&](const h2::Field& f) { return f.first == pseudo.first; });
    if (it != fields.end())
      it->second = pseudo.second;
    else
      fields.push_back(pseudo);
  }
  for (const auto& n : s.no_pseudo) {
    std::erase_if(fields, [&](const h2::Field& f) { return f.first == n; });
  }
  fields.insert(fields.end(), s.headers.begin(), s.headers.end());

  bool end_pending = false;  // END_STREAM seen on a HEADERS frame whose block is still open
  bool reset = false;
  std::string end;
  // Handles one event for stream 1; false when the exchange is over (ended, reset, closed).
  bool timed_out = false;
  auto take = [&](const h2::Event& e) {
    if (e.kind != h2::Event::Kind::Frame) {
      timed_out = e.kind == h2::Event::Kind::Timeout;
      end = e.describe();
      return false;
    }
    const h2::Frame& f = e.frame;
    if (f.type == h2::kGoAway) {
      if (f.error_code() == 0 && f.payload.size() >= 4 &&
          (static_cast<uint8_t>(f.payload[3]) | static_cast<uint8_t>(f.payload[2]) << 8 |
           static_cast<uint8_t>(f.payload[1]) << 16 |
           (static_cast<uint8_t>(f.payload[0]) & 0x7f) << 24) >= 1) {
        return true;  // a graceful GOAWAY that still lets stream 1 finish
      }
      end = f.describe();
      return false;
    }
    if (f.stream != 1) return true;
    if (f.type == h2::kRstStream) {
      reset = true;
      end = f.describe();
      return false;
    }
    if (f.type == h2::kHeaders || f.type == h2::kContinuation) {
      if (f.type == h2::kHeaders) end_pending = (f.flags & h2::kEndStream) != 0;
      if (!(f.flags & h2::kEndHeaders)) return true;
      if (!e.block_decoded) {
        end = "a header block that does not decode";
        return false;
      }
      std::vector<Field> regular;
      for (const auto& fld : e.headers) {
        if (fld.first.empty() || fld.first[0] != ':') regular.push_back(fld);
      }
      if (saw.status >= 0) {
        saw.trailers = std::move(regular);
      } else if (e.status() >= 100 && e.status() < 200) {
        saw.interim.push_back({e.status(), std::move(regular)});
      } else {
        saw.status = e.status();
        saw.headers = std::move(regular);
      }
    } else if (f.type == h2::kData) {
      std::string_view d = f.payload;
      if ((f.flags & h2::kPadded) && !d.empty()) {
        const size_t pad = static_cast<uint8_t>(d[0]);
        d = pad + 1 <= d.size() ? d.substr(1, d.size() - 1 - pad) : std::string_view();
      }
      if (saw.status >= 0) saw.body.append(d);
      end_pending = (f.flags & h2::kEndStream) != 0;
    } else {
      return true;
    }
    if (end_pending && saw.status >= 0) {
      saw.complete = true;
      return false;
    }
    return true;
  };

  const bool wait_continue = waits_for_continue(s);
  const bool end_on_headers = s.body.empty() && s.trailers.empty();
  p->send_headers(1, p->fields_block(fields),
                  h2::kEndHeaders | (end_on_headers ? h2::kEndStream : 0));
  bool open = true;
  if (wait_continue) {
    // A 100 or a final answer, or the read timeout (the client then sends the body anyway).
    while (open && saw.interim.empty() && saw.status < 0) {
      h2::Event e = p->next_event();
      if (e.kind == h2::Event::Kind::Timeout) break;
      open = take(e);
    }
  }
  if (open && saw.status < 0 && !s.body.empty()) {
    h2::Event ended;
    if (!p->send_body(1, s.body, s.trailers.empty(), &ended)) {
      open = take(ended);
      if (open) end = "the body could not be sent";
      open = false;
    }
  }
  if (open && saw.status < 0 && !s.trailers.empty()) {
    p->send_headers(1, p->fields_block(s.trailers), h2::kEndHeaders | h2::kEndStream);
  }
  while (open) open = take(p->next_event());
  saw.rejected = saw.status < 0 ? !timed_out || reset : saw.status >= 400;
  saw.text = "HTTP/2 client saw " + summary(saw) + (saw.complete ? "" : ", then " + end);
  return saw;
}

// --- judging ---------------------------------------------------------------------------------

std::vector<std::string> record_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The values of every ["cookie","..."] pair of a lowered record, joined with "; ".
std::string joined_cookie(const std::string& lowered) {
  const std::string key = "[\"cookie\",\"";
  std::string out;
  for (size_t at = lowered.find(key); at != std::string::npos; at = lowered.find(key, at)) {
    at += key.size();
    const size_t end = lowered.find("\"]", at);
    if (end == std::string::npos) break;
    out += (out.empty() ? "" : "; ") + lowered.substr(at, end - at);
  }
  return out;
}

// Does one record say the backend got exactly the request the scenario sent?
std::string mismatch(const Scenario& s, const std::string& target, const std::string& record) {
  if (record.find("\"method\":\"" + json_escape(s.method) + "\"") == std::string::npos)
    return "method differs";
  if (record.find("\"path\":\"" + json_escape(target) + "\"") == std::string::npos)
    return "path differs";
  if (record.find("\"body_sha256\":\"" + sha256_hex(s.body) + "\"") == std::string::npos)
    return "body differs";
  const std::string lowered = lower(record);
  for (const auto& [n, v] : s.backend_headers) {
    // RFC 9113 §8.2.3: an HTTP/2 hop may split a cookie field into crumbs; joined with "; "
    // they must equal the field sent.
    if (lower(n) == "cookie" && joined_cookie(lowered) == lower(json_escape(v))) continue;
    if (lowered.find("[\"" + lower(json_escape(n)) + "\",\"" + lower(json_escape(v)) + "\"]") ==
        std::string::npos) {
      return "header \"" + n + ": " + v + "\" missing";
    }
  }
  for (const auto& n : s.backend_absent) {
    if (lowered.find("[\"" + lower(json_escape(n)) + "\",") != std::string::npos)
      return "header \"" + n + "\" present";
  }
  for (const auto& [n, v] : s.trailers) {
    if (lowered.find("\"trailers\":[") == std::string::npos ||
        lowered.find("[\"" + lower(json_escape(n)) + "\",\"" + lower(json_escape(v)) + "\"]",
                     lowered.find("\"trailers\":[")) == std::string::npos) {
      return "trailer \"" + n + "\" missing";
    }
  }
  return "";
}

// Not compared: hop-by-hop fields (RFC 9110 §7.6.1; H1 framing is the encoder's choice) and what
// a proxy adds on its own.
bool ignored(const std::string& lowered_name) {
  static const std::set<std::string> kIgnored{"connection",
                                              "keep-alive",
                                              "proxy-connection",
                                              "transfer-encoding",
                                              "upgrade",
                                              "te",
                                              "trailer",
                                              "http2-settings",
                                              "via",
                                              "date",
                                              "server"};
  return kIgnored.count(lowered_name) > 0;
}

std::string show(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' || c == '\\')
      out += std::string("\\") + static_cast<char>(c);
    else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else
      out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string show_values(const std::vector<std::string>& v) {
  if (v.empty()) return "absent";
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + show(x);
  return out;
}

// Compares one field section; appends "what: expected X, got Y" lines to `diffs`.
// `want` with each "{sp+}" standing for one or more SP (RFC 9112 §5.2 lets obs-fold become one
// or more SP).
bool same_value(std::string_view want, std::string_view got) {
  const size_t mark = want.find("{sp+}");
  if (mark == std::string_view::npos) return want == got;
  if (got.substr(0, mark) != want.substr(0, mark)) return false;
  size_t at = mark;
  while (at < got.size() && got[at] == ' ') ++at;
  return at > mark && same_value(want.substr(mark + 5), got.substr(at));
}

bool same_values(const std::vector<std::string>& want, const std::vector<std::string>& got) {
  if (want.size() != got.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!same_value(want[i], got[i])) return false;
  }
  return true;
}

void compare_fields(const std::string& what, const std::vector<Field>& want,
                    const std::vector<std::string>& absent, bool only_listed,
                    const std::vector<Field>& got, const std::string& backend_protocol,
                    std::vector<std::string>& diffs) {
  std::map<std::string, std::vector<std::string>> expected, received;
  std::vector<std::string> order;
  for (auto [n, v] : want) {
    replace_all(v, "{backend-protocol}", backend_protocol);
    if (!expected.count(lower(n))) order.push_back(lower(n));
    expected[lower(n)].push_back(v);
  }
  for (const auto& [n, v] : got) received[lower(n)].push_back(v);
  for (const auto& n : order) {
    if (!same_values(expected[n], received[n])) {
      diffs.push_back(what + " " + n + ": expected " + show_values(expected[n]) + ", got " +
                      show_values(received[n]));
    }
  }
  for (const auto& n : absent) {
    if (!received[lower(n)].empty())
      diffs.push_back(what + " " + lower(n) + ": expected absent, got " +
                      show_values(received[lower(n)]));
  }
  if (only_listed) {
    for (const auto& [n, v] : received) {
      if (!v.empty() && !expected.count(n) && !ignored(n))
        diffs.push_back(what + " " + n + ": not expected, got " + show_values(v));
    }
  }
}

// What differs between the client's response and the scenario's `expect response` section.
std::vector<std::string> response_diffs(const ResponseExpectation& r, const ClientSaw& saw,
                                        bool h2_backend) {
  std::vector<std::string> diffs;
  if (!r.present) return diffs;
  const std::string proto = h2_backend ? "HTTP/2" : "HTTP/1.1";
  std::string want_interim, got_interim;
  for (const auto& i : r.interim)
    want_interim += (want_interim.empty() ? "" : ", ") + std::to_string(i.status);
  for (const auto& i : saw.interim)
    got_interim += (got_interim.empty() ? "" : ", ") + std::to_string(i.status);
  if (want_interim != got_interim) {
    diffs.push_back("interim responses: expected " +
                    (want_interim.empty() ? "none" : want_interim) + ", got " +
                    (got_interim.empty() ? "none" : got_interim));
  } else {
    for (size_t i = 0; i < r.interim.size(); ++i) {
      compare_fields(std::to_string(r.interim[i].status) + " field", r.interim[i].headers, {},
                     false, saw.interim[i].headers, proto, diffs);
    }
  }
  compare_fields("field", r.headers, r.absent, r.only_listed, saw.headers, proto, diffs);
  if (r.check_body) {
    if (r.body_by_digest) {
      const std::string got = sha256_hex(saw.body);
      if (saw.body.size() != r.body_length || (!r.body_sha256.empty() && got != r.body_sha256)) {
        diffs.push_back("body: expected " + std::to_string(r.body_length) + " bytes" +
                        (r.body_sha256.empty() ? "" : " with SHA-256 " + r.body_sha256) + ", got " +
                        std::to_string(saw.body.size()) + " bytes with SHA-256 " + got);
      }
    } else {
      std::string want = r.body;
      replace_all(want, "{backend-protocol}", proto);
      if (saw.body != want) {
        diffs.push_back(
            "body: expected " +
            (want.size() <= 200 ? show(want) : std::to_string(want.size()) + " bytes") + ", got " +
            (saw.body.size() <= 200 ? show(saw.body) : std::to_string(saw.body.size()) + " bytes"));
      }
    }
  }
  compare_fields("trailer", r.trailers, r.absent_trailers, false, saw.trailers, proto, diffs);
  if (!saw.complete && saw.status >= 0) diffs.push_back("the response did not end cleanly");
  return diffs;
}

Outcome judge(const Scenario& s, const ClientSaw& saw, const std::vector<std::string>& fresh,
              const std::string& target, bool h2_backend) {
  const bool nothing = fresh.empty();
  std::string why = fresh.size() == 1 ? mismatch(s, target, fresh[0]) : "";
  const bool exact = fresh.size() == 1 && why.empty();
  const std::string backend =
      nothing            ? "the backend received nothing"
      : fresh.size() > 1 ? "the backend received " + std::to_string(fresh.size()) + " requests"
      : exact            ? "the backend received the request"
                         : "the backend received a different request (" + why + ")";
  std::string actual = saw.text + "; " + backend;
  const bool rejected_ok = saw.rejected && nothing;
  const auto diffs = response_diffs(s.response, saw, h2_backend);
  const bool refused_answer =
      std::find(s.or_statuses.begin(), s.or_statuses.end(), saw.status) != s.or_statuses.end();
  const bool forwarded_ok = exact && ((saw.status == s.status && diffs.empty()) || refused_answer);
  std::string statuses = std::to_string(s.status);
  for (int o : s.or_statuses) statuses += " or " + std::to_string(o);
  std::vector<std::string> forwarded_expect{"status " + statuses +
                                            " and exactly the sent request at the backend"};
  if (s.response.present) {
    forwarded_expect[0] += ", and the response of the scenario's expect response section";
    if (exact) {
      // The request went through: say precisely what came back differently.
      for (const auto& d : diffs) actual += "\n            " + d;
    }
  }
  switch (s.expect) {
    case Expect::Rejected:
      return rejected_ok
                 ? Outcome::pass()
                 : Outcome::fail(
                       {"a rejection (4xx, RST_STREAM or close) and nothing at the backend"},
                       actual);
    case Expect::Forwarded:
      if (forwarded_ok && refused_answer)
        return Outcome::pass("status " + std::to_string(saw.status));
      return forwarded_ok ? Outcome::pass() : Outcome::fail(forwarded_expect, actual);
    case Expect::RejectedOrCut: {
      // A proxy that streams cannot unsend a head it forwarded before the malformed part came
      // (trailers): it must not forward that part and must end the request (RFC 9113 §8.1.1).
      const bool cut = fresh.size() == 1 && why.starts_with("trailer");
      if (saw.rejected && (nothing || cut)) return Outcome::pass(nothing ? "rejected" : "cut");
      return Outcome::fail({"a rejection, and at the backend nothing or the request without the "
                            "malformed part"},
                           actual);
    }
    case Expect::NotSmuggled: {
      // The client may even see the backend's answer to the truncated request: what matters is
      // that no second (smuggled) request reached the backend.
      const bool same_request = fresh.size() == 1 && (why.empty() || why == "body differs");
      return nothing || same_request
                 ? Outcome::pass()
                 : Outcome::fail(
                       {"at the backend nothing, or the one request cut at its declared length"},
                       actual);
    }
    case Expect::RejectedOrForwarded:
      // Both answers are the RFC's; say which one this proxy chose (the peer matrix shows it).
      if (rejected_ok) return Outcome::pass("rejected");
      if (forwarded_ok) return Outcome::pass("forwarded");
      return rejected_ok || forwarded_ok ? Outcome::pass()
                                         : Outcome::fail({"a rejection and nothing at the backend",
                                                          "or " + forwarded_expect[0]},
                                                         actual);
  }
  return Outcome::pass();
}

}  // namespace

std::vector<Section> build_suite(const ProxyTarget& t, const std::vector<Scenario>& scenarios) {
  Section root{"translate",
               "",
               "Translation through the proxy (client protocol - backend protocol)",
               {},
               {}};
  for (bool h2_client : {false, true}) {
    for (bool h2_backend : {false, true}) {
      std::string pairing = std::string(h2_client ? "h2" : "h1") + "-" + (h2_backend ? "h2" : "h1");
      auto& sec = root.child(pairing, std::string(h2_client ? "HTTP/2" : "HTTP/1.1") + " client, " +
                                          (h2_backend ? "h2c" : "HTTP/1.1") + " backend");
      for (const auto& s : scenarios) {
        if ((h2_client && !s.h2_client) || (!h2_client && !s.h1_client)) continue;
        if ((h2_backend && !s.h2_backend) || (!h2_backend && !s.h1_backend)) continue;
        sec.add(
            s.title + " [" + s.id + "]", s.rfc.empty() ? "(the scenario cites no RFC)" : s.rfc,
            [t, s, h2_client, h2_backend, pairing] {
              const std::string authority = h2_backend ? t.h2_authority : t.h1_authority;
              const std::string target = s.path +
                                         (s.path.find('?') == std::string::npos ? "?" : "&") +
                                         "scenario=" + s.id + "-" + pairing;
              const size_t before = record_lines(t.record_path).size();
              ClientSaw saw =
                  h2_client ? send_h2(t, s, authority, target) : send_h1(t, s, authority, target);
              if (saw.rejected) std::this_thread::sleep_for(std::chrono::milliseconds(150));
              auto lines = record_lines(t.record_path);
              std::vector<std::string> fresh(
                  lines.begin() + static_cast<long>(std::min(before, lines.size())), lines.end());
              return judge(s, saw, fresh, target, h2_backend);
            });
      }
    }
  }
  return {root};
}

}  // namespace crossmux::conformance::translate
