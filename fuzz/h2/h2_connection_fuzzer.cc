// h2_server / h2_client: our sans-I/O Connection fed peer bytes built from the input (valid
// frames, raw frames, raw bytes) at input-chosen read boundaries, under input-chosen settings and
// limits, with the application side (submit, consume, reset, go_away, ping, timeouts) also driven
// by the input. H2OutputCheck enforces the invariants on every take_output().
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/connection.h"
#include "codecs/message/events.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/h2_output_check.h"
#include "fuzz/common/h2_wire.h"

#ifndef CROSSMUX_H2_ROLE
#error "define CROSSMUX_H2_ROLE as Server or Client"
#endif

using namespace crossmux;
using codecs::h2::Connection;
using codecs::h2::Role;

namespace {

constexpr Role kRole = Role::CROSSMUX_H2_ROLE;

// The application side's events are not checked here (h2_diff compares them with nghttp2's);
// what the input makes the application do is driven by app_op.
class AppSink : public codecs::EventSink {
 public:
  void on_head(codecs::StreamId, codecs::MessageHead&) override {}
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

// Stream ids in ascending order without repeats (what std::set gave, without a node per id).
class IdSet {
 public:
  void insert(uint32_t id) {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) ids_.insert(it, id);
  }
  bool empty() const { return ids_.empty(); }
  size_t size() const { return ids_.size(); }
  uint32_t operator[](size_t i) const { return ids_[i]; }

 private:
  std::vector<uint32_t> ids_;
};

codecs::h2::Settings settings_from(fuzz::FuzzInput& in) {
  codecs::h2::Settings s;
  uint8_t mask = in.u8();
  if (mask & 1) s.header_table_size = in.range(0, 8192);
  if (mask & 2) s.max_concurrent_streams = in.range(0, 8);
  if (mask & 4) s.initial_window_size = in.range(0, 1u << 17);
  if (mask & 8) s.max_frame_size = in.range(codecs::h2::kDefaultMaxFrameSize, 1u << 16);
  if (mask & 16) s.max_header_list_size = in.range(0, 4096);
  if (mask & 32) s.enable_connect_protocol = 1;
  return s;
}

codecs::h2::Limits limits_from(fuzz::FuzzInput& in) {
  codecs::h2::Limits l;
  uint8_t mask = in.u8();
  if (mask & 1) l.connection_window = in.range(0, 1u << 20);
  if (mask & 2) l.max_header_list_size = in.range(0, 2048);
  if (mask & 4) l.max_field_count = in.range(0, 16);
  if (mask & 8) l.max_continuations = in.range(0, 4);
  if (mask & 16) l.reset_budget = in.range(0, 8);
  if (mask & 32) l.glitch_budget = in.range(0, 16);
  if (mask & 64) l.max_queued_control = in.range(1, 16);
  if (mask & 128) l.max_output_per_take = in.range(1, 1u << 15);
  l.answer_malformed = in.boolean();
  l.max_header_block_bytes = in.range(1, 1u << 12) * 64;
  return l;
}

// A head the application submits: a request (client) or a response (server).
void app_head(fuzz::FuzzInput& in, codecs::MessageHead& head, bool end_stream) {
  head.clear();
  static constexpr uint16_t kStatus[] = {200, 204, 103, 404, 500, 304};
  if (kRole == Role::Server) {
    head.kind = codecs::MessageKind::Response;
    head.status = kStatus[in.u8() % 6];
  } else {
    static constexpr std::string_view kMethods[] = {"GET", "POST", "HEAD", "CONNECT"};
    head.method = kMethods[in.u8() % 4];
    head.scheme = "https";
    head.authority = "example.com";
    if (head.method != "CONNECT") head.path = "/x";
  }
  if (in.boolean()) head.headers.add_view("x-a", "b");
  if (in.boolean()) head.headers.add_view("Cookie", "a=1");
  head.framing = end_stream ? codecs::Framing::None : codecs::Framing::Streaming;
}

struct Harness {
  explicit Harness(fuzz::FuzzInput& in)
      : in(in),
        limits(limits_from(in)),
        conn(kRole, sink, settings_from(in), limits),
        check(conn, limits),
        writer(kRole == Role::Server) {
    writer.receiver_table_size(conn.local_settings().header_table_size);
  }

