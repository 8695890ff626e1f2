// The one pump that serves all four protocol pairings.
#include "mux/proxy/legs/pump.h"

#include <algorithm>

namespace crossmux::mux::proxy {

namespace {

// Body bytes handed to a codec per call: one HTTP/2 frame's worth.
constexpr size_t kPiece = 16 * 1024;

codecs::Status send_heads(Half& h, Codec& writer, codecs::StreamId& stream, bool body) {
  while (!h.interim.empty() && !h.head_sent) {
    auto r = writer.send_head(stream, h.interim.front(), false);
    if (!r) return codecs::unexpected(r.error());
    h.interim.erase(h.interim.begin());
  }
  if (!h.head_ready || h.head_sent) return codecs::ok();
  const bool end = body && h.end_received && h.queued() == 0 && !h.has_trailers;
  auto r = writer.send_head(stream, h.head, end);
  if (!r) return codecs::unexpected(r.error());
  stream = *r;
  h.head_sent = true;
  if (end) h.end_sent = true;
  return codecs::ok();
}

}  // namespace

codecs::Result<size_t> pump(Half& h, Codec& writer, codecs::StreamId& stream, bool body,
                            BufferCache* spares) {
  if (auto s = send_heads(h, writer, stream, body); !s) return codecs::unexpected(s.error());
  if (!body || !h.head_sent || h.end_sent) return size_t{0};
  size_t written = 0;
  auto sent = [&](size_t n, bool last) {
    h.bytes_sent += n;
    if (h.bytes_sent > h.bytes_credited) {
      written += static_cast<size_t>(h.bytes_sent - h.bytes_credited);
      h.bytes_credited = h.bytes_sent;
    }
    if (last) h.end_sent = true;
  };
  while (h.queued() > 0) {
    const size_t room = writer.capacity(stream);
    if (room == 0) break;
    // Everything queued goes at once, when it fits, as the Half's buffer itself: the writer
    // frames it without copying a byte (Codec::send_data_storage).
    if (h.queued() <= room && !h.replay) {
      const size_t n = h.queued();
      const bool last = h.end_received && !h.has_trailers;
      codecs::ByteBuffer spare = spares ? spares->take() : codecs::ByteBuffer();
      const bool handed = h.hand_over(spare);  // the Half now holds the cache's buffer
      if (handed) {
        codecs::Status s = writer.send_data_storage(stream, spare, last);
        h.adopt_storage(spare);
        if (spares) spares->give(std::move(spare));
        if (!s) return codecs::unexpected(s.error());
        sent(n, last);
        break;
      }
      if (spares) spares->give(std::move(spare));
    }
    const size_t n = std::min({h.queued(), room, kPiece});
    const bool last = h.end_received && n == h.queued() && !h.has_trailers;
    if (auto s = writer.send_data(stream, h.pending(n), last); !s) {
      return codecs::unexpected(s.error());
    }
    h.written(n);
    sent(n, last);
  }
  if (h.queued() == 0 && h.end_received && !h.end_sent) {
    codecs::Status s = h.has_trailers ? writer.send_trailers(stream, h.trailers)
                                      : writer.send_data(stream, {}, true);
    if (!s) return codecs::unexpected(s.error());
    h.end_sent = true;
  }
  // A writer that takes nothing now (its peer's window is closed, its socket full) holds the
  // reader to kStalledHold: bytes read ahead would only wait here. The writer's next pump that
  // moves bytes restores kQueueCap (and wakes the reader).
  if (!h.end_sent) h.limit = writer.capacity(stream) == 0 ? kStalledHold : kQueueCap;
  return written;
}

}  // namespace crossmux::mux::proxy
