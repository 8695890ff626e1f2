// Probe: an HTTP/2 client connection for conformance cases — raw frames out, frames and
// connection events in, with h2spec's handshake, per-read timeout and client flow control.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/hpack/decoder.h"
#include "conformance/transport.h"

namespace crossmux::conformance::h2 {

// Where and how to connect (h2spec's flags).
struct Target {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: 80, or 443 with tls
  bool tls = false;
  bool insecure = false;  // skip certificate verification
  std::string path = "/";
  int timeout_ms = 2000;            // each read
  size_t max_header_length = 4000;  // length of dummy header values
  bool verbose = false;
  int receive_buffer = 0;  // SO_RCVBUF before connecting (0: the system default); flood
                           // probes shrink it so the server must queue its answers
  // An EOF inside a frame counts as "connection closed" rather than h2spec's error: for the
  // abuse probes, where a server that drops a flooding connection mid-write has still refused.
  bool eof_inside_frame_is_close = false;
  uint16_t effective_port() const { return port ? port : (tls ? 443 : 80); }
  std::string authority() const;
};

// RFC 9113 §6 frame types and flags used by the cases.
enum FrameType : uint8_t {
  kData = 0x0,
  kHeaders = 0x1,
  kPriority = 0x2,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPushPromise = 0x5,
  kPing = 0x6,
  kGoAway = 0x7,
  kWindowUpdate = 0x8,
  kContinuation = 0x9,
};
enum FrameFlag : uint8_t {
  kEndStream = 0x1,
  kAck = 0x1,
  kEndHeaders = 0x4,
  kPadded = 0x8,
  kPriorityFlag = 0x20,
};

struct Frame {
  uint8_t type = 0;
  uint8_t flags = 0;
  uint32_t stream = 0;
  std::string payload;
  uint32_t error_code() const;   // RST_STREAM and GOAWAY
  std::string describe() const;  // "GOAWAY Frame (length:8, flags:0x00, stream_id:0)"
};

std::string frame_type_name(uint8_t type);
std::string error_code_name(uint32_t code);

// One header field (request blocks; decoded response heads).
using Field = std::pair<std::string, std::string>;

struct Event {
  enum class Kind : uint8_t { Frame = 0, Closed = 1, Timeout = 2, Error = 3 } kind = Kind::Timeout;
  Frame frame;
  // For the frame that completes a header block (END_HEADERS): the decoded fields, and
  // `block_decoded` false when the server's block did not decode.
  std::vector<Field> headers;
  bool block_decoded = false;
  int status() const;            // :status of `headers`, or -1
  std::string error;             // Kind::Error
  std::string describe() const;  // "Timeout", "Connection closed", a frame, "Error: ..."
};

class Probe {
 public:
  // Opens TCP (and TLS with ALPN h2). Error text on failure ("connection refused", ...).
  static std::unique_ptr<Probe> connect(const Target& target, std::string* error);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // h2spec's handshake: preface + SETTINGS(INITIAL_WINDOW_SIZE=65535), then read until the
  // server's SETTINGS was seen (and ACKed) and ours was ACKed. Error text on failure.
  bool handshake(std::string* error);

  // RFC 9113 §4.1: the largest payload a 24-bit length field can describe.
  static constexpr size_t kMaxFrameLength = 0xffffff;

  void send_raw(std::string_view bytes);
  // Writes one frame. A payload longer than kMaxFrameLength is not written at all: unsendable()
  // then says why, and with_connection() turns the case into a skip.
  void send_frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload);
  const std::string& unsendable() const { return unsendable_; }
  void send_settings(const std::vector<std::pair<uint16_t, uint32_t>>& entries);
  void send_ping(std::string_view eight_bytes, bool ack = false);
  void send_window_update(uint32_t stream, uint32_t increment);
  void send_rst(uint32_t stream, uint32_t code);
  void send_priority(uint32_t stream, uint32_t depends_on, uint8_t weight_minus_one,
                     bool exclusive);
  void send_goaway(uint32_t last_stream, uint32_t code, std::string_view debug);
  void send_data(uint32_t stream, std::string_view data, bool end_stream);
  // HEADERS with the given block and flags (END_HEADERS not implied).
  void send_headers(uint32_t stream, std::string_view block, uint8_t flags);

  // Header blocks. The standard request is `:method`, `:scheme`, `:path` (target path) and
  // `:authority`, in that order, plus `extra` fields. Fields are literals without indexing
  // (RFC 7541 §6.2.2) with a static-table name index when there is one and Huffman strings when
  // shorter, so every block is self-contained (no dynamic-table state between blocks) while the
  // server still decodes indexed names and Huffman on every request.
  std::string request_block(std::string_view method = "GET",
                            const std::vector<Field>& extra = {}) const;
  std::string fields_block(const std::vector<Field>& fields) const;
  // x-dummy0: <max_header_length x 'x'> (and more with n > 1).
  std::string dummy_block(int n = 1) const;

