// The sans-I/O HTTP/2 connection (RFC 9113), both roles: bytes in, IR events out, bytes owed out.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/byte_chain.h"
#include "codecs/base/result.h"
#include "codecs/h2/counters.h"
#include "codecs/h2/frame.h"
#include "codecs/h2/settings.h"
#include "codecs/h2/stream_table.h"
#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"
#include "codecs/message/events.h"

namespace crossmux::codecs::h2 {

enum class Role : uint8_t { Client = 0, Server = 1 };
std::string_view to_string(Role r);

// Deadlines the connection asks its owner to time (it has no clock).
enum class DeadlineKind : uint8_t { SettingsAck = 0, HeaderCompletion = 1 };
std::string_view to_string(DeadlineKind k);

// Abuse limits and local policy (attacks-and-fuzzing.md §2); defaults are safe for a proxy.
struct Limits {
  // Receive window of the whole connection, announced with a WINDOW_UPDATE on stream 0. Large so
  // that one slow consumer holds back its own stream, not the connection.
  uint32_t connection_window = 16u << 20;
  // HPACK decoding, charged while decoding (HPACK bomb, §2.6, §2.12).
  size_t max_header_list_size = 64u << 10;
  size_t max_field_count = 256;
  // Header block assembly (CONTINUATION flood, §2.11).
  uint32_t max_continuations = 32;
  uint32_t max_header_block_bytes = 256u << 10;
  // Resets charged for peer RST_STREAM and for RST_STREAM we send because of peer errors (Rapid
  // Reset, MadeYouReset, §2.9, §2.10). One token comes back per stream that ends cleanly.
  uint32_t reset_budget = 200;
  // Empty DATA without END_STREAM, PRIORITY frames, refused streams (§2.3, §2.8); ten tokens come
  // back per stream that ends cleanly.
  uint32_t glitch_budget = 1000;
  // PING/SETTINGS ACKs and RST_STREAMs queued while the owner does not take output (§2.2, §2.4,
  // §2.5).
  uint32_t max_queued_control = 1000;
  uint32_t max_settings_entries = 32;  // per SETTINGS frame (§2.5)
  // Client role: the first stream id we open (exhaustion tests, §2.15).
  uint32_t first_stream_id = 1;
  // Server role: answer a malformed request with 400 (431 for an oversized header list) before
  // the RST_STREAM, instead of only the RST_STREAM.
  bool answer_malformed = false;
  uint32_t settings_ack_timeout_ms = 10000;
  uint32_t header_timeout_ms = 10000;
  // DATA bytes framed per take_output() call beyond the control frames.
  size_t max_output_per_take = 256u << 10;
};

// An armed deadline: start a timer of `timeout_ms` when `serial` changes; call on_timeout(kind,
// serial) when it fires.
struct Deadline {
  bool armed = false;
  uint32_t timeout_ms = 0;
  uint64_t serial = 0;
};

// One HTTP/2 connection. feed() parses what the peer sent and calls `sink` (EventSink contract:
// views are valid during the call only). Every byte owed to the peer (preface, SETTINGS, ACKs,
// WINDOW_UPDATEs, HEADERS, DATA, RST_STREAM, GOAWAY) is appended by take_output(). Sink callbacks
// may call submit_*/reset/consume on this connection.
//
// Connection errors: feed() returns the Error (scope Connection, RFC code, named detail from
// h2_errors.h), the sink gets on_connection_error, a GOAWAY is queued, and every later feed()
// returns the same error; the owner flushes take_output() and closes. Stream errors never fail
// feed(): a RST_STREAM is queued and the sink gets on_reset(stream, code).
class Connection {
 public:
  Connection(Role role, EventSink& sink, const Settings& local = {}, const Limits& limits = {});

  // Consumes complete frames (a frame is used only when all of it is present; the owner keeps the
  // rest and presents it again with more bytes). Returns bytes consumed or the connection error.
  Result<size_t> feed(Bytes input);

  // Sends a head. Client: `stream` 0 opens a new stream whose id is returned (assigned now, when
  // HEADERS is serialized). Server: the response (1xx heads first, any number) on a peer stream.
  // Errors (Side::Internal, Scope::Stream): kNoSuchStream, kPeerStreamLimit, kGoingAway,
  // kStreamIdsExhausted, kWrongRole; after a connection error, that error.
  Result<StreamId> submit_headers(StreamId stream, const MessageHead& head, bool end_stream);
  // Queues body bytes (copied) for the scheduler; `end_stream` ends the message after them.
  // Errors: kNoSuchStream (unknown stream, final head not sent, or already ended).
  Status submit_data(StreamId stream, Bytes data, bool end_stream);
  // As submit_data(), taking the bytes' storage when nothing is queued for the stream (a swap:
  // no copy); `data` is left empty, holding the queue's former (empty) storage.
  Status submit_data(StreamId stream, ByteBuffer& data, bool end_stream);
  // Ends the message with trailers once every queued DATA byte went out. Errors: kNoSuchStream.
  Status submit_trailers(StreamId stream, const HeaderList& trailers);
  // RST_STREAM with `code`; the sink is not told (the caller decided). Unknown streams: no-op.
  void reset(StreamId stream, H2Code code);
  // The application is done with `stream` though the peer may still be sending on it (a server
  // answered before the request ended): once our END_STREAM is written, RST_STREAM(NO_ERROR)
  // follows it if the peer's side is still open (RFC 9113 §8.1), so the peer stops sending and
  // the stream's state is freed. Right away when our END_STREAM already went out.
  void reset_after_end(StreamId stream);
  // GOAWAY. NoError is graceful and two-step (RFC 9113 §6.8): GOAWAY(2^31-1) and a PING, then
  // GOAWAY(last peer stream) when the PING is acknowledged. Other codes: one GOAWAY at once.
  void go_away(H2Code code, std::string_view debug = {});
  void ping(const std::array<uint8_t, 8>& opaque);
  // The application forwarded `n` body bytes of `stream`: return that much flow credit.
  void consume(StreamId stream, size_t n);

