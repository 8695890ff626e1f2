// translate_h1_h2: requests our H1 decoder accepts (raw input bytes, input-chosen read
// boundaries) are translated (prepare_for_h2) and sent by our H2 client Connection to nghttp2's
// server session, which must receive exactly what was sent: same pseudo-headers, fields (the H2
// encoder lowercases names and adds content-length for a known length), body and trailers; at
// most one content-length, no transfer-encoding, no CR/LF/NUL in any field.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "codecs/base/byte_buffer.h"
#include "codecs/h1/decoder.h"
#include "codecs/h2/connection.h"
#include "codecs/message/translate.h"
#include "codecs/reference/nghttp2_adapter.h"
#include "fuzz/common/capture_sink.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/nghttp2_arena.h"

using namespace crossmux;

namespace {

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "translate_h1_h2: %s\n%s\n", what, codecs::escape_bytes(input).c_str());
  std::abort();
}

struct Sent {
  std::string method, scheme, authority, path;
  fuzz::FieldCopies fields, trailers;
  std::string body;
  bool complete = false;
};

// The proxy's H1 -> H2 leg in miniature: each H1 request becomes one H2 stream.
class Forwarder : public codecs::EventSink {
 public:
  explicit Forwarder(codecs::h2::Connection& client) : client_(client) {}

  void on_head(codecs::StreamId s, codecs::MessageHead& h) override {
    if (h.framing == codecs::Framing::Tunnel || h.expect_continue) return;
    if (h.scheme.empty()) h.scheme = "http";  // the listener's scheme
    if (!codecs::prepare_for_h2(h)) return;
    // HTTP/1.0 without Host has no authority; the proxy sends the backend's (nghttp2 refuses a
    // request with neither :authority nor host).
    if (h.authority.empty()) h.authority = "backend.example";
    bool end = h.framing == codecs::Framing::None;
    auto id = client_.submit_headers(0, h, end);
    if (!id) return;
    ids_[s] = *id;
    Sent& m = sent[*id];
    m.method = h.method;
    m.scheme = h.scheme;
    m.authority = h.authority;
    m.path = h.path;
    m.fields = fuzz::CaptureSink::copy(h.headers);
    for (auto& f : m.fields) f.first = fuzz::lower(f.first);
    if (h.framing == codecs::Framing::KnownLength && h.headers.count("content-length") == 0) {
      m.fields.emplace_back("content-length", std::to_string(h.content_length));
    }
    m.complete = end;
  }
  void on_data(codecs::StreamId s, codecs::Bytes d) override {
    if (Sent* m = find(s)) {
      m->body += codecs::as_chars(d);
      (void)client_.submit_data(ids_[s], d, false);
    }
  }
  void on_trailers(codecs::StreamId s, codecs::HeaderList& t) override {
    Sent* m = find(s);
    if (!m) return;
    if (!codecs::validate_trailers(t, codecs::MessageKind::Request)) {
      client_.reset(ids_[s], codecs::H2Code::Cancel);
      sent.erase(ids_[s]);
      ids_.erase(s);
      return;
    }
    m->trailers = fuzz::CaptureSink::copy(t);
    for (auto& f : m->trailers) f.first = fuzz::lower(f.first);
    (void)client_.submit_trailers(ids_[s], t);
    m->complete = true;
  }
  void on_end_of_message(codecs::StreamId s) override {
    Sent* m = find(s);
    if (!m || m->complete) return;
    (void)client_.submit_data(ids_[s], {}, true);
    m->complete = true;
  }
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}

  std::map<codecs::StreamId, Sent> sent;  // by H2 stream id

 private:
  Sent* find(codecs::StreamId s) {
    auto it = ids_.find(s);
    if (it == ids_.end()) return nullptr;
    auto m = sent.find(it->second);
    return m == sent.end() ? nullptr : &m->second;
  }
  codecs::h2::Connection& client_;
  std::map<codecs::StreamId, codecs::StreamId> ids_;  // H1 exchange -> H2 stream
};

// Moves bytes both ways until neither side has anything more to say.
void pump(codecs::h2::Connection& client, codecs::reference::Nghttp2Session& server,
          codecs::ByteBuffer& a, codecs::ByteBuffer& b, std::string_view input) {
  for (int round = 0; round < 64; ++round) {
    a.clear();
    b.clear();
    client.take_output(a);
    if (!a.empty() && !server.feed(a.bytes())) fail("nghttp2 rejects our H2 bytes", input);
    server.take_output(b);
    if (!b.empty()) {
      auto r = client.feed(b.bytes());
      if (!r || *r != b.size()) fail("our client rejects nghttp2's bytes", input);
    }
    if (a.empty() && b.empty()) return;
  }
}

void check(const Sent& s, const fuzz::CapturedMessage& m, std::string_view input) {
  if (m.reset) {
    size_t cl = 0;
    for (const auto& f : s.fields) cl += f.first == "content-length";
    if (cl > 1) return;  // nghttp2 refuses any repeated content-length (nghttp2_adapter.h)
    fail("nghttp2 reset a forwarded request", input);
  }
  if (m.heads != 1 || !m.ended) fail("request incomplete at nghttp2", input);
  if (m.method != s.method || m.scheme != s.scheme || m.authority != s.authority ||
      m.path != s.path) {
    fail("pseudo-headers differ", input);
  }
  size_t cl = 0;
  for (const auto& [n, v] : m.fields) {
    if (fuzz::unsafe(n) || fuzz::unsafe(v)) fail("CR/LF/NUL in a field", input);
    if (n == "transfer-encoding") fail("transfer-encoding in H2", input);
    cl += n == "content-length";
  }
  if (cl > 1 && s.fields.size() == m.fields.size() && s.fields != m.fields) {
    fail("more than one content-length", input);
  }
  if (m.fields != s.fields) fail("fields differ", input);
  if (m.body != s.body) fail("body differs", input);
  if (m.trailers != s.trailers) fail("trailers differ", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  auto sizes = in.bytes(in.range(0, 4));
  auto payload = in.rest();
  std::string_view input(reinterpret_cast<const char*>(payload.data()), payload.size());

  fuzz::CaptureSink received;
  // nghttp2's memory comes from an arena rewound per input (no session outlives its input).
  static fuzz::Nghttp2Arena arena;
  arena.rewind();
  codecs::reference::Nghttp2Session::Options server_options;
  server_options.mem = arena.mem();
  codecs::reference::Nghttp2Session server(codecs::reference::Nghttp2Session::Role::Server,
                                           received, server_options);
  fuzz::CaptureSink client_events;
  codecs::h2::Connection client(codecs::h2::Role::Client, client_events);
  Forwarder fwd(client);
  codecs::h1::Decoder decoder(codecs::MessageKind::Request);
  codecs::ByteBuffer pending;
  codecs::ByteBuffer a, b;  // pump()'s buffers, kept for the whole input
  bool failed = false;
  fuzz::for_each_piece(payload, sizes, [&](std::span<const uint8_t> piece) {
    if (failed) return;
    pending.append(piece);
    auto r = decoder.feed(pending.bytes(), fwd);
    if (!r) {
      failed = true;
      return;
    }
    pending.consume(*r);
    pump(client, server, a, b, input);
  });
  pump(client, server, a, b, input);
  for (const auto& [id, s] : fwd.sent) {
    if (!s.complete) continue;
    auto it = received.streams.find(id);
    if (it == received.streams.end()) fail("nghttp2 never saw a forwarded request", input);
    check(s, it->second, input);
  }
  return 0;
}