  // The id of a stream the input picks: one the peer opened, ours, or any small number.
  uint32_t stream() {
    uint8_t c = in.u8();
    if (c < 128 && !opened.empty()) return opened[c % opened.size()];
    return c % 16;
  }
  void peer_op(uint8_t op) {
    switch (op) {
      case 0:
        writer.settings(in, wire, in.u8() != 0);
        break;
      case 1: {
        uint32_t id = kRole == Role::Server ? (next_peer_stream += 2) : stream();
        opened.insert(id);
        writer.headers(in, wire, id, in.boolean(), false);
        break;
      }
      case 2:
        writer.headers(in, wire, stream(), true, true);
        break;
      case 3:
        writer.data(in, wire, stream(), in.boolean());
        break;
      case 4:
        fuzz::PeerWriter::raw_frame(in, wire);
        break;
      case 5:
        wire.append(in.bytes(in.range(0, 32)));
        break;
      case 6:
        codecs::h2::write_window_update(wire, stream(), in.u32() & 0x7fffffff);
        break;
      default: {
        std::array<uint8_t, 8> opaque{};
        if (in.boolean())
          codecs::h2::write_ping(wire, in.boolean(), opaque);
        else
          codecs::h2::write_settings_ack(wire);
      }
    }
  }
  void feed(size_t n) {
    size_t take = std::min(n, wire.size());
    pending.append(wire.data(), take);
    wire.consume(take);
    // Empty feeds are fed too (they once reached memcmp with a null pointer:
    // corpus/regressions/h2_server/ubsan-memcmp-null-empty-feed-during-preface).
    auto r = conn.feed(pending.bytes());
    if (!r) return;
    check.consumed(pending.bytes().first(*r));
    pending.consume(*r);
  }
  void app_op(uint8_t op) {
    codecs::MessageHead head;
    switch (op) {
      case 0: {
        bool end = in.boolean();
        app_head(in, head, end);
        uint32_t id = kRole == Role::Server ? stream() : 0;
        if (auto r = conn.submit_headers(id, head, end)) opened.insert(*r);
        break;
      }
      case 1: {
        const uint32_t units = in.range(0, 255);  // reads in order: gcc and clang agree
        auto body = in.bytes(units * in.range(1, 64));
        (void)conn.submit_data(stream(), codecs::Bytes(body.data(), body.size()), in.boolean());
        break;
      }
      case 2: {
        codecs::HeaderList t;
        t.add_view("grpc-status", "0");
        (void)conn.submit_trailers(stream(), t);
        break;
      }
      case 3:
        conn.reset(stream(), static_cast<codecs::H2Code>(in.range(0, 14)));
        check.app_reset();
        break;
      case 4: {
        const uint32_t code = in.range(0, 14);  // reads in order: gcc and clang agree
        conn.go_away(static_cast<codecs::H2Code>(code * (in.u8() % 2)), "bye");
        break;
      }
      case 5:
        conn.consume(stream(), in.u16());
        break;
      case 6:
        conn.ping({1, 2, 3, 4, 5, 6, 7, 8});
        break;
      default: {
        auto kind = static_cast<codecs::h2::DeadlineKind>(in.u8() % 2);
        auto d = conn.deadline(kind);
        if (d.armed) conn.on_timeout(kind, d.serial - in.u8() % 2);
      }
    }
  }
  void take() {
    out.clear();
    conn.take_output(out);
    check.output(out.bytes());
  }

  fuzz::FuzzInput& in;
  AppSink sink;
  codecs::h2::Limits limits;
  Connection conn;
  fuzz::H2OutputCheck check;
  fuzz::PeerWriter writer;
  codecs::ByteBuffer wire, pending, out;
  IdSet opened;
  uint32_t next_peer_stream = static_cast<uint32_t>(-1);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput in(data, size);
  Harness h(in);
  if (kRole == Role::Client) h.take();  // our preface and SETTINGS go out first
  if (kRole == Role::Server && in.u8() != 0xff) h.writer.preface(h.wire);
  while (!in.empty()) {
    uint8_t op = in.u8();
    if (op < 96) {
      h.peer_op(op % 8);
    } else if (op < 160) {
      h.feed(op < 128 ? h.wire.size() : in.range(1, 64));
    } else if (op < 224) {
      h.app_op(op % 8);
    } else {
      h.take();
    }
  }
  h.feed(h.wire.size());
  h.take();
  return 0;
}
