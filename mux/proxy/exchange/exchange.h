// Exchange: one request and its response as IR, shared by the client session and the backend
// connection; pump() moves one direction into whichever codec writes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codecs/base/result.h"
#include "codecs/message/events.h"
#include "codecs/message/message.h"
#include "mux/config/config.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/legs/codec.h"

namespace crossmux::mux::proxy {

class ClientSession;
class BackendConnection;

// Body bytes one direction of one exchange may hold before its reader is paused (H1: stop
// reading the socket; H2: receive credit is withheld, which the window already bounds).
inline constexpr size_t kQueueCap = 256 * 1024;
// Request body bytes kept after they were written so the request can be replayed on another
// connection (retry_policy.h); past this the request is no longer replayable.
inline constexpr size_t kReplayCap = 64 * 1024;

// One direction of an exchange: what arrived from the reader and is not yet written.
struct Half {
  codecs::MessageHead head;
  bool head_ready = false;  // the final head arrived
  bool head_sent = false;
  std::vector<codecs::MessageHead> interim;  // 1xx heads to forward before the final head
  std::string body;                          // received, not yet written, from body_off
  size_t body_off = 0;
  codecs::HeaderList trailers;
  bool has_trailers = false;
  bool end_received = false;
  bool end_sent = false;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_credited = 0;  // most body bytes ever written: what pump() reported as moved
  // Replay buffer (requests): while on, written body bytes stay in `body` before body_off (they
  // count against kQueueCap) so rewind() can write the whole message again. Off for good once the
  // first response byte arrives (release_replay) or past kReplayCap written bytes.
  bool replay = false;

  size_t queued() const { return body.size() - body_off; }
  // Body bytes held: queued ones and those kept for a replay.
  size_t held() const { return replay ? body.size() : queued(); }
  bool full() const { return held() >= kQueueCap; }
  void append(codecs::Bytes data);
  // Drops the bytes kept for a replay; the message can no longer be rewound.
  void release_replay();
  // Whether rewind() can write the message again from its first byte.
  bool replayable() const { return replay || bytes_sent == 0; }
  // Prepares to write the message again (head, body from the start, trailers, end). The head was
  // translated in place when first written; translation is idempotent, so it is written as is.
  // False (nothing changed) when !replayable().
  bool rewind();
  // Takes ownership of a decoded head (copying every view into its own arena).
  void take_head(codecs::MessageHead& from);
  bool done() const { return end_sent; }
};

// RFC 9110 §9.3.2: a HEAD response's Content-Length describes the GET body. Decoders frame such
// a response as bodiless; this restores the length as metadata (from content_length or the
// Content-Length field) so the writer repeats it without sending a body.
void keep_head_length(codecs::MessageHead& head);

// Writes what `half` holds into `writer` as far as its capacity allows: interim heads, the head
// (client codecs assign `stream` here), body, trailers, end. Returns the body bytes written for
// the first time (a replay writes again what was already credited), which the caller credits back
// to the reader (Codec::consume). Errors: the writer's (translation,
// encoder, H2 stream errors).
codecs::Result<size_t> pump(Half& half, Codec& writer, codecs::StreamId& stream);

struct Exchange {
  Exchange(ClientSession& c, codecs::StreamId id) : client(&c), client_stream(id) {}

  // How long this exchange may go without a byte moving once its response started: an open
  // tunnel gets timeouts.tunnel, everything else timeouts.stream_progress.
  uint64_t progress_timeout_ms(const config::Timeouts& t) const {
    const bool open_tunnel =
        tunnel && response.head_ready && response.head.framing == codecs::Framing::Tunnel;
    return static_cast<uint64_t>((open_tunnel ? t.tunnel : t.stream_progress).count());
  }

  ClientSession* client;
  codecs::StreamId client_stream;
  BackendConnection* backend = nullptr;
  codecs::StreamId backend_stream = 0;
  Half request;
  Half response;

  // Routing and retries.
  const config::Cluster* cluster = nullptr;
  size_t cluster_index = 0;
  size_t backend_index = 0;
  std::vector<size_t> tried;
  uint32_t attempts = 0;
  bool reused_connection = false;
  // An HTTP/1.1 backend sent bytes for this exchange (even ones that did not decode as a response):
  // it processed the request, so a lost connection is no longer grounds for a retry.
  bool response_started = false;
  // A replay after a lost connection: the pool opens a new connection rather than reuse one.
  bool fresh_connection = false;
  // A WebSocket or CONNECT request (tunnel.h): once accepted, both halves carry tunnel bytes.
  bool tunnel = false;
  // A plain CONNECT: its backend leg is a new raw TCP connection to the requested backend.
  bool raw_tunnel = false;
  bool waiting = false;  // queued in the BackendPool for a connection

  // The proxy answered itself (no backend, or the backend failed): request body is discarded.
  bool answered = false;
  std::string_view answer_reason;
  bool aborted = false;

  // Access log facts (copied: the head is translated in place when it is sent).
  std::string method;
  std::string authority;
  std::string path;
  std::string backend_address;
  std::chrono::system_clock::time_point started_wall;
  uint64_t started_ms = 0;
  int64_t connect_us = -1;
  uint64_t request_sent_ms = 0;
  int64_t backend_response_us = -1;

  // Backend response deadline, then per-stream progress deadline.
  std::unique_ptr<net::Timer> timer;
  // Armed while response bytes wait for a client that takes none (zero flow-control window or
  // an unread socket): timeouts.flow_control_stall. Created on the first stall.
  std::unique_ptr<net::Timer> stall_timer;

  bool complete() const { return request.end_received && response.end_sent; }
};

}  // namespace crossmux::mux::proxy
