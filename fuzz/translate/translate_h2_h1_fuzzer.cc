// translate_h2_h1: requests our H2 server accepts (client bytes built from the input) are
// translated (prepare_for_h1), encoded by the H1 encoder, and re-parsed by strict llhttp. What
// llhttp sees must equal what was sent after the encoder's documented normalisations (Host first
// from the authority, one framing field chosen by the encoder, trailers only when chunked), with
// exactly one framing field when there is a body and no CR/LF/NUL in any field.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "codecs/base/byte_buffer.h"
#include "codecs/h1/encoder.h"
#include "codecs/h1/h1_errors.h"
#include "codecs/h2/connection.h"
#include "codecs/message/translate.h"
#include "codecs/reference/llhttp_adapter.h"
#include "fuzz/common/capture_sink.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/h2_wire.h"

using namespace crossmux;

namespace {

[[noreturn]] void fail(const char* what, const std::string& wire) {
  std::fprintf(stderr, "translate_h2_h1: %s\n%s\n", what, codecs::escape_bytes(wire).c_str());
  std::abort();
}

// One forwarded request: what we sent (after translation) and the H1 bytes for it.
struct Forwarded {
  std::string method, authority, path;
  fuzz::FieldCopies fields, trailers;
  std::string body;
  codecs::h1::Encoder encoder{codecs::MessageKind::Request};
  codecs::ByteBuffer wire;
  bool trailers_sent = false, complete = false, broken = false;
};

// The proxy's H2 -> H1 leg in miniature.
class Forwarder : public codecs::EventSink {
 public:
  void on_head(codecs::StreamId s, codecs::MessageHead& h) override {
    if (!codecs::prepare_for_h1(h)) return;            // refused before any upstream byte: fine
    if (h.framing == codecs::Framing::Tunnel) return;  // CONNECT: not a message to re-parse
    Forwarded& f = streams[s];
    f.method = h.method;
    f.authority = h.authority;
    f.path = h.path;
    f.fields = fuzz::CaptureSink::copy(h.headers);
    if (auto st = f.encoder.encode_head(h, f.wire); !st) {
      // Translation accepted it, so the encoder must too (a missing authority is the one
      // documented exception: H2 may omit it).
      if (st.error().detail != std::string_view(codecs::h1::kErrEncodeMissingAuthority)) {
        fail(st.error().detail, "");
      }
      streams.erase(s);
    }
  }
  void on_data(codecs::StreamId s, codecs::Bytes d) override {
    conn->consume(s, d.size());
    auto it = streams.find(s);
    if (it == streams.end()) return;
    it->second.body += codecs::as_chars(d);
    if (!it->second.encoder.encode_data(d, it->second.wire)) it->second.broken = true;
  }
  void on_trailers(codecs::StreamId s, codecs::HeaderList& t) override {
    auto it = streams.find(s);
    if (it == streams.end()) return;
    if (!codecs::validate_trailers(t, codecs::MessageKind::Request)) {
      streams.erase(it);
      return;
    }
    it->second.trailers = fuzz::CaptureSink::copy(t);
    it->second.trailers_sent = true;
    if (!it->second.encoder.encode_trailers(t, it->second.wire)) it->second.broken = true;
    it->second.complete = true;
  }
  void on_end_of_message(codecs::StreamId s) override {
    auto it = streams.find(s);
    if (it == streams.end() || it->second.complete) return;
    if (!it->second.encoder.encode_end(it->second.wire)) it->second.broken = true;
    it->second.complete = true;
  }
  void on_reset(codecs::StreamId s, uint32_t) override { streams.erase(s); }
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}

  codecs::h2::Connection* conn = nullptr;
  std::map<codecs::StreamId, Forwarded> streams;
};

bool framing_field(const std::string& name) {
  std::string n = fuzz::lower(name);
  return n == "content-length" || n == "transfer-encoding";
}

void check(const Forwarded& f) {
  const std::string wire(f.wire.view());
  // A body length mismatch (content-length vs DATA) is a stream error upstream, not a message.
  if (f.broken) return;
  codecs::reference::LlhttpDecoder llhttp(codecs::MessageKind::Request);
  fuzz::CaptureSink got;
  if (auto r = llhttp.feed(f.wire.bytes(), got); !r) {
    // llhttp knows only registered methods; RFC 9110 §9.1 allows any token (as h1_diff).
    if (std::string_view(r.error().detail) == "HPE_INVALID_METHOD") return;
    fail("llhttp rejects our H1 bytes", wire);
  }
  if (got.streams.size() != 1) fail("not exactly one request", wire);
  const fuzz::CapturedMessage& m = got.streams.begin()->second;
  if (m.heads != 1 || !m.ended) fail("request incomplete", wire);
  if (m.method != f.method) fail("method differs", wire);
  if (m.path != (f.method == "CONNECT" ? f.authority : f.path)) fail("target differs", wire);
  if (m.body != f.body) fail("body differs", wire);
  // Host first, equal to the authority.
  if (m.fields.empty() || fuzz::lower(m.fields[0].first) != "host" ||
      m.fields[0].second != f.authority) {
    fail("Host is not first or differs from the authority", wire);
  }
  size_t framing = 0;
  fuzz::FieldCopies rest;
  for (size_t i = 1; i < m.fields.size(); ++i) {
    const auto& [n, v] = m.fields[i];
    if (fuzz::unsafe(n) || fuzz::unsafe(v)) fail("CR/LF/NUL in a field", wire);
    if (framing_field(n)) {
      ++framing;
    } else {
      rest.push_back(m.fields[i]);
    }
  }
  if (framing > 1 || (framing == 0 && !f.body.empty())) fail("not exactly one framing field", wire);
  fuzz::FieldCopies sent;
  for (const auto& field : f.fields) {
    if (!framing_field(field.first)) sent.push_back(field);
  }
  if (rest != sent) fail("fields differ", wire);
  if (f.encoder.body_mode() == codecs::h1::BodyMode::Chunked &&
      m.trailers != fuzz::join_cookies(f.trailers)) {
    fail("trailers differ", wire);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  codecs::ByteBuffer wire;
  fuzz::build_client_wire(in, wire);
  Forwarder fwd;
  codecs::h2::Connection server(codecs::h2::Role::Server, fwd);
  fwd.conn = &server;
  (void)server.feed(wire.bytes());
  for (const auto& [id, f] : fwd.streams) {
    if (f.complete) check(f);
  }
  return 0;
}
