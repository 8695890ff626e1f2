// H2FlowOracle: judges one HTTP/2 receiver's flow-control verdicts (RFC 9113 §6.9) from the client
// bytes it read and the frames it wrote, not by comparison with another implementation: two correct
// receivers that return credit at different moments may rightly disagree on the same bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "fuzz/common/h2_wire.h"

namespace crossmux::fuzz {

class H2FlowOracle {
 public:
  // `wire`: every byte the client sends (preface first). `window`: the receiver's advertised
  // SETTINGS_INITIAL_WINDOW_SIZE, in force from the client's first SETTINGS ACK (§6.9.2; before
  // it, 65,535). The connection window starts at 65,535 (§6.9.2: SETTINGS do not change it).
  H2FlowOracle(codecs::Bytes wire, uint32_t window) : window_(window) { parse_wire(wire, window); }

  // nghttp2 resets with FLOW_CONTROL_ERROR a stream whose unreturned DATA exceeds the smaller
  // SETTINGS_INITIAL_WINDOW_SIZE it announced, once the client acknowledges it. RFC 9113 §6.9.2
  // lets that window go negative instead (the client then waits for credit); nothing the client
  // sent broke a window. Its oracle forgives that reset; ours must not send it.
  void forgive_reset_on_shrunk_window() { forgive_shrunk_ = true; }

