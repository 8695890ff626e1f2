// h2_diff: the same client bytes (preface, SETTINGS, HPACK-encoded requests, DATA, trailers,
// control frames, a few raw frames) through our server Connection and nghttp2's server session.
// Verdicts must agree: connection error or not, and per stream the delivered request (head, body,
// trailers) or a reset, after the allowlist in fuzz/common/h2_diff_allowlist.h. Each side's
// flow-control verdicts are also judged on their own by H2FlowOracle (RFC 9113 §6.9).
//
// Window mode: an input starting with kWindowMode, a 16-bit SETTINGS_INITIAL_WINDOW_SIZE, a credit
// byte and an ACK position configures both receivers alike: that stream window, a 65,535-octet
// connection window, credit returned as data arrives (odd credit byte) or never, and client DATA
// frames up to 16 KiB, with the client's SETTINGS ACK after the chosen operation. Without credit
// both receivers' stream windows are exactly the same, so their stream verdicts must agree; with
// it, each returns credit at its own moments, and flow-control resets are left to the oracle.
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
#include "fuzz/common/h2_flow_oracle.h"
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
    if (conn && consume) conn->consume(s, d.size());
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
  bool consume = true;
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

constexpr uint8_t kWindowMode = 0xf7;

struct Setup {
  uint32_t window = codecs::h2::kDefaultWindow;
  bool credit = true;  // receivers return credit as data arrives
  fuzz::ClientWireOptions wire;
};

// Reads window mode's header, if any, off the front of the input.
Setup read_setup(const uint8_t*& data, size_t& size) {
  Setup s;
  if (size < 5 || data[0] != kWindowMode) return s;
  s.window = codecs::load_u16be(data + 1);
  s.credit = (data[3] & 1) != 0;
  s.wire.data_fill = codecs::h2::kDefaultMaxFrameSize;
  s.wire.window = s.window;
  s.wire.ack_after = data[4] == 0xff ? -1 : data[4];
  data += 5;
  size -= 5;
  return s;
}

void judge_flow(const char* side, const fuzz::H2FlowOracle& oracle) {
  if (std::string why = oracle.judge(); !why.empty()) {
    std::fprintf(stderr, "h2_diff: %s broke flow control (RFC 9113 §6.9): %s\n", side, why.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Setup setup = read_setup(data, size);
  fuzz::FuzzInput in(data, size);
  auto sizes = in.bytes(in.range(0, 4));
  codecs::ByteBuffer wire;
  fuzz::build_client_wire(in, wire, setup.wire);

  if (std::getenv("CROSSMUX_FUZZ_DEBUG")) {
    std::fprintf(stderr, "wire: %s\n", codecs::escape_bytes(wire.view()).c_str());
  }
  codecs::h2::Settings local;
  local.max_concurrent_streams = 100;  // as the reference's default
  local.initial_window_size = setup.window;
  codecs::h2::Limits limits;
  limits.max_continuations = 8;  // nghttp2's CONTINUATION limit
  if (setup.wire.data_fill) limits.connection_window = codecs::h2::kDefaultWindow;
  DiffSink ours_sink, theirs_sink;
  codecs::h2::Connection ours(codecs::h2::Role::Server, ours_sink, local, limits);
  ours_sink.conn = &ours;
  ours_sink.consume = setup.credit;
  // nghttp2's memory comes from an arena rewound per input (no session outlives its input).
  static fuzz::Nghttp2Arena arena;
  arena.rewind();
  codecs::reference::Nghttp2Session::Options theirs_options;
  theirs_options.mem = arena.mem();
  theirs_options.initial_window_size = setup.window;
  theirs_options.auto_window_update = setup.credit;
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
  fuzz::H2FlowOracle ours_flow(wire_bytes, setup.window), theirs_flow(wire_bytes, setup.window);
  theirs_flow.forgive_reset_on_shrunk_window();
  size_t ours_read = 0;
  // Each server writes its SETTINGS before it reads, as on a real connection: the client's ACK
  // can only acknowledge SETTINGS that were sent (nghttp2 applies its own only once in flight).
  ours.take_output(out);
  ours_flow.output(0, out.bytes(), 0);
  out.clear();
  theirs.take_output(out);
  theirs_flow.output(0, out.bytes(), 0);
  size_t arrived = 0, theirs_fed = 0,
         boundary = std::min(wire_bytes.size(), fuzz::kH2Preface.size());
  auto feed_theirs = [&](size_t upto) {
    if (theirs_sink.failed || upto <= theirs_fed) return;
    const size_t before = theirs_fed;
    if (auto r = theirs.feed(wire_bytes.subspan(theirs_fed, upto - theirs_fed)); !r) {
      theirs_sink.on_connection_error(r.error());
    }
    theirs_fed = upto;
    out.clear();
    theirs.take_output(out);
    theirs_flow.output(upto, out.bytes(), theirs_sink.failed ? before : upto);
  };
  fuzz::for_each_piece(wire_bytes, sizes, [&](std::span<const uint8_t> piece) {
    pending.append(piece);
    size_t ours_fed = ours_read;  // how far this feed reached (further when it failed)
    if (!ours_sink.failed) {
      ours_fed += pending.size();
      if (auto r = ours.feed(pending.bytes())) {
        pending.consume(*r);
        ours_read += *r;
        ours_fed = ours_read;
      }
    }
    out.clear();
    ours.take_output(out);
    ours_flow.output(ours_fed, out.bytes(), ours_read);
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
  if (ours_sink.failed)
    ours_flow.connection_error(static_cast<uint32_t>(ours_sink.error.h2_code()));
  if (theirs_sink.failed) {
    theirs_flow.connection_error(static_cast<uint32_t>(theirs_sink.error.h2_code()));
  }
  judge_flow("ours", ours_flow);
  judge_flow("nghttp2", theirs_flow);
  // Each receiver returns connection credit for data it discarded (and, with credit, stream credit
  // for data consumed) at its own moments, so their windows may differ: a flow-control verdict
  // that its own oracle accepted is not compared. Without credit, stream windows stay identical.
  const bool window_mode = setup.wire.data_fill != 0;
  if (window_mode && ours_sink.failed != theirs_sink.failed &&
      (ours_flow.flow_goaway() || theirs_flow.flow_goaway())) {
    return 0;
  }
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
    if (window_mode && setup.credit && (ours_flow.flow_reset(id) || theirs_flow.flow_reset(id))) {
      continue;
    }
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
