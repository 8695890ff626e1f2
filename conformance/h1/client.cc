// Sending raw HTTP/1.1 bytes and observing the responses with our own decoder.
#include <algorithm>
#include <cstdio>

#include "codecs/h1/decoder.h"
#include "conformance/h1/suite.h"
#include "conformance/transport.h"

namespace crossmux::conformance::h1 {

namespace {

// Collects final response statuses (interim 1xx heads are skipped).
class StatusSink : public codecs::EventSink {
 public:
  std::vector<uint16_t> statuses;
  void on_head(codecs::StreamId, codecs::MessageHead& head) override {
    if (head.status >= 200 || head.status == 101) statuses.push_back(head.status);
  }
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

}  // namespace

std::string Target::authority() const {
  uint16_t p = effective_port();
  bool default_port = (tls && p == 443) || (!tls && p == 80);
  return default_port ? host : host + ":" + std::to_string(p);
}

std::string Observed::describe() const {
  if (!error.empty()) return "Error: " + error;
  std::string out;
  for (size_t i = 0; i < statuses.size(); ++i) out += (i ? ", " : "") + std::to_string(statuses[i]);
  if (out.empty()) out = "no response";
  if (garbage) out += ", then bytes that are not an HTTP/1.1 response";
  out += closed ? ", then closed" : ", connection still open";
  return out;
}

Observed exchange(const Target& t, const std::string& bytes,
                  const std::vector<std::string>& methods) {
  Observed o;
  Endpoint e;
  e.host = t.host;
  e.port = t.effective_port();
  e.tls = t.tls;
  e.insecure = t.insecure;
  e.alpn = t.tls ? "http/1.1" : "";
  auto io = Transport::connect(e, &o.error);
  if (!io) return o;
  io->write(bytes);
  codecs::h1::Decoder decoder(codecs::MessageKind::Response);
  for (const auto& m : methods) {
    codecs::MessageHead req;
    req.method = m;
    decoder.expect_response(req);
  }
  // A server may answer more requests than we counted (a smuggled one): let the decoder see them.
  for (int i = 0; i < 4; ++i) {
    codecs::MessageHead req;
    req.method = "GET";
    decoder.expect_response(req);
  }
  StatusSink sink;
  std::string in;
  char buf[16384];
  while (true) {
    const bool all_answered = sink.statuses.size() >= methods.size();
    ssize_t n =
        io->read(buf, sizeof buf, all_answered ? std::min(t.timeout_ms, 300) : t.timeout_ms);
    if (n == -1) break;  // timeout: still open
    if (n <= 0) {
      o.closed = true;
      (void)decoder.finish(sink);
      break;
    }
    in.append(buf, static_cast<size_t>(n));
    auto r = decoder.feed(codecs::as_bytes(in), sink);
    if (!r) {
      o.garbage = true;
      break;
    }
    in.erase(0, *r);
  }
  o.statuses = sink.statuses;
  return o;
}

}  // namespace crossmux::conformance::h1
