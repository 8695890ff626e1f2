// Running one case: write the units, service the connection, read until settled or the deadline.
#include "fuzz/net/exchange.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/bytes.h"
#include "codecs/h1/decoder.h"
#include "codecs/h2/frame.h"

namespace crossmux::fuzz::net {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---- HTTP/2 ----------------------------------------------------------------------------------

class H2Driver {
 public:
  H2Driver(conformance::Transport& io, Exchange& x) : io_(io), x_(x) {}

  void send(std::string_view bytes) {
    if (bytes.empty()) return;
    obs.sent(bytes);
    io_.write(bytes);
  }
  // Reads for up to `ms` (until `done` holds, if given); false once the server closed.
  template <class Done>
  bool pump(int ms, Done&& done) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    char buf[16384];
    while (!done()) {
      const int left = ms_left(deadline);
      if (left <= 0) return true;
      ssize_t n = io_.read(buf, sizeof buf, left);
      if (n == -1) return true;
      if (n <= 0) {
        obs.closed();
        x_.closed = true;
        return false;
      }
      x_.bytes_received += static_cast<uint64_t>(n);
      obs.received(std::string_view(buf, static_cast<size_t>(n)));
      send(obs.take_service());
    }
    return true;
  }

  H2Observer obs;

 private:
  conformance::Transport& io_;
  Exchange& x_;
};

void run_h2(conformance::Transport& io, const NetCase& c, const ExchangeOptions& o, uint64_t serial,
            Exchange& x) {
  H2Driver d(io, x);
  std::string pending;
  bool open = true;
  for (const auto& u : c.units) {
    if (!u.empty()) {
      pending += u;
      continue;
    }
    d.send(pending);
    pending.clear();
    open = d.pump(kPauseMs, [] { return false; });
    if (!open) break;
  }
  const auto marker = marker_opaque(serial);
  if (open) {
    codecs::ByteBuffer ping;
    codecs::h2::write_ping(ping, false, marker);
    pending.append(ping.view());
    d.send(pending);
    d.pump(o.timeout_ms, [&] { return d.obs.settled(marker); });
  }
  x.marker_acked = d.obs.ping_acked(marker);
  x.violations = d.obs.violations();
  x.streams = d.obs.streams();
  x.connection = d.obs.connection();
  auto owed = d.obs.unanswered();
  const bool marker_owed = !x.marker_acked && !x.connection.failed() && d.obs.sent_whole_frames();
  if (!x.closed && !d.obs.lost_track() && (!owed.empty() || marker_owed)) {
    x.timed_out = true;
    std::string ids;
    for (uint32_t id : owed) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    x.hang_detail = !owed.empty() ? "no answer on stream(s) " + ids + " within " +
                                        std::to_string(o.timeout_ms) + " ms"
                                  : "the PING sent after the case was not acknowledged within " +
                                        std::to_string(o.timeout_ms) + " ms";
  }
}

// ---- HTTP/1.1 --------------------------------------------------------------------------------

