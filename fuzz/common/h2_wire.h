// PeerWriter: HTTP/2 bytes from structured fuzz input (preface, SETTINGS, HPACK-encoded HEADERS,
// DATA, raw frames), so fuzzers reach deep connection states instead of dying on the preface.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/encoder.h"
#include "codecs/hpack/field.h"
#include "fuzz/common/fuzz_input.h"

namespace crossmux::fuzz {

using codecs::ByteBuffer;

inline constexpr std::string_view kH2Preface = codecs::h2::kConnectionPreface;

// Picks entry `i` of a vocabulary, or (for the last slot) up to 12 raw input bytes, as a view
// (into the vocabulary or the input: valid for the whole execution).
template <size_t N>
std::string_view pick_view(FuzzInput& in, const std::array<std::string_view, N>& vocab) {
  uint8_t i = static_cast<uint8_t>(in.u8() % (N + 1));
  if (i < N) return vocab[i];
  auto raw = in.bytes(in.range(0, 12));
  return codecs::as_chars(codecs::Bytes(raw.data(), raw.size()));
}
template <size_t N>
std::string pick(FuzzInput& in, const std::array<std::string_view, N>& vocab) {
  return std::string(pick_view(in, vocab));
}

// Writes what a peer would send. `requests`: the peer is a client (pseudo-headers of requests),
// else a server (:status). One HPACK encoder keeps the peer's compression context. Field names
// and values are views into the vocabularies and the input, so a header list costs no allocation.
class PeerWriter {
 public:
  explicit PeerWriter(bool requests) : requests_(requests) {}

  void preface(ByteBuffer& out) const { out.append(kH2Preface); }

  // The HEADER_TABLE_SIZE the receiving connection announced: the peer's encoder stays within it.
  void receiver_table_size(uint32_t size) { encoder_.set_peer_max_table_size(size); }

  // SETTINGS with up to 4 entries; `valid` keeps every value in its RFC 9113 §6.5.2 range.
  void settings(FuzzInput& in, ByteBuffer& out, bool valid) {
    std::array<codecs::h2::SettingsEntry, 4> e{};
    size_t n = in.range(0, 4);
    for (size_t i = 0; i < n; ++i) {
      e[i].id = static_cast<uint16_t>(in.range(1, valid ? 8 : 12));
      e[i].value = in.u32();
      if (valid) e[i].value = clamp_setting(e[i].id, e[i].value);
    }
    codecs::h2::write_settings(out, e.data(), n);
  }

  // A header list from a vocabulary (mostly valid, sometimes raw bytes), HPACK-encoded, sent as
  // HEADERS plus input-chosen CONTINUATION splits.
  void headers(FuzzInput& in, ByteBuffer& out, uint32_t stream, bool end_stream, bool trailers) {
    n_fields_ = 0;
    if (!trailers) (requests_ ? request_pseudo(in) : response_pseudo(in));
    static constexpr std::array<std::string_view, 14> kNames = {"content-length",
                                                                "content-type",
                                                                "cookie",
                                                                "te",
                                                                "user-agent",
                                                                "accept",
                                                                "x-a",
                                                                "connection",
                                                                "host",
                                                                "transfer-encoding",
                                                                "grpc-status",
                                                                "accept-encoding",
                                                                "X-Upper",
                                                                ":path"};
    static constexpr std::array<std::string_view, 12> kValues = {
        "0",           "5",    "10",   "trailers", "a=b",   "text/plain",
        "example.com", "gzip", " pad", "x\r\ny",   "close", "chunked"};
    size_t n = in.range(0, 6);
    for (size_t i = 0; i < n; ++i) {
      // One statement per read: argument evaluation order differs between compilers, and the
      // replay ctest (gcc) must decode an input as the fuzzer (clang) did.
      const std::string_view name = pick_view(in, kNames);
      const std::string_view value = pick_view(in, kValues);
      const bool sensitive = in.u8() % 16 == 0;
      add(name, value, sensitive);
    }
    block_.clear();
    encoder_.encode(std::span<const codecs::hpack::Field>(fields_.data(), n_fields_), block_);
    write_block(in, out, stream, end_stream);
  }

