// h1_request / h1_response: our HTTP/1.1 decoder fed the same bytes whole and at input-chosen
// split points must produce the same event trace (the incremental contract), never consume more
// than offered, and keep every emitted field free of CR, LF and NUL.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/h1/decoder.h"
#include "codecs/message/recording_sink.h"
#include "fuzz/common/fuzz_input.h"

#ifndef CROSSMUX_H1_KIND
#error "define CROSSMUX_H1_KIND to Request or Response"
#endif

using namespace crossmux;
using codecs::MessageKind;

namespace {

// Records the trace and checks every field the decoder hands out.
class CheckingSink : public codecs::RecordingSink {
 public:
  void on_head(codecs::StreamId s, codecs::MessageHead& head) override {
    for (const auto& f : head.headers) check(f.name), check(f.value);
    check(head.method), check(head.path), check(head.authority);
    codecs::RecordingSink::on_head(s, head);
  }
  void on_trailers(codecs::StreamId s, codecs::HeaderList& t) override {
    for (const auto& f : t) check(f.name), check(f.value);
    codecs::RecordingSink::on_trailers(s, t);
  }

 private:
  static void check(std::string_view v) {
    if (v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) std::abort();
  }
};

std::string run(std::span<const uint8_t> input, const std::vector<size_t>& cuts,
                const std::vector<std::string>& methods, bool finish) {
  codecs::h1::Decoder decoder(MessageKind::CROSSMUX_H1_KIND);
  for (const auto& m : methods) {
    codecs::MessageHead req;
    req.method = m;
    decoder.expect_response(req);
  }
  CheckingSink sink;
  std::string pending;
  size_t from = 0;
  std::vector<size_t> points = cuts;
  points.push_back(input.size());
  for (size_t cut : points) {
    if (cut < from || cut > input.size()) continue;
    pending.append(reinterpret_cast<const char*>(input.data()) + from, cut - from);
    from = cut;
    // Feed until the decoder makes no more progress: resolving a tunnel lets it go on.
    while (true) {
      auto r = decoder.feed(codecs::as_bytes(pending), sink);
      if (!r.has_value()) return sink.trace();
      if (*r > pending.size()) std::abort();
      pending.erase(0, *r);
      if (!decoder.awaiting_tunnel()) break;
      decoder.resolve_tunnel(true, sink);
    }
  }
  if (finish && !decoder.failed()) (void)decoder.finish(sink);
  return sink.trace();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  static const char* kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
  std::vector<std::string> methods;
  for (size_t i = 0, n = in.range(0, 4); i < n; ++i) methods.emplace_back(kMethods[in.u8() % 4]);
  const bool finish = in.boolean();
  auto cut_bytes = in.bytes(in.range(0, 16));
  auto payload = in.rest();
  std::vector<size_t> cuts;
  size_t at = 0;
  for (uint8_t c : cut_bytes) {
    at += c % 64 + 1;
    cuts.push_back(at);
  }
  std::string whole = run(payload, {}, methods, finish);
  std::string split = run(payload, cuts, methods, finish);
  if (whole != split) std::abort();
  return 0;
}
