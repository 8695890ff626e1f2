// Nghttp2Session: nghttp2 (the oracle) driven in memory, emitting the same IR events as our H2
// connection. Linked only by tests, fuzzers and benchmarks — never by the proxy.
//
// Intentional differences from codecs/h2 (normalised by the differential oracles):
// - nghttp2 reports a malformed request as RST_STREAM PROTOCOL_ERROR without a 400 first;
// - nghttp2 rejects *any* duplicate content-length, where we collapse identical values;
// - nghttp2 accepts some bytes in :path that we refuse (`#`, `"`, `\`, braces, `|`, 0x80-0xff)
//   and `@` in :authority (see attacks-and-fuzzing.md §3.1 H, I);
// - nghttp2 keeps cookie crumbs as separate fields; events carry them as received;
// - limits differ (nghttp2: 8 CONTINUATIONs, 32 SETTINGS entries, reset rate 1000 burst/33 per s).
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/result.h"
#include "codecs/message/events.h"

namespace crossmux::codecs::reference {

class Nghttp2Session {
 public:
  enum class Role : uint8_t { Server = 0, Client = 1 };

  struct Options {
    uint32_t initial_window_size = 65535;
    uint32_t max_concurrent_streams = 100;
    uint32_t header_table_size = 4096;
    bool auto_window_update = true;  // nghttp2 returns receive credit as data arrives
    // Servers: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3), so peers may send extended
    // CONNECT (:protocol) requests.
    bool enable_connect_protocol = false;
    // Allocator for nghttp2's own memory (null: malloc), e.g. a fuzzer's arena rewound per input.
    // It must outlive the session.
    nghttp2_mem* mem = nullptr;
  };

  Nghttp2Session(Role role, EventSink& sink, Options options);
  Nghttp2Session(Role role, EventSink& sink) : Nghttp2Session(role, sink, Options{}) {}
  ~Nghttp2Session();
  Nghttp2Session(const Nghttp2Session&) = delete;
  Nghttp2Session& operator=(const Nghttp2Session&) = delete;

  // Feeds peer bytes. nghttp2 consumes everything it does not reject; a fatal rejection is a
  // connection Error whose code is what nghttp2 put in its GOAWAY (PROTOCOL_ERROR when none).
  Result<size_t> feed(Bytes bytes);
  // Appends every byte nghttp2 wants to send.
  void take_output(ByteBuffer& out);

  // Client: a complete request (END_STREAM after `body`); returns the new stream id, or -1.
  int32_t submit_request(const MessageHead& head, std::string body);
  // Server: a complete response on `stream`; false when nghttp2 refuses (stream gone).
  bool submit_response(int32_t stream, const MessageHead& head, std::string body);
  // Graceful or immediate GOAWAY.
  void terminate(uint32_t code);

  // Whether nghttp2 still wants to read or write (false after a fatal error or both GOAWAYs).
  bool alive() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crossmux::codecs::reference
