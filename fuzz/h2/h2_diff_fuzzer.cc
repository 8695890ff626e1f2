// h2_diff: the same client bytes (preface, SETTINGS, HPACK-encoded requests, DATA, trailers,
// control frames, a few raw frames) through our server Connection and nghttp2's server session.
// Verdicts must agree: connection error or not, and per stream the delivered request (head, body,
// trailers) or a reset, after the allowlist in fuzz/common/h2_diff_allowlist.h.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/connection.h"
#include "codecs/reference/nghttp2_adapter.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/h2_diff_allowlist.h"
#include "fuzz/common/h2_wire.h"
#include "fuzz/common/nghttp2_arena.h"

using namespace crossmux;

namespace {

struct StreamRecord {
  std::string method, scheme, authority, path, head, body, tail;  // tail: trailers and end
  size_t content_length_fields = 0, host_fields = 0;
  bool host_mismatch = false, forbidden_trailer = false, ctl_in_value = false;
  bool reset = false;
  fuzz::StreamView view() const {
    return {method,      scheme,        authority,         path,        content_length_fields,
            host_fields, host_mismatch, forbidden_trailer, ctl_in_value};
  }
};

bool has_ctl(std::string_view v) {
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(" ").append(name).append(": ").append(value).append("\n");
}

// Records per-stream verdicts; returns flow credit at once (as nghttp2's auto window update).
class DiffSink : public codecs::EventSink {
 public:
  void on_head(codecs::StreamId s, codecs::MessageHead& h) override {
    StreamRecord& r = streams[s];
    r.method = h.method;
    r.scheme = h.scheme;
    r.authority = h.authority;
    r.path = h.path;
    // A list ("5, 5") counts as many values as it has.
    r.content_length_fields = 0;
    for (const auto& f : h.headers) {
      if (f.name == "content-length") {
        r.content_length_fields +=
            1 + static_cast<size_t>(std::count(f.value.begin(), f.value.end(), ','));
      }
    }
    r.host_fields = h.headers.count("host");
    r.host_mismatch = (h.violations & codecs::kViolationHostAuthorityMismatch) != 0;
    r.head += "head " + r.method + " " + r.scheme + " " + r.authority + " " + r.path + " " +
              std::string(h.protocol) + "\n";
    for (const auto& f : h.headers) {
      r.ctl_in_value |= has_ctl(f.value);
      append_field(r.head, f.name, f.value);
    }
  }
  void on_data(codecs::StreamId s, codecs::Bytes d) override {
    streams[s].body += codecs::as_chars(d);
    if (conn) conn->consume(s, d.size());
  }
  void on_trailers(codecs::StreamId s, codecs::HeaderList& t) override {
    for (const auto& f : t) {
      if (codecs::field_properties(f.name) & codecs::kFieldNotInTrailers) {
        streams[s].forbidden_trailer = true;
      }
    }
    for (const auto& f : t) streams[s].ctl_in_value |= has_ctl(f.value);
    std::string& text = streams[s].tail;
    text += "trailers\n";
    for (const auto& f : t) append_field(text, f.name, f.value);
  }
  void on_end_of_message(codecs::StreamId s) override { streams[s].tail += "end\n"; }
  void on_reset(codecs::StreamId s, uint32_t) override { streams[s].reset = true; }
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error& e) override {
    failed = true;
    error = e;
  }

  codecs::h2::Connection* conn = nullptr;
  std::map<codecs::StreamId, StreamRecord> streams;
  bool failed = false;
  codecs::Error error;
};