// Counts what a strict decoder sees: complete messages, and final statuses for responses.
class CountingSink : public codecs::EventSink {
 public:
  std::vector<std::string> methods;
  std::vector<int> statuses;
  size_t complete = 0;
  void on_head(codecs::StreamId, codecs::MessageHead& h) override {
    if (h.kind == codecs::MessageKind::Request) methods.emplace_back(h.method);
    if (h.kind == codecs::MessageKind::Response && (h.status >= 200 || h.status == 101)) {
      statuses.push_back(h.status);
    }
  }
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override { ++complete; }
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// The lines of `s` shaped like a request-line, read leniently: a token, one space, a target
// without spaces, one space, "HTTP/", ended by LF with or without CR.
size_t count_request_lines(std::string_view s) {
  size_t n = 0;
  while (!s.empty()) {
    const size_t lf = s.find('\n');
    if (lf == std::string_view::npos) break;
    std::string_view line = s.substr(0, lf);
    s.remove_prefix(lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1) continue;
    const std::string_view method = line.substr(0, sp1);
    if (!std::all_of(method.begin(), method.end(), is_tchar)) continue;
    if (line.substr(sp2 + 1).starts_with("HTTP/")) ++n;
  }
  return n;
}

// What our strict decoder makes of the bytes we send. A tunnel request (CONNECT, Upgrade) counts
// as refused, the reading that needs the fewest assumptions: an Upgrade then goes on as an
// ordinary request, a CONNECT ends the stream.
void parse_requests(const std::string& wire, Exchange& x, std::vector<std::string>& methods) {
  codecs::h1::Decoder decoder(codecs::MessageKind::Request);
  CountingSink sink;
  codecs::Bytes rest = codecs::as_bytes(wire);
  while (true) {
    const size_t complete_before = sink.complete;
    auto r = decoder.feed(rest, sink);
    if (!r) {
      x.request_error = x.request_tail = true;
      x.request_error_detail = r.error().detail;
      // The failed feed started at `rest` and may have completed requests before the error:
      // their request-lines are counted already.
      const size_t lines = count_request_lines(codecs::as_chars(rest));
      const size_t done = sink.complete - complete_before;
      x.tail_request_lines = lines > done ? lines - done : 0;
      break;
    }
    rest = rest.subspan(*r);
    if (!decoder.awaiting_tunnel()) {
      x.request_tail = (!rest.empty() || !decoder.idle()) && !decoder.closed();
      // After a CONNECT our reading ends the stream, but a server that refuses it keeps the
      // connection as HTTP/1.1 (RFC 9110 §9.3.6) and reads what follows as requests: those bytes
      // are a tail, as after bytes we reject (a Connection: close ends the stream for good,
      // RFC 9112 §9.6).
      if (decoder.closed() && !rest.empty() && !sink.methods.empty() &&
          sink.methods.back() == "CONNECT") {
        x.request_tail = true;
      }
      if (x.request_tail) x.tail_request_lines = count_request_lines(codecs::as_chars(rest));
      break;
    }
    decoder.resolve_tunnel(false, sink);
  }
  x.requests = sink.complete;
  methods = sink.methods;
}

void run_h1(conformance::Transport& io, const NetCase& c, const ExchangeOptions& o, Exchange& x) {
  parse_requests(c.wire(), x, x.methods);
  const std::vector<std::string>& methods = x.methods;
  codecs::h1::Decoder decoder(codecs::MessageKind::Response);
  for (const auto& m : methods) {
    codecs::MessageHead req;
    req.method = m;
    decoder.expect_response(req);
  }
  // Answers to requests we did not count (a lenient reading, a smuggled request) still parse.
  for (int i = 0; i < 8; ++i) {
    codecs::MessageHead req;
    req.method = "GET";
    decoder.expect_response(req);
  }
  CountingSink sink;
  std::string in;
  char buf[16384];
  auto take = [&](int ms) -> bool {  // false once closed or unparseable
    ssize_t n = io.read(buf, sizeof buf, ms);
    if (n == -1) return true;
    if (n <= 0) {
      x.closed = true;
      if (!x.garbage) (void)decoder.finish(sink);
      return false;
    }
    x.bytes_received += static_cast<uint64_t>(n);
    if (x.garbage) return true;
    in.append(buf, static_cast<size_t>(n));
    auto r = decoder.feed(codecs::as_bytes(in), sink);
    if (!r) {
      x.garbage = true;
      // Past the answers to the requests we know (after bytes our strict reading rejects) we
      // cannot tell which request the server answered, nor its method: not judged there.
      if (!x.request_tail || sink.statuses.size() < x.requests) {
        x.violations.push_back({"response-unparseable",
                                std::string("the response stream does not parse as HTTP/1.1: ") +
                                    r.error().detail + " (RFC 9112)"});
      }
      return true;
    }
    in.erase(0, *r);
    return true;
  };
  std::string pending;
  bool open = true;
  for (const auto& u : c.units) {
    if (!u.empty()) {
      pending += u;
      continue;
    }
    io.write(pending);
    pending.clear();
    const auto until = Clock::now() + std::chrono::milliseconds(kPauseMs);
    while (open && ms_left(until) > 0) open = take(ms_left(until));
    if (!open) break;
  }
  if (open) io.write(pending);
  // Between messages, closed (Connection: close), or switched to a tunnel (101, CONNECT 2xx).
  auto at_rest = [&] {
    if (decoder.idle() || decoder.closed()) return true;
    if (sink.statuses.empty()) return false;
    const size_t i = sink.statuses.size() - 1;
    const bool connect = i < methods.size() && methods[i] == "CONNECT";
    return sink.statuses[i] == 101 || (connect && sink.statuses[i] < 300);
  };
  const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
  bool finished = false;
  while (open) {
    const bool answered = sink.statuses.size() >= x.requests && at_rest();
    const int left = ms_left(deadline);
    if (left <= 0) break;
    if (answered) {
      // Everything owed came. We end our side, so a server has nothing left to wait for: it
      // closes at once, after any extra (smuggled) response it still has to send.
      if (!finished) {
        io.shutdown_write();
        finished = true;
      }
      const int grace = std::min(left, o.h1_grace_ms);
      const size_t before = x.bytes_received;
      open = take(grace);
      if (open && x.bytes_received == before) break;
      continue;
    }
    open = take(left);
  }
  x.statuses = sink.statuses;
  x.responses_complete = sink.complete;
  // A response left halfway is owed only when it answers a request we know: past them it may
  // answer a HEAD we did not see (after bytes our strict reading rejects, or after a request
  // that closes the connection), which ends at its head; an extra response is reported below.
  const bool stalled = !at_rest() && sink.statuses.size() <= x.requests;
  if (!x.closed && !x.garbage && (sink.statuses.size() < x.requests || stalled)) {
    x.timed_out = true;
    x.hang_detail = stalled ? "a response started but did not finish within " +
                                  std::to_string(o.timeout_ms) + " ms"
                            : std::to_string(x.requests - sink.statuses.size()) +
                                  " complete request(s) not answered within " +
                                  std::to_string(o.timeout_ms) + " ms";
  }
  // More final responses than requests in a stream our strict decoder read to the end: the
  // server answered a request that is not there (RFC 9112 §9.3.2: one response per request).
  if (!x.request_tail && sink.statuses.size() > x.requests) {
    x.violations.push_back({"extra-response", std::to_string(sink.statuses.size()) +
                                                  " responses to " + std::to_string(x.requests) +
                                                  " complete request(s) (RFC 9112 §9.3.2)"});
  }
}

}  // namespace

std::array<uint8_t, 8> marker_opaque(uint64_t serial) {
  std::array<uint8_t, 8> m{'c', 'm', 'x'};
  for (int i = 0; i < 5; ++i) m[3 + i] = static_cast<uint8_t>(serial >> (8 * (4 - i)));
  return m;
}

Exchange run_exchange(const Target& t, const NetCase& c, const ExchangeOptions& o,
                      uint64_t serial) {
  Exchange x;
  const auto start = Clock::now();
  auto io = conformance::Transport::connect(t.endpoint(c.proto, o.timeout_ms), &x.connect_error);
  if (!io) {
    x.elapsed_ms = ms_since(start);
    return x;
  }
  x.connected = true;
  if (c.proto == Proto::H2) {
    run_h2(*io, c, o, serial, x);
  } else {
    run_h1(*io, c, o, x);
  }
  x.elapsed_ms = ms_since(start);
  return x;
}

}  // namespace crossmux::fuzz::net