  // Appends every byte owed to the peer: control frames first, then DATA picked by the RFC 9218
  // scheduler within the flow windows. Returns bytes appended. A DATA frame that carries a
  // stream's whole queue takes the queue's buffer as its payload (ByteChain::adopt: no copy).
  size_t take_output(ByteChain& out);
  // The same bytes, contiguous (one copy of every payload).
  size_t take_output(ByteBuffer& out);
  bool wants_output() const;

  Deadline deadline(DeadlineKind kind) const { return deadlines_[static_cast<size_t>(kind)]; }
  // Fires a deadline; stale serials are ignored. SettingsAck -> SETTINGS_TIMEOUT, header
  // completion -> ENHANCE_YOUR_CALM, both connection errors reported to the sink.
  void on_timeout(DeadlineKind kind, uint64_t serial);

  Role role() const { return role_; }
  const Settings& peer_settings() const { return peer_; }
  // Whether the peer's first SETTINGS arrived (before it, peer_settings() are the RFC defaults,
  // so an opt-in such as RFC 8441's ENABLE_CONNECT_PROTOCOL cannot be known yet).
  bool peer_settings_received() const { return peer_settings_seen_; }
  const Settings& local_settings() const { return local_; }
  // Whether submit_headers(0, ...) can open a stream now (client role).
  bool can_open_stream() const;
  size_t stream_count() const { return streams_.size(); }
  bool failed() const { return error_.has_value(); }
  // GOAWAY sent or received, or failed: the owner stops opening streams and closes when idle.
  bool going_away() const { return failed() || goaway_sent_ || peer_goaway_; }
  // Our graceful GOAWAY is between its two steps (the PING is not acknowledged yet): streams
  // the peer opens meanwhile are still served.
  bool graceful_pending() const { return graceful_pending_; }
  // Signed send window of a stream (0 for unknown streams) and of the connection.
  int64_t send_window(StreamId stream) const;
  int64_t connection_send_window() const { return conn_send_.available(); }
  // Bytes queued by submit_data and not yet framed.
  size_t queued_bytes(StreamId stream) const;
  // Octets take_output() has handed out over the connection's life, and where the last DATA
  // frame of `stream` (0 for unknown streams) or of any stream ends among them: a transport that
  // has written fewer octets still holds that frame, which the peer cannot have read (nor
  // returned flow credit for).
  uint64_t output_offset() const { return output_offset_; }
  uint64_t data_end(StreamId stream) const;
  uint64_t connection_data_end() const { return data_end_; }
  // The last stream error we detected (RST_STREAM sent because of the peer), for logs and tests.
  const Error& last_stream_error() const { return last_stream_error_; }
  // From now on, adds this connection's frames (counted as feed() consumes them and as
  // take_output() hands them out), RST_STREAM/GOAWAY codes and fired limits to `*c` (null: stop).
  // `c` may be shared by many connections and must outlive this one. Costs one increment per frame.
  void count_into(Counters* c) { counters_ = c; }

 private:
  using Handler = Status (Connection::*)(const Frame&);
  // Opaque data of the PING that separates the two GOAWAYs of a graceful shutdown.
  static constexpr std::array<uint8_t, 8> kGoAwayPing = {'c', 'x', 'm', 'x', 'g', 'o', 'a', 'w'};
  static const std::array<Handler, 0x11> kHandlers;