// Prints both sides' view of a stream (the crash log is the triage report) and aborts.
[[noreturn]] void mismatch(const char* what, codecs::StreamId id, const StreamRecord* ours,
                           const StreamRecord* theirs) {
  std::fprintf(stderr, "h2_diff: %s (stream %u)\n", what, id);
  for (const StreamRecord* r : {ours, theirs}) {
    std::fprintf(stderr, "--- %s\n", r == ours ? "ours" : "nghttp2");
    if (r) {
      std::fprintf(stderr, "%s%sbody %zu bytes\n%s", r->reset ? "reset\n" : "", r->head.c_str(),
                   r->body.size(), r->tail.c_str());
    }
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  auto sizes = in.bytes(in.range(0, 4));
  codecs::ByteBuffer wire;
  fuzz::build_client_wire(in, wire);

  if (std::getenv("CROSSMUX_FUZZ_DEBUG")) {
    std::fprintf(stderr, "wire: %s\n", codecs::escape_bytes(wire.view()).c_str());
  }
  codecs::h2::Settings local;
  local.max_concurrent_streams = 100;  // as the reference's default
  codecs::h2::Limits limits;
  limits.max_continuations = 8;  // nghttp2's CONTINUATION limit
  DiffSink ours_sink, theirs_sink;
  codecs::h2::Connection ours(codecs::h2::Role::Server, ours_sink, local, limits);
  ours_sink.conn = &ours;
  // nghttp2's memory comes from an arena rewound per input (no session outlives its input).
  static fuzz::Nghttp2Arena arena;
  arena.rewind();
  codecs::reference::Nghttp2Session::Options theirs_options;
  theirs_options.mem = arena.mem();
  codecs::reference::Nghttp2Session theirs(codecs::reference::Nghttp2Session::Role::Server,
                                           theirs_sink, theirs_options);
  codecs::ByteBuffer pending, out;
  // Both sides drain their output at the same points, after each piece: a peer that reads its
  // ACKs only at the end floods nghttp2's outbound queue (NGHTTP2_ERR_FLOODED past 1000 PING or
  // SETTINGS ACKs), which says nothing about the codecs (fuzz finding
  // h2_diff-clean-only-nghttp2-failed-7739075f: 1,200 PINGs in pieces). nghttp2 is fed only whole
  // frames (up to the last frame boundary inside what arrived): fed a CONTINUATION frame header in
  // pieces, the installed nghttp2 counts the frame more than once ("Too many CONTINUATION frames").
  const codecs::Bytes wire_bytes = wire.bytes();
  size_t arrived = 0, theirs_fed = 0,
         boundary = std::min(wire_bytes.size(), fuzz::kH2Preface.size());
  auto feed_theirs = [&](size_t upto) {
    if (theirs_sink.failed || upto <= theirs_fed) return;
    if (auto r = theirs.feed(wire_bytes.subspan(theirs_fed, upto - theirs_fed)); !r) {
      theirs_sink.on_connection_error(r.error());
    }
    theirs_fed = upto;
    out.clear();
    theirs.take_output(out);
  };
  fuzz::for_each_piece(wire_bytes, sizes, [&](std::span<const uint8_t> piece) {
    pending.append(piece);
    if (!ours_sink.failed) {
      if (auto r = ours.feed(pending.bytes())) pending.consume(*r);
    }
    out.clear();
    ours.take_output(out);
    arrived += piece.size();
    while (boundary + 9 <= arrived) {
      const size_t length = (size_t{wire_bytes[boundary]} << 16) |
                            (size_t{wire_bytes[boundary + 1]} << 8) | wire_bytes[boundary + 2];
      if (boundary + 9 + length > arrived) break;
      boundary += 9 + length;
    }
    feed_theirs(std::min(boundary, arrived));
  });
  feed_theirs(wire_bytes.size());  // a trailing partial frame
  if (theirs_sink.failed && !ours_sink.failed &&
      fuzz::allowed_theirs_connection_error(theirs_sink.error.code)) {
    return 0;
  }
  if (ours_sink.failed && !theirs_sink.failed && ours_sink.error.detail &&
      fuzz::allowed_ours_connection_error(ours_sink.error.detail)) {
    return 0;
  }
  if (ours_sink.failed != theirs_sink.failed) {
    const codecs::Error& e = ours_sink.failed ? ours_sink.error : theirs_sink.error;
    std::fprintf(stderr, "connection error: %s %s\n", codecs::to_string(e.h2_code()).data(),
                 e.detail ? e.detail : "");
    mismatch(ours_sink.failed ? "only we failed the connection" : "only nghttp2 failed it", 0,
             nullptr, nullptr);
  }
  if (ours_sink.failed) return 0;
  // A stream one side never reported counts as refused: both codecs may reset a malformed
  // request without telling the application, before any head event.
  static const StreamRecord kRefused = [] {
    StreamRecord r;
    r.reset = true;
    return r;
  }();
  std::map<codecs::StreamId, std::pair<const StreamRecord*, const StreamRecord*>> all;
  for (const auto& [id, r] : ours_sink.streams) all[id] = {&r, &kRefused};
  for (const auto& [id, r] : theirs_sink.streams) {
    all.try_emplace(id, &kRefused, &r).first->second.second = &r;
  }
  for (const auto& [id, pair] : all) {
    const StreamRecord& ours_rec = *pair.first;
    const StreamRecord& theirs_rec = *pair.second;
    if (ours_rec.reset && theirs_rec.reset) continue;
    if (ours_rec.reset && fuzz::allowed_ours_reset(theirs_rec.view())) continue;
    if (theirs_rec.reset && fuzz::allowed_theirs_reset(ours_rec.view())) continue;
    if (ours_rec.reset != theirs_rec.reset)
      mismatch("reset verdicts differ", id, &ours_rec, &theirs_rec);
    if (ours_rec.head != theirs_rec.head || ours_rec.body != theirs_rec.body ||
        ours_rec.tail != theirs_rec.tail) {
      mismatch("delivered requests differ", id, &ours_rec, &theirs_rec);
    }
  }
  return 0;
}
