// H2Observer: the protocol oracle for a black-box HTTP/2 server. It reads both directions of one
// connection in order (the bytes we sent, the bytes the server sent back) with our codecs and
// reports every RFC 9113 / RFC 7541 rule the server broke in what it sent, and the fate of each
// request stream.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/h2/frame.h"
#include "codecs/h2/settings.h"
#include "codecs/h2/stream_state.h"
#include "codecs/hpack/decoder.h"

namespace crossmux::fuzz::net {

// A rule the server broke. `rule` is stable (findings are deduplicated on it); `detail` says what
// exactly, with stream ids and the RFC section.
struct Violation {
  std::string rule;
  std::string detail;
};

// What became of one request stream, as the client sees it.
enum class Fate : uint8_t {
  Pending = 0,          // no answer: the request may be incomplete, or the server hangs
  Answered = 1,         // a final (non-1xx) response head arrived
  Reset = 2,            // RST_STREAM from the server before a final response
  Refused = 3,          // REFUSED_STREAM, or above a GOAWAY's last-stream-id: not processed
  ConnectionError = 4,  // GOAWAY with an error code, or the connection closed, before an answer
};
std::string_view to_string(Fate f);

using FieldList = std::vector<std::pair<std::string, std::string>>;

struct StreamOutcome {
  uint32_t id = 0;
  // We opened it correctly (odd, above every earlier stream, no framing error of ours before it)
  // and sent END_STREAM without resetting it: the server owes an answer (RFC 9113 §8.1).
  bool owed = false;
  Fate fate = Fate::Pending;
  int status = -1;                 // the final status when Answered
  uint32_t code = 0;               // the RST_STREAM or GOAWAY error code
  bool response_complete = false;  // END_STREAM from the server after the final head
  uint64_t body_bytes = 0;         // response DATA octets (padding excluded)
  bool request_decoded = false;    // our own header block decoded (a mutated one may not)
  FieldList request;               // ... to these fields, pseudo-headers first
};

struct ConnectionOutcome {
  bool server_settings = false;  // the server's SETTINGS arrived
  bool goaway = false;
  uint32_t goaway_code = 0;
  uint32_t last_stream_id = 0;
  bool closed = false;  // EOF or reset from the server
  bool failed() const { return closed || (goaway && goaway_code != 0); }
};

class H2Observer {
 public:
  H2Observer();
  ~H2Observer();
  H2Observer(const H2Observer&) = delete;
  H2Observer& operator=(const H2Observer&) = delete;

  // Bytes we wrote, in order, the client preface included. When they do not start with the
  // preface, the server is not judged at all (it may answer in HTTP/1.1).
  void sent(std::string_view bytes);
  // Bytes the server wrote, in order.
  void received(std::string_view bytes);
  // The server closed the connection (EOF or reset).
  void closed();

  // Frames the client owes the server now, as a well-behaved client would send them: SETTINGS
  // and PING acknowledgements, and WINDOW_UPDATEs that keep responses flowing (credit returned
  // for DATA received; a small stream window topped up when a response head arrives). The
  // driver writes them and passes them to sent() too.
  std::string take_service();

  // Whether everything we sent so far ends on a frame boundary (a lying length field leaves the
  // server waiting for the rest of a frame: it owes nothing after that point).
  bool sent_whole_frames() const;
  // Whether the server acknowledged a PING carrying `opaque`.
  bool ping_acked(const std::array<uint8_t, 8>& opaque) const;
  // The exchange is over: the connection failed (closed, GOAWAY with an error), the server's
  // output can no longer be followed (a framing or HPACK violation), or no owed stream is still
  // pending and the PING `marker` (sent after the case) was acknowledged (or cannot be, as it
  // went out inside an unfinished frame).
  bool settled(const std::array<uint8_t, 8>& marker) const;
  // Owed streams with no answer yet (none once the server's output can no longer be followed).
  std::vector<uint32_t> unanswered() const;

  const std::vector<Violation>& violations() const { return violations_; }
  // Every stream we opened with HEADERS, by id.
  std::vector<StreamOutcome> streams() const;
  ConnectionOutcome connection() const { return conn_; }
  // We lost track of the server's framing or HPACK context (a violation says why).
  bool lost_track() const { return server_broken_; }

 private:
  struct Stream;
  struct Splitter {
    std::string buf;
    size_t preface_left = 0;
  };
  using Payload = std::string_view;

  void on_client_frame(const codecs::h2::FrameHeader& h, Payload p);
  void client_headers(const codecs::h2::FrameHeader& h, Payload p);
  void client_block_done(Stream& s);
  void client_settings(Payload p);
  void on_server_frame(const codecs::h2::FrameHeader& h, Payload p, Payload whole);
  void server_headers(const codecs::h2::Frame& f);
  void server_block_done();
  void server_data(const codecs::h2::Frame& f);
  void server_settings(const codecs::h2::Frame& f);
  void server_goaway(const codecs::h2::Frame& f);
  void server_push(const codecs::h2::Frame& f);
  void server_end_stream(Stream& s);
  // The stream a server frame names, or nullptr after reporting a frame on an idle stream.
  Stream* server_stream(uint32_t id, std::string_view what, bool data_or_headers);
  void violate(std::string rule, std::string detail);

  std::map<uint32_t, Stream> streams_;
  std::set<uint32_t> mentioned_;           // every stream id any of our frames carried
  std::set<uint32_t> unfinished_headers_;  // streams of HEADERS frames we sent only in part
  std::set<uint32_t> promised_;            // PUSH_PROMISE'd by the server
  Splitter client_in_, server_in_;
  bool client_preface_ok_ = true;
  bool client_failed_ = false;  // a framing error of ours: later streams are not owed
  bool server_broken_ = false;  // we lost track of the server's framing or HPACK context
  bool first_server_frame_ = true;
  uint32_t last_client_stream_ = 0;
  // Header blocks being assembled (HEADERS/PUSH_PROMISE + CONTINUATION), per direction.
  uint32_t client_block_stream_ = 0;
  bool client_block_open_ = false;
  bool client_block_end_stream_ = false;
  std::string client_block_;
  uint32_t server_block_stream_ = 0;
  bool server_block_open_ = false;
  bool server_block_end_stream_ = false;
  bool server_block_push_ = false;
  std::string server_block_;
  std::unique_ptr<codecs::hpack::Decoder> client_hpack_;  // mirrors our own encoder
  std::unique_ptr<codecs::hpack::Decoder> server_hpack_;
  // Our SETTINGS not yet acknowledged, oldest first.
  std::deque<std::vector<codecs::h2::SettingsEntry>> pending_settings_;
  uint32_t max_frame_size_ = codecs::h2::kDefaultMaxFrameSize;  // largest we ever announced
  int64_t acked_initial_window_ = codecs::h2::kDefaultWindow;
  int64_t initial_window_bound() const;
  bool push_disabled_ = false;  // ENABLE_PUSH=0 announced and acknowledged
  // The server's connection send window toward us (65535 + our WINDOW_UPDATEs - its DATA),
  // and ours toward it (65535 + its WINDOW_UPDATEs - our DATA).
  int64_t recv_window_ = codecs::h2::kDefaultWindow;
  int64_t send_window_ = codecs::h2::kDefaultWindow;
  codecs::h2::Settings server_settings_ = codecs::h2::Settings::rfc_initial();
  std::set<std::array<uint8_t, 8>> pings_sent_, pings_acked_;
  ConnectionOutcome conn_;
  std::vector<Violation> violations_;
  std::set<std::string> rules_seen_;
  std::string service_;
};

}  // namespace crossmux::fuzz::net