  // Fed the wire up to `read`, the receiver wrote `out`, having processed it up to `processed`
  // (less than `read` when it failed the connection there: later frames were never judged).
  void output(size_t read, codecs::Bytes out, size_t processed) {
    reads_.push_back(processed);
    pending_.insert(pending_.end(), out.begin(), out.end());
    size_t at = 0;
    while (pending_.size() - at >= codecs::h2::kFrameHeaderSize) {
      auto h = codecs::h2::parse_frame_header(pending_.data() + at);
      if (pending_.size() - at < codecs::h2::kFrameHeaderSize + h.length) break;
      const uint8_t* p = pending_.data() + at + codecs::h2::kFrameHeaderSize;
      if (h.type == kWindowUpdate && h.length == 4) {
        credit_.push_back({read, h.stream_id, codecs::load_u32be(p) & 0x7fffffffu});
      } else if (h.type == kRstStream && h.length == 4) {
        resets_.try_emplace(h.stream_id, codecs::load_u32be(p));
      } else if (h.type == kGoaway && h.length >= 8 && !goaway_) {
        goaway_ = true;
        goaway_code_ = codecs::load_u32be(p + 4);
      }
      at += codecs::h2::kFrameHeaderSize + h.length;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
  }

  // The receiver failed the connection with `code`, whether or not its GOAWAY was written.
  void connection_error(uint32_t code) {
    if (!goaway_) goaway_code_ = code;
    goaway_ = true;
  }

  // Why the receiver's verdicts break §6.9, or an empty string.
  std::string judge() const {
    if (std::getenv("CROSSMUX_FUZZ_DEBUG")) dump();
    bool conn_may = false, conn_must = false;
    std::map<uint32_t, std::pair<bool, bool>> stream;  // id -> {may reset, must reset}
    for (const DataFrame& f : data_) {
      const bool processed = processed_at(f.end) != kNever;
      conn_may |= f.conn_total > kDefault + credit_before(0, f.start);
      conn_must |= processed && f.length > 0 && f.conn_total > kDefault + credit_until(0, f.end);
      if (!f.counts_for_stream) continue;
      auto& [may, must] = stream[f.stream];
      may |= f.stream_total > f.stream_limit + credit_before(f.stream, f.start);
      // Credit for a stream the client resets before the receiver writes again may never be
      // written (nghttp2 drops it with the stream), though the receiver granted it.
      const auto reset = client_resets_.find(f.stream);
      const bool credit_lost =
          reset != client_resets_.end() && processed_at(reset->second) == processed_at(f.end);
      must |= processed && !credit_lost && f.length > 0 &&
              f.stream_total > f.stream_limit + credit_until(f.stream, f.end);
    }
    if (forgive_shrunk_ && window_ < kDefault) {
      for (const auto& [id, at_ack] : at_ack_) {
        if (at_ack.second > window_ + credit_before(id, at_ack.first)) stream[id].first = true;
      }
    }
    // FLOW_CONTROL_ERROR is also the answer to a send window the client pushed past 2^31-1.
    bool any_stream_may = send_overflow_conn_;
    for (const auto& [id, v] : stream) any_stream_may |= v.first || send_overflow(id);
    if (flow_goaway() && !conn_may && !any_stream_may) {
      return "GOAWAY FLOW_CONTROL_ERROR, though every DATA frame fit the windows it advertised "
             "and no window passed 2^31-1";
    }
    if (!goaway_ && conn_must) return "accepted DATA past the connection window it advertised";
    char text[160];
    for (const auto& [id, code] : resets_) {
      auto v = stream.find(id);
      if (code == kFlowControlError && !send_overflow(id) &&
          (v == stream.end() || !v->second.first)) {
        std::snprintf(text, sizeof text,
                      "RST_STREAM FLOW_CONTROL_ERROR on stream %u, whose DATA fit its window and "
                      "whose send window stayed within 2^31-1",
                      id);
        return text;
      }
    }
    for (const auto& [id, v] : stream) {
      if (!resets_.count(id) && !goaway_ && v.second) {
        std::snprintf(text, sizeof text,
                      "accepted DATA on stream %u past the stream window it advertised", id);
        return text;
      }
    }
    return {};
  }

  // Whether the receiver sent RST_STREAM FLOW_CONTROL_ERROR on `id` / GOAWAY FLOW_CONTROL_ERROR:
  // such verdicts are judged here, so a differential comparison may forgive them.
  bool flow_reset(uint32_t id) const {
    auto r = resets_.find(id);
    return r != resets_.end() && r->second == kFlowControlError;
  }
  bool flow_goaway() const { return goaway_ && goaway_code_ == kFlowControlError; }

 private:
  void dump() const {
    for (const DataFrame& f : data_) {
      std::fprintf(
          stderr, "flow: DATA [%zu,%zu) stream %u length %u conn %llu stream %llu/%llu%s\n",
          f.start, f.end, f.stream, f.length, static_cast<unsigned long long>(f.conn_total),
          static_cast<unsigned long long>(f.stream_total),
          static_cast<unsigned long long>(f.stream_limit),
          f.counts_for_stream ? "" : " (not the stream's)");
    }
    for (const Credit& c : credit_)
      std::fprintf(stderr, "flow: credit read %zu stream %u +%u\n", c.read, c.stream, c.increment);
    for (size_t r : reads_) std::fprintf(stderr, "flow: read %zu\n", r);
  }
  static constexpr uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4, kGoaway = 7,
                           kWindowUpdate = 8;
  static constexpr uint32_t kFlowControlError = 3;
  static constexpr uint64_t kDefault = 65535, kMaxWindow = 0x7fffffff;
  static constexpr size_t kNever = SIZE_MAX;

  struct DataFrame {
    size_t start = 0, end = 0;  // wire offsets of the frame
    uint32_t stream = 0, length = 0;
    uint64_t conn_total = 0, stream_total = 0;  // DATA octets so far, this frame included
    uint64_t stream_limit = kDefault;           // the initial window in force for this frame
    bool counts_for_stream = false;             // on an open stream: other frames get other errors
  };
  struct Credit {
    size_t read;  // how far the receiver had been fed when it wrote this WINDOW_UPDATE
    uint32_t stream, increment;
  };

  void parse_wire(codecs::Bytes wire, uint32_t window) {
    struct StreamState {
      bool open = false, closed = false;
      uint64_t total = 0;
    };
    std::map<uint32_t, StreamState> streams;
    bool acked = false;
    uint64_t conn_total = 0;
    size_t at = std::min(wire.size(), kH2Preface.size());
    while (wire.size() - at >= codecs::h2::kFrameHeaderSize) {
      auto h = codecs::h2::parse_frame_header(wire.data() + at);
      const size_t end = at + codecs::h2::kFrameHeaderSize + h.length;
      if (end > wire.size()) break;
      StreamState& s = streams[h.stream_id];
      if (h.type == kSettings && (h.flags & 1) && h.stream_id == 0 && h.length == 0 && !acked) {
        acked = true;
        for (const auto& [id, st] : streams) {
          if (id != 0 && st.total > 0) at_ack_[id] = {at, st.total};
        }
      }
      if (h.type == kHeaders && h.stream_id != 0) {
        s.open = true;
        if (h.flags & 1) s.closed = true;  // END_STREAM: later DATA is a STREAM_CLOSED error
      }
      if (h.type == kWindowUpdate && h.length == 4) {
        window_updates_[h.stream_id] += codecs::load_u32be(wire.data() + at + 9) & 0x7fffffffu;
      }
      if (h.type == kSettings && !(h.flags & 1) && h.length % 6 == 0) {
        for (size_t i = 0; i < h.length; i += 6) {
          const uint8_t* e = wire.data() + at + 9 + i;
          if (codecs::load_u16be(e) != 4) continue;  // SETTINGS_INITIAL_WINDOW_SIZE
          max_send_initial_ = std::max<uint64_t>(max_send_initial_, codecs::load_u32be(e + 2));
        }
      }
      if (h.type == kRstStream) {
        s.closed = true;
        client_resets_.try_emplace(h.stream_id, end);
      }
      if (h.type == kData) {
        conn_total += h.length;
        DataFrame f{at, end, h.stream_id, h.length, conn_total, 0, acked ? window : kDefault};
        f.counts_for_stream = h.stream_id != 0 && s.open && !s.closed;
        if (f.counts_for_stream) f.stream_total = s.total += h.length;
        data_.push_back(f);
        if (h.flags & 1) s.closed = true;
      }
      at = end;
    }
    send_overflow_conn_ =
        max_send_initial_ > kMaxWindow || kDefault + window_updates_[0] > kMaxWindow;
    for (const auto& [id, sum] : window_updates_)
      send_overflow_conn_ |= id != 0 && send_overflow(id);
  }

  // Whether the client's SETTINGS and WINDOW_UPDATEs may have pushed the receiver's send window
  // for `stream` past 2^31-1 (§6.9.1, §6.9.2).
  bool send_overflow(uint32_t stream) const {
    auto w = window_updates_.find(stream);
    return max_send_initial_ + (w == window_updates_.end() ? 0 : w->second) > kMaxWindow;
  }

  // The first `read` at which the receiver had consumed `offset`, or kNever.
  size_t processed_at(size_t offset) const {
    for (size_t r : reads_) {
      if (r >= offset) return r;
    }
    return kNever;
  }
  // Credit certainly granted before the frame starting at `start` was read.
  uint64_t credit_before(uint32_t stream, size_t start) const {
    uint64_t sum = 0;
    for (const Credit& c : credit_) {
      if (c.stream == stream && c.read <= start) sum += c.increment;
    }
    return sum;
  }
  // Credit possibly granted by the time the frame ending at `end` was read.
  uint64_t credit_until(uint32_t stream, size_t end) const {
    const size_t limit = processed_at(end);
    uint64_t sum = 0;
    for (const Credit& c : credit_) {
      if (c.stream == stream && c.read <= limit) sum += c.increment;
    }
    return sum;
  }

  std::vector<DataFrame> data_;
  std::vector<size_t> reads_;
  std::vector<Credit> credit_;
  std::vector<uint8_t> pending_;
  std::map<uint32_t, uint32_t> resets_;          // first RST_STREAM code per stream, written
  std::map<uint32_t, size_t> client_resets_;     // where the client's first RST_STREAM ends
  std::map<uint32_t, uint64_t> window_updates_;  // the client's credit per stream (0: connection)
  // Per stream, where the client's first SETTINGS ACK starts and the DATA octets sent before it.
  std::map<uint32_t, std::pair<size_t, uint64_t>> at_ack_;
  uint64_t window_;
  bool forgive_shrunk_ = false;
  uint64_t max_send_initial_ = kDefault;  // the largest INITIAL_WINDOW_SIZE the client announced
  bool send_overflow_conn_ = false;
  bool goaway_ = false;
  uint32_t goaway_code_ = 0;
};

}  // namespace crossmux::fuzz
