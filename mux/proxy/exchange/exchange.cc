// Exchange halves and the one pump that serves all four protocol pairings.
#include "mux/proxy/exchange/exchange.h"

#include <algorithm>

namespace crossmux::mux::proxy {

namespace {
// Body bytes handed to a codec per call: one HTTP/2 frame's worth.
constexpr size_t kPiece = 16 * 1024;
}  // namespace

void Half::append(codecs::Bytes data) {
  // Compact before growing so a steady stream reuses the same storage (written bytes kept for a
  // replay stay).
  if (!replay && body_off > 0 && body_off >= body.size() / 2) {
    body.erase(0, body_off);
    body_off = 0;
  }
  body.append(reinterpret_cast<const char*>(data.data()), data.size());
  bytes_received += data.size();
}

void Half::release_replay() {
  if (!replay) return;
  replay = false;
  body.erase(0, body_off);
  body_off = 0;
}

bool Half::rewind() {
  if (!replayable()) return false;
  body_off = 0;
  bytes_sent = 0;
  head_sent = false;
  end_sent = false;
  return true;
}

void Half::take_head(codecs::MessageHead& from) {
  from.own_all();
  head = std::move(from);
}

void keep_head_length(codecs::MessageHead& head) {
  if (head.framing != codecs::Framing::None) return;
  if (head.content_length == 0) {
    const auto* cl = head.headers.find("content-length");
    if (!cl || cl->value.empty()) return;
    uint64_t n = 0;
    for (char c : cl->value) {
      if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) return;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    head.content_length = n;
  }
  head.framing = codecs::Framing::KnownLength;
}

namespace {

codecs::Status send_heads(Half& h, Codec& writer, codecs::StreamId& stream) {
  while (!h.interim.empty() && !h.head_sent) {
    auto r = writer.send_head(stream, h.interim.front(), false);
    if (!r) return codecs::unexpected(r.error());
    h.interim.erase(h.interim.begin());
  }
  if (!h.head_ready || h.head_sent) return codecs::ok();
  const bool end = h.end_received && h.queued() == 0 && !h.has_trailers;
  auto r = writer.send_head(stream, h.head, end);
  if (!r) return codecs::unexpected(r.error());
  stream = *r;
  h.head_sent = true;
  if (end) h.end_sent = true;
  return codecs::ok();
}

}  // namespace

codecs::Result<size_t> pump(Half& h, Codec& writer, codecs::StreamId& stream) {
  if (auto s = send_heads(h, writer, stream); !s) return codecs::unexpected(s.error());
  if (!h.head_sent || h.end_sent) return size_t{0};
  size_t written = 0;
  while (h.queued() > 0) {
    const size_t room = writer.capacity(stream);
    if (room == 0) break;
    const size_t n = std::min({h.queued(), room, kPiece});
    const bool last = h.end_received && n == h.queued() && !h.has_trailers;
    codecs::Bytes piece(reinterpret_cast<const uint8_t*>(h.body.data()) + h.body_off, n);
    if (auto s = writer.send_data(stream, piece, last); !s) return codecs::unexpected(s.error());
    h.body_off += n;
    h.bytes_sent += n;
    if (h.bytes_sent > h.bytes_credited) {
      written += static_cast<size_t>(h.bytes_sent - h.bytes_credited);
      h.bytes_credited = h.bytes_sent;
    }
    if (last) h.end_sent = true;
  }
  // RFC 9110 §9.2.2: only a request still held whole may be replayed; past the cap it never is.
  if (h.replay && h.body_off > kReplayCap) h.release_replay();
  if (h.queued() == 0 && !h.replay) {
    h.body.clear();
    h.body_off = 0;
  }
  if (h.queued() == 0 && h.end_received && !h.end_sent) {
    codecs::Status s = h.has_trailers ? writer.send_trailers(stream, h.trailers)
                                      : writer.send_data(stream, {}, true);
    if (!s) return codecs::unexpected(s.error());
    h.end_sent = true;
  }
  return written;
}

}  // namespace crossmux::mux::proxy