  void data(FuzzInput& in, ByteBuffer& out, uint32_t stream, bool end_stream) {
    auto body = in.bytes(in.range(0, 64));
    if (data_fill_ == 0) {
      codecs::h2::write_data(out, stream, codecs::Bytes(body.data(), body.size()), end_stream);
      return;
    }
    // Long frames for flow-control games: the input's bytes, then zeros up to a length chosen at
    // random or at the edge of the stream's or the connection's window (without credit).
    const uint64_t stream_left = sent_limit(stream_sent_[stream], acked_ ? window_ : kDefault);
    const uint64_t conn_left = sent_limit(conn_sent_, kDefault);
    uint64_t length = 0;
    switch (in.u8() % 5) {
      case 0:
        length = in.range(0, data_fill_);
        break;
      case 1:
      case 2:
        length = stream_left + in.range(0, 1);
        break;
      default:
        length = conn_left + in.range(0, 1);
    }
    filled_.assign(body.begin(), body.end());
    filled_.resize(std::max<size_t>(filled_.size(), std::min<uint64_t>(length, data_fill_)));
    stream_sent_[stream] += filled_.size();
    conn_sent_ += filled_.size();
    codecs::h2::write_data(out, stream, codecs::Bytes(filled_.data(), filled_.size()), end_stream);
  }
  // DATA frames may be up to `n` octets long (zero-filled past the input's bytes); 0: at most 64.
  // `window`: the receiver's SETTINGS_INITIAL_WINDOW_SIZE, in force once acknowledged.
  void data_fill(uint32_t n, uint32_t window) {
    data_fill_ = n;
    window_ = window;
  }
  void acknowledged() { acked_ = true; }

  // Any frame: raw type, flags, stream id and payload from the input.
  static void raw_frame(FuzzInput& in, ByteBuffer& out) {
    codecs::h2::FrameHeader h;
    h.type = static_cast<uint8_t>(in.range(0, 0x11));
    h.flags = in.u8();
    h.stream_id = in.range(0, 9);
    auto payload = in.bytes(in.range(0, 24));
    h.length = static_cast<uint32_t>(payload.size());
    uint8_t* p = out.prepare(codecs::h2::kFrameHeaderSize);
    codecs::h2::write_frame_header(p, h);
    out.commit(codecs::h2::kFrameHeaderSize);
    out.append(codecs::Bytes(payload.data(), payload.size()));
  }

 private:
  static uint32_t clamp_setting(uint16_t id, uint32_t v) {
    switch (id) {
      case 2:
      case 8:
        return v & 1;  // ENABLE_PUSH, CONNECT
      case 4:
        return v & 0x7fffffff;  // INITIAL_WINDOW_SIZE
      case 5:
        return codecs::h2::kDefaultMaxFrameSize + (v % (1u << 23));  // MAX_FRAME_SIZE
      case 1:
        return v % 8192;  // HEADER_TABLE_SIZE
      default:
        return v;
    }
  }
  void add(std::string_view name, std::string_view value, bool sensitive = false) {
    if (n_fields_ == kMaxFields) __builtin_trap();  // a harness bug: kMaxFields is too small
    fields_[n_fields_++] = {name, value, sensitive};
  }
  // A mostly canonical set: one control byte drops, repeats or reorders pseudo-headers.
  void request_pseudo(FuzzInput& in) {
    static constexpr std::array<std::string_view, 6> kMethods = {"GET",     "POST",    "HEAD",
                                                                 "CONNECT", "OPTIONS", "PUT"};
    static constexpr std::array<std::string_view, 3> kSchemes = {"https", "http", "h t"};
    static constexpr std::array<std::string_view, 5> kAuthorities = {"example.com", "a:8080", "",
                                                                     "u@h", "[::1]"};
    static constexpr std::array<std::string_view, 6> kPaths = {"/", "/a?b=c", "*",
                                                               "",  "/%zz",   "/a#f"};
    uint8_t shape = in.u8();
    const std::string_view method = pick_view(in, kMethods);
    add(":method", method);
    if (shape % 8 != 1) add(":scheme", pick_view(in, kSchemes));
    if (shape % 8 != 2) add(":authority", pick_view(in, kAuthorities));
    if (shape % 8 != 3) add(":path", pick_view(in, kPaths));
    if (shape % 8 == 4) add(":method", method);
    if (shape % 8 == 5) add(":protocol", "websocket");
  }
  void response_pseudo(FuzzInput& in) {
    static constexpr std::array<std::string_view, 7> kStatus = {"200", "204", "100", "404",
                                                                "304", "101", "20"};
    add(":status", pick_view(in, kStatus));
  }
  void write_block(FuzzInput& in, ByteBuffer& out, uint32_t stream, bool end_stream) {
    codecs::Bytes rest = block_.bytes();
    size_t first = in.u8() % 4 == 0 ? in.range(0, static_cast<uint32_t>(rest.size())) : rest.size();
    codecs::h2::HeadersFrame h;
    h.block = rest.first(first);
    h.end_stream = end_stream;
    h.end_headers = first == rest.size();
    codecs::h2::write_headers(out, stream, h);
    rest = rest.subspan(first);
    while (!rest.empty()) {
      size_t n = std::max<size_t>(1, in.range(0, static_cast<uint32_t>(rest.size())));
      codecs::h2::write_continuation(out, stream, rest.first(n), n == rest.size());
      rest = rest.subspan(n);
    }
  }

