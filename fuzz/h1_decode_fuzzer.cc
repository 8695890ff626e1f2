// h1_request / h1_response: our HTTP/1.1 decoder fed the same bytes whole and at input-chosen
// split points must produce the same event trace (the incremental contract), never consume more
// than offered, and keep every emitted field free of CR, LF and NUL.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

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

std::string run(std::span<const uint8_t> input, std::span<const size_t> cuts,
                std::span<const std::string_view> methods, bool finish) {
  codecs::h1::Decoder decoder(MessageKind::CROSSMUX_H1_KIND);
  codecs::MessageHead req;
  for (std::string_view m : methods) {
    req.method = m;
    decoder.expect_response(req);
  }
  CheckingSink sink;
  std::string pending;
  size_t from = 0;
  bool failed = false;
  // Offers the bytes up to `cut` (cuts that go backwards or past the end are skipped).
  auto feed_to = [&](size_t cut) {
    if (failed || cut < from || cut > input.size()) return;
    pending.append(reinterpret_cast<const char*>(input.data()) + from, cut - from);
    from = cut;
    // Feed until the decoder makes no more progress: resolving a tunnel lets it go on.
    while (true) {
      auto r = decoder.feed(codecs::as_bytes(pending), sink);
      if (!r.has_value()) {
        failed = true;
        return;
      }
      if (*r > pending.size()) std::abort();
      pending.erase(0, *r);
      if (!decoder.awaiting_tunnel()) break;
      decoder.resolve_tunnel(true, sink);
    }
  };
  for (size_t cut : cuts) feed_to(cut);
  feed_to(input.size());
  if (failed) return sink.trace();
  if (finish && !decoder.failed()) (void)decoder.finish(sink);
  return sink.trace();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  static constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
  std::array<std::string_view, 4> methods;
  const size_t n_methods = in.range(0, 4);
  for (size_t i = 0; i < n_methods; ++i) methods[i] = kMethods[in.u8() % 4];
  const bool finish = in.boolean();
  auto cut_bytes = in.bytes(in.range(0, 16));
  auto payload = in.rest();
  std::array<size_t, 16> cuts;
  size_t at = 0;
  for (size_t i = 0; i < cut_bytes.size(); ++i) {
    at += cut_bytes[i] % 64 + 1;
    cuts[i] = at;
  }
  const auto used = std::span<const std::string_view>(methods.data(), n_methods);
  std::string whole = run(payload, {}, used, finish);
  std::string split =
      run(payload, std::span<const size_t>(cuts.data(), cut_bytes.size()), used, finish);
  if (whole != split) std::abort();
  return 0;
}
