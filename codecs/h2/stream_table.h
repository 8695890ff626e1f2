// Per-stream state of an HTTP/2 connection and the bounded memory of recently closed stream ids.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/flow_window.h"
#include "codecs/h2/header_semantics.h"
#include "codecs/h2/scheduler.h"
#include "codecs/h2/stream_state.h"
#include "codecs/message/events.h"

namespace crossmux::codecs::h2 {

struct Stream {
  StreamId id = 0;
  StreamState state = StreamState::Idle;
  bool local = false;  // we opened it
  // Receive side.
  RecvWindow recv;
  bool final_head_received = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  // Client role: the final response has no content (HEAD, 204, 304; RFC 9110 §6.4.1).
  bool bodiless = false;
  uint64_t received = 0;
  uint64_t unconsumed = 0;  // delivered to the sink, not yet consume()d
  RequestFacts request;     // client role: what the response parser needs
  // Send side.
  FlowWindow send;
  ByteBuffer queue;         // DATA not yet framed
  bool end_queued = false;  // END_STREAM goes with the last queued byte
  bool trailers_queued = false;
  HeaderList trailers;  // owned copy, sent once `queue` drains
  bool final_head_sent = false;
  bool scheduled = false;
  // Where its last DATA frame ends in the connection's output (Connection::output_offset()).
  uint64_t data_end = 0;
  // Connection::reset_after_end: RST_STREAM(NO_ERROR) follows our END_STREAM.
  bool reset_after_end = false;
  Priority priority;

  Stream(StreamId sid, bool is_local, uint32_t recv_target, int64_t send_window)
      : id(sid), local(is_local), recv(recv_target), send(send_window) {}
};

// How a stream id that is not in the table ended up there.
enum class Closure : uint8_t { Unknown = 0, Closed = 1, ResetByUs = 2 };

class StreamTable {
 public:
  Stream* find(StreamId id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
  }
  const Stream* find(StreamId id) const {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
  }
  Stream& open(StreamId id, bool local, uint32_t recv_target, int64_t send_window);
  // Removes the stream and remembers the id as closed (reset_by_us: late frames are ignored,
  // RFC 9113 §5.1 "closed").
  void close(StreamId id, bool reset_by_us);
  // Remembers an id that never made it into the table (refused, malformed) as reset by us.
  void remember(StreamId id, bool reset_by_us);
  // What the bounded history (kRecentClosed ids) says about an id.
  Closure closure(StreamId id) const;

  size_t size() const { return streams_.size(); }
  size_t open_count(bool local) const { return local ? local_open_ : peer_open_; }
  template <class F>
  void for_each(F&& f) {
    for (auto& [id, s] : streams_) f(s);
  }

  static constexpr size_t kRecentClosed = 256;

 private:
  struct Recent {
    StreamId id = 0;
    bool reset_by_us = false;
  };
  std::unordered_map<StreamId, Stream> streams_;
  // Nodes of closed streams (their buffers released), reused by open(): the map allocates one
  // per stream otherwise. At most kSpareNodes: a stream that closes is mostly followed by one
  // that opens, and a burst does not stay pinned once it closed.
  static constexpr size_t kSpareNodes = 4;
  std::vector<std::unordered_map<StreamId, Stream>::node_type> spare_;
  // A ring filled from index 0: only the first recent_count_ entries hold ids, so a young
  // connection's lookups scan only what it closed, not all kRecentClosed slots.
  std::array<Recent, kRecentClosed> recent_{};
  size_t recent_next_ = 0;
  size_t recent_count_ = 0;
  size_t local_open_ = 0;
  size_t peer_open_ = 0;
};

}  // namespace crossmux::codecs::h2