  // At most five pseudo-header fields (request_pseudo) and six regular ones.
  static constexpr size_t kMaxFields = 11;

  bool requests_;
  codecs::hpack::Encoder encoder_;
  std::array<codecs::hpack::Field, kMaxFields> fields_{};
  size_t n_fields_ = 0;
  ByteBuffer block_;
  static uint64_t sent_limit(uint64_t sent, uint64_t limit) {
    return sent < limit ? limit - sent : 0;
  }
  static constexpr uint64_t kDefault = 65535;

  uint32_t data_fill_ = 0, window_ = 65535;
  bool acked_ = false;
  std::map<uint32_t, uint64_t> stream_sent_;
  uint64_t conn_sent_ = 0;
  std::vector<uint8_t> filled_;
};

struct ClientWireOptions {
  uint32_t data_fill = 0, window = 65535;  // PeerWriter::data_fill
  int ack_after = -1;  // a SETTINGS ACK after this many operations (0: after SETTINGS); -1 none
};

// Client bytes from the input: preface, SETTINGS, then up to 8 requests with DATA, trailers,
// WINDOW_UPDATE, RST_STREAM, PING and a few raw frames; mostly valid, so oracles reach deep states.
inline void build_client_wire(fuzz::FuzzInput& in, codecs::ByteBuffer& wire,
                              ClientWireOptions options = {}) {
  PeerWriter w(true);
  w.data_fill(options.data_fill, options.window);
  w.preface(wire);
  w.settings(in, wire, true);
  uint32_t next = 1;
  for (int ops = 0; !in.empty(); ++ops) {
    if (ops == options.ack_after) {
      codecs::h2::write_settings_ack(wire);
      w.acknowledged();
    }
    uint8_t op = in.u8();
    uint32_t open = next > 1 ? (next - 2) - 2 * (in.u8() % ((next - 1) / 2)) : 1;
    switch (op % 10) {
      case 0:
      case 1:
      case 2:
        if (next < 17) w.headers(in, wire, next, in.u8() % 4 == 0, false), next += 2;
        break;
      case 3:
      case 4:
      case 5:
        w.data(in, wire, open, in.u8() % 4 == 0);
        break;
      case 6:
        w.headers(in, wire, open, true, true);
        break;
      case 7: {
        const uint32_t id = in.range(0, 1) * open;  // read in order (see headers())
        codecs::h2::write_window_update(wire, id, in.range(1, 1u << 16));
        break;
      }
      case 8:
        codecs::h2::write_rst_stream(wire, open, in.range(0, 13));
        break;
      default:
        if (op % 4 == 0)
          PeerWriter::raw_frame(in, wire);
        else
          codecs::h2::write_ping(wire, false, {});
    }
  }
}

}  // namespace crossmux::fuzz
