// H2OutputCheck: the invariants every byte our Connection emits must keep (valid frames under the
// peer's limits, decodable header blocks, bounded windows and queues, nothing after GOAWAY on a
// failed connection). A violation aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/connection.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"
#include "fuzz/common/h2_wire.h"

namespace crossmux::fuzz {

class H2OutputCheck {
 public:
  H2OutputCheck(const codecs::h2::Connection& conn, const codecs::h2::Limits& limits)
      : conn_(conn), limits_(limits), decoder_(mirror_limits()) {
    preface_pending_ = conn.role() == codecs::h2::Role::Client;
    inbound_preface_left_ = conn.role() == codecs::h2::Role::Server ? kH2Preface.size() : 0;
  }

  // Bytes the connection consumed: DATA lengths charge our receive windows.
  void consumed(codecs::Bytes in) {
    size_t skip = std::min(inbound_preface_left_, in.size());
    inbound_preface_left_ -= skip;
    inbound_.insert(inbound_.end(), in.begin() + skip, in.end());
    size_t at = 0;
    while (inbound_.size() - at >= codecs::h2::kFrameHeaderSize) {
      auto h = codecs::h2::parse_frame_header(inbound_.data() + at);
      if (inbound_.size() - at < codecs::h2::kFrameHeaderSize + h.length) break;
      if (h.type == static_cast<uint8_t>(codecs::h2::FrameType::Data)) {
        recv_conn_ -= h.length;
        recv_stream(h.stream_id) -= h.length;
      }
      at += codecs::h2::kFrameHeaderSize + h.length;
    }
    inbound_.erase(inbound_.begin(), inbound_.begin() + static_cast<std::ptrdiff_t>(at));
    check_windows();
  }

  // The application reset a stream: that RST_STREAM is not charged to the peer's control budget.
  void app_reset() { ++app_resets_; }

  // One take_output() result.
  void output(codecs::Bytes out) {
    if (flushed_goaway_ && !out.empty()) std::abort();  // bytes after the final GOAWAY
    if (preface_pending_) {
      if (out.size() < kH2Preface.size() ||
          std::memcmp(out.data(), kH2Preface.data(), kH2Preface.size()) != 0) {
        std::abort();  // a client's first bytes are the preface (RFC 9113 §3.4)
      }
      out = out.subspan(kH2Preface.size());
      preface_pending_ = false;
    }
    size_t data_bytes = 0, control = 0;
    uint8_t last_type = 0xff;
    bool any_data = false;
    while (!out.empty()) {
      if (out.size() < codecs::h2::kFrameHeaderSize) std::abort();  // frames come out whole
      auto h = codecs::h2::parse_frame_header(out.data());
      if (out.size() - codecs::h2::kFrameHeaderSize < h.length) std::abort();
      auto f = codecs::h2::parse_frame(h, out.subspan(codecs::h2::kFrameHeaderSize, h.length),
                                       conn_.peer_settings().max_frame_size);
      if (!f) std::abort();  // every frame we send obeys RFC 9113 §4-§6
      frame(*f, data_bytes, control, any_data);
      last_type = h.type;
      out = out.subspan(codecs::h2::kFrameHeaderSize + h.length);
    }
    if (data_bytes > limits_.max_output_per_take + conn_.peer_settings().max_frame_size) {
      std::abort();
    }
    // Peer-provoked ACKs and RST_STREAMs stay within the queue budget (§2.2, §2.4, §2.5).
    if (control > limits_.max_queued_control + 2 + app_resets_) std::abort();
    app_resets_ = 0;
    if (conn_.failed() && last_type != 0xff) {
      // The output that follows a connection error ends with its GOAWAY and carries no DATA.
      if (any_data || last_type != static_cast<uint8_t>(codecs::h2::FrameType::GoAway)) {
        std::abort();
      }
      flushed_goaway_ = true;
    }
    check_windows();
  }