  // The next event, reading at most timeout_ms, with h2spec's rules: a frame; Closed for an
  // EOF between frames (or right after a frame header: h2spec's reader sees EOF there too) or
  // a reset anywhere; Error for an EOF inside a frame, a read error, or a frame h2spec's reader
  // refuses (frame_check.h); Timeout. DATA frames are answered with WINDOW_UPDATEs as h2spec
  // does; PINGs are not answered automatically.
  Event next_event();
  // next_event() reading at most `timeout_ms` instead of the target's timeout.
  Event next_event_within(int timeout_ms);
  // Reads until a predicate frame arrives; returns it or the terminating event.
  template <class Pred>
  Event wait_for(Pred pred) {
    while (true) {
      Event e = next_event();
      if (e.kind != Event::Kind::Frame || pred(e.frame)) return e;
    }
  }
  // Sends SETTINGS and waits for its ACK (other frames skipped); false on close/timeout.
  bool settings_and_ack(const std::vector<std::pair<uint16_t, uint32_t>>& entries);

  const Target& target() const { return target_; }
  uint32_t server_max_frame_size() const { return server_max_frame_size_; }
  std::optional<uint32_t> server_max_concurrent_streams() const { return server_mcs_; }
  uint32_t server_header_table_size() const { return server_header_table_size_; }
  uint32_t server_initial_window() const { return server_initial_window_; }
  // What the server's windows leave for our DATA on `stream` (0: the connection), from its
  // SETTINGS and every WINDOW_UPDATE read so far, less every DATA octet sent: negative when more
  // was sent than it ever granted.
  int64_t send_window(uint32_t stream) { return window(stream); }
  // Sends a request body within the server's flow-control windows and MAX_FRAME_SIZE, reading
  // (and crediting) WINDOW_UPDATEs while blocked. False when the stream or the connection ended
  // first (`ended` then holds that event).
  bool send_body(uint32_t stream, std::string_view body, bool end_stream, Event* ended);
  // RFC 8441 SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8) and RFC 9218
  // SETTINGS_NO_RFC7540_PRIORITIES (0x9) as the server advertised them.
  bool server_enables_connect_protocol() const { return server_connect_protocol_; }
  bool server_uses_rfc9218() const { return server_no_rfc7540_priorities_; }

 private:
  Probe(const Target& target, std::unique_ptr<Transport> io);
  // Reads until in_ has `need` bytes; false on close/timeout/error (last_failure_ says which).
  bool fill(size_t need, int timeout_ms);
  // The event for a read that ended after `frame_bytes_read` bytes of the next frame.
  Event ended(size_t frame_bytes_read) const;
  std::string unsendable_;
  void note_settings(const Frame& f);

  Target target_;
  std::unique_ptr<Transport> io_;
  std::string in_;
  Event::Kind last_failure_ = Event::Kind::Timeout;
  std::string last_error_;
  uint32_t server_max_frame_size_ = 16384;
  std::optional<uint32_t> server_mcs_;
  uint32_t server_header_table_size_ = 4096;
  uint32_t server_initial_window_ = 65535;
  // Send windows granted by the server (0 = connection), from every WINDOW_UPDATE read and every
  // DATA sent; streams start at the server's INITIAL_WINDOW_SIZE.
  std::map<uint32_t, int64_t> send_window_;
  int64_t& window(uint32_t stream);
  bool server_connect_protocol_ = false;
  bool server_no_rfc7540_priorities_ = false;
  // h2spec's client flow control: DATA received per stream (0 = connection) since the last
  // WINDOW_UPDATE; topped up once a default 65535-byte window is used.
  std::map<uint32_t, uint32_t> consumed_;
  // Every header block the server sends is decoded, so the HPACK context stays in sync and
  // suites can read response heads.
  std::unique_ptr<codecs::hpack::Decoder> hpack_;
  std::string pending_block_;
  void decode_block(Event& e);
};

// HPACK pieces the hpack/ cases assemble by hand (RFC 7541 §5.1, §5.2, §6).
std::string hpack_int(uint8_t first_byte_flags, uint8_t prefix_bits, uint64_t value);
// A string literal (§5.2), Huffman-coded when `huffman`.
std::string hpack_string(std::string_view s, bool huffman);
// A literal field with a new name (§6.2): kind_byte 0x00 without indexing, 0x10 never indexed,
// 0x40 incremental indexing.
std::string hpack_literal(std::string_view name, std::string_view value, uint8_t kind_byte = 0x00,
                          bool huffman = false);

}  // namespace crossmux::conformance::h2