  // connection.cc: feed loop, errors, budgets, connection-level frames.
  Result<size_t> feed_preface(Bytes input);
  Status on_frame(const FrameHeader& h, Bytes payload);
  Status fail_connection(const Error& e);
  Status fail(H2Code code, const char* detail, StreamId stream = 0);
  Status stream_error(StreamId id, H2Code code, const char* detail, bool charge = true);
  Status charge_reset();
  Status glitch();
  Status queue_control();
  void count_limit(LimitKind k) {
    if (counters_) ++counters_->limits[static_cast<size_t>(k)];
  }
  void count_header_limit() {
    count_limit(decoded_.limit() == hpack::Limit::FieldCount ? LimitKind::HeaderFields
                                                             : LimitKind::HeaderListSize);
  }
  // Counts the frames in the bytes `out` holds from offset `from` on (whole frames).
  void count_output(const ByteChain& out, size_t from);
  void arm(DeadlineKind kind, bool on);
  Status on_settings(const Frame& f);
  Status on_ping(const Frame& f);
  Status on_goaway(const Frame& f);
  Status on_window_update(const Frame& f);
  Status on_rst_stream(const Frame& f);
  Status on_priority(const Frame& f);
  Status on_priority_update(const Frame& f);
  Status on_push_promise(const Frame& f);
  Status apply_peer_window_delta(int64_t delta);
  bool is_idle(StreamId id) const;
  enum class CloseKind : uint8_t { Clean, ResetByUs, ResetByPeer };
  void close_stream(Stream& s, CloseKind kind);
  void advance(Stream& s, StreamEvent e);
  // Our END_STREAM for `s` was written into `out` (reset_after_end follows it there).
  void sent_end(Stream& s, ByteBuffer& out);

  // connection_recv.cc: DATA, HEADERS, CONTINUATION, header blocks.
  Status on_data(const Frame& f);
  Status on_headers(const Frame& f);
  Status on_continuation(const Frame& f);
  Status finish_block(Bytes block);
  Status deliver_request(StreamId id, bool end_stream);
  Status deliver_on_stream(Stream& s, bool end_stream);
  Status receive_end(StreamId id);
  Status answer_and_reset(StreamId id, uint16_t status, const char* detail, bool end_stream);
  void credit_connection(uint32_t n);

  // connection_send.cc: HEADERS serialization and DATA scheduling.
  void write_block(ByteBuffer& out, StreamId id, std::span<const hpack::Field> fields,
                   bool end_stream);
  void schedule(Stream& s);
  // Bytes were queued for `s` (END_STREAM after them with `end_stream`): schedules it if due.
  void queued_data(Stream& s, bool end_stream);
  void send_data(ByteChain& out);
  void finish_send(Stream& s, ByteBuffer& out);
  Result<StreamId> open_local_stream(const MessageHead& head);
  Error misuse(const char* detail, StreamId id) const;

  Role role_;
  EventSink& sink_;
  Settings local_;
  Settings peer_ = Settings::rfc_initial();
  Limits limits_;
  std::optional<Error> error_;
  Error last_stream_error_;

  // Receive state.
  size_t preface_left_ = 0;
  bool peer_settings_seen_ = false;
  uint32_t settings_acks_owed_ = 0;  // our SETTINGS frames not yet acknowledged
  uint32_t recv_initial_window_ = kDefaultWindow;
  RecvWindow conn_recv_;
  StreamId last_peer_stream_ = 0;
  // Idle ids we reset (a PRIORITY depending on itself, §5.3.1): HEADERS on one is looked up.
  uint32_t idle_resets_ = 0;
  // Header block being assembled across CONTINUATION frames.
  enum class BlockTarget : uint8_t { None, NewStream, Existing, Discard, ClosedStream };
  BlockTarget block_target_ = BlockTarget::None;
  StreamId block_stream_ = 0;
  bool block_end_stream_ = false;
  const char* block_error_ = nullptr;  // stream error to report once the block is decoded
  bool block_open_ = false;
  uint32_t block_continuations_ = 0;
  std::vector<uint8_t> block_buf_;
  static constexpr size_t kInitialBlockBuffer = 256;
  hpack::Decoder decoder_;
  hpack::DecodedBlock decoded_;
  MessageHead head_;
  HeaderList trailers_;

  // Send state.
  FlowWindow conn_send_{kDefaultWindow};
  StreamId next_local_stream_;
  hpack::Encoder encoder_;
  std::vector<hpack::Field> enc_fields_;
  std::string enc_scratch_;
  ByteBuffer enc_block_;
  ByteBuffer control_;
  uint32_t queued_control_ = 0;
  uint32_t queued_resets_ = 0;  // of queued_control_: RST_STREAMs the peer provoked
  Scheduler scheduler_;
  std::vector<StreamId> parked_;  // streams blocked on the connection window during send_data

  StreamTable streams_;
  uint32_t reset_tokens_;
  uint32_t glitch_tokens_;
  bool goaway_sent_ = false;
  bool graceful_pending_ = false;
  StreamId goaway_last_ = kMaxStreamId;  // peer streams above this are ignored
  bool peer_goaway_ = false;
  StreamId peer_goaway_last_ = kMaxStreamId;
  std::array<Deadline, 2> deadlines_{};
  uint64_t deadline_serial_ = 0;

  Counters* counters_ = nullptr;
  size_t magic_unsent_ = 0;
  uint64_t output_offset_ = 0;  // octets handed out by take_output()
  uint64_t out_base_ = 0;  // during take_output(): output_offset_ minus the chain's size before
  uint64_t data_end_ = 0;  // end of the last DATA frame, as Stream::data_end  // client preface
                           // bytes at the head of the next output (not a frame)
};

}  // namespace crossmux::codecs::h2