 private:
  // The peer's decoder: any block size, and a table of 4096 octets, the cap of the connection's
  // encoder (hpack::kDefaultTableSize) whatever HEADER_TABLE_SIZE the peer announced.
  static codecs::hpack::DecoderLimits mirror_limits() {
    codecs::hpack::DecoderLimits l;
    l.max_table_size = codecs::hpack::kDefaultTableSize;
    l.max_header_list_size = SIZE_MAX;
    l.max_field_count = SIZE_MAX;
    l.max_field_size = SIZE_MAX;
    return l;
  }

  void frame(const codecs::h2::Frame& f, size_t& data_bytes, size_t& control, bool& any_data) {
    using namespace codecs::h2;
    FrameType t = static_cast<FrameType>(f.header.type);
    // RFC 9113 §6.10: nothing may interleave a header block.
    if (block_open_ && (t != FrameType::Continuation || f.header.stream_id != block_stream_)) {
      std::abort();
    }
    if (t == FrameType::Data) {
      data_bytes += f.header.length;
      any_data = true;
    } else if (t == FrameType::Headers) {
      const auto& hf = std::get<HeadersFrame>(f.payload);
      block_.assign(hf.block.begin(), hf.block.end());
      block_stream_ = f.header.stream_id;
      block_open_ = !hf.end_headers;
      if (!block_open_) decode_block();
    } else if (t == FrameType::Continuation) {
      if (!block_open_) std::abort();
      const auto& cf = std::get<ContinuationFrame>(f.payload);
      block_.insert(block_.end(), cf.block.begin(), cf.block.end());
      block_open_ = !cf.end_headers;
      if (!block_open_) decode_block();
    } else if (t == FrameType::WindowUpdate) {
      uint32_t inc = std::get<WindowUpdateFrame>(f.payload).increment;
      (f.header.stream_id == 0 ? recv_conn_ : recv_stream(f.header.stream_id)) += inc;
    } else if (t == FrameType::PushPromise) {
      std::abort();  // we never push
    } else if (t == FrameType::RstStream || ((t == FrameType::Settings || t == FrameType::Ping) &&
                                             (f.header.flags & kFlagAck) != 0)) {
      ++control;
    }
  }

  // The charge of one stream (0 when first seen); a few streams per input, so a flat list.
  int64_t& recv_stream(uint32_t id) {
    for (auto& [sid, w] : recv_stream_) {
      if (sid == id) return w;
    }
    return recv_stream_.emplace_back(id, 0).second;
  }

  void decode_block() {
    block_out_.clear();
    if (!decoder_.decode(codecs::Bytes(block_.data(), block_.size()), block_out_)) std::abort();
  }

  // Receive windows we announced (initial + WINDOW_UPDATEs - DATA received) and the send
  // windows we track never pass 2^31-1 (RFC 9113 §6.9.1); the connection window stays within
  // the configured budget.
  void check_windows() const {
    using codecs::h2::kDefaultWindow;
    using codecs::h2::kMaxWindow;
    int64_t conn_budget = std::max<int64_t>(limits_.connection_window, kDefaultWindow);
    if (kDefaultWindow + recv_conn_ > conn_budget) std::abort();
    int64_t stream_budget =
        std::max<int64_t>(conn_.local_settings().initial_window_size, kDefaultWindow);
    for (const auto& [id, w] : recv_stream_) {
      if (stream_budget + w > kMaxWindow) std::abort();
      if (conn_.send_window(id) > kMaxWindow) std::abort();
    }
    if (conn_.connection_send_window() > kMaxWindow) std::abort();
  }

  const codecs::h2::Connection& conn_;
  codecs::h2::Limits limits_;
  codecs::hpack::Decoder decoder_;
  codecs::hpack::DecodedBlock block_out_;
  bool preface_pending_ = false;
  bool flushed_goaway_ = false;
  size_t app_resets_ = 0;
  size_t inbound_preface_left_ = 0;
  std::vector<uint8_t> inbound_;
  std::vector<uint8_t> block_;
  uint32_t block_stream_ = 0;
  bool block_open_ = false;
  int64_t recv_conn_ = 0;
  std::vector<std::pair<uint32_t, int64_t>> recv_stream_;
};

}  // namespace crossmux::fuzz
