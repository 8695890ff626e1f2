// Verdict primitives with h2spec 2.6's semantics (its spec/verifier.go rules), over a Probe.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>

#include "conformance/catalogue.h"
#include "conformance/h2/probe.h"

namespace crossmux::conformance::h2 {

// RFC 9113 §7 codes used by the cases.
enum Code : uint32_t {
  kNoError = 0x0,
  kProtocolError = 0x1,
  kInternalError = 0x2,
  kFlowControlError = 0x3,
  kStreamClosed = 0x5,
  kFrameSizeError = 0x6,
  kRefusedStream = 0x7,
  kCancel = 0x8,
  kCompressionError = 0x9,
  kEnhanceYourCalm = 0xb,
};

// The general form: reads frames until `accept` returns true (pass) or false (fail) for one, or
// the connection closes (a pass when `close_passes`); a timeout or an Error event (an EOF
// inside a frame, a frame h2spec's reader refuses) fails. `expected` lists the
// acceptable outcomes for the report; the last event seen is reported as "Actual".
Outcome wait(Probe& p, std::vector<std::string> expected, bool close_passes,
             const std::function<std::optional<bool>(const Frame&)>& accept);

// GOAWAY with one of `codes`, or TCP close/reset. A GOAWAY with another code keeps waiting.
Outcome expect_conn_error(Probe& p, std::initializer_list<uint32_t> codes);
// RST_STREAM (any stream) or GOAWAY with one of `codes`, or TCP close/reset.
Outcome expect_stream_error(Probe& p, std::initializer_list<uint32_t> codes);
// For crossmux's additions (not h2spec's cases): a request on `stream` is malformed and MUST be
// a stream error PROTOCOL_ERROR (RFC 9113 §8.1.1): RST_STREAM or GOAWAY PROTOCOL_ERROR, or a
// close, passes. RST_STREAM with another code on `stream` (but NO_ERROR, RFC 9113 §8.1) fails at
// once; after a response that ends `stream` the wait for the error shrinks to 250 ms (it would
// follow right behind), instead of waiting out the read timeout as h2spec's STREAM-ERR does.
Outcome expect_malformed(Probe& p, uint32_t stream);
// For crossmux's additions: the header block of the request on `stream` cannot be decoded, a
// connection error COMPRESSION_ERROR (RFC 9113 §4.3): GOAWAY COMPRESSION_ERROR or a close passes,
// as expect_conn_error. A response that ends `stream` shows the block was decoded: the wait then
// shrinks to 250 ms instead of waiting out the read timeout.
Outcome expect_decoding_error(Probe& p, uint32_t stream);
// The first HEADERS frame received is on `stream`.
Outcome expect_response(Probe& p, uint32_t stream);
// The first PING received is an ACK echoing `data`; with or_close a close also passes.
Outcome expect_ping_ack(Probe& p, const std::string& data, bool or_close);
Outcome expect_settings_ack(Probe& p);
Outcome expect_frame(Probe& p, uint8_t type);
// The first DATA frame has exactly one byte of payload.
Outcome expect_data1(Probe& p);
// TCP close/reset only.
Outcome expect_close(Probe& p);
// Any GOAWAY frame.
Outcome expect_goaway(Probe& p);
// The first GOAWAY carries `code` (a bare close fails).
Outcome expect_goaway_code(Probe& p, uint32_t code);
// DATA/HEADERS with END_STREAM or RST_STREAM NO_ERROR on `stream` (a precondition step).
bool wait_stream_close(Probe& p, uint32_t stream);

// Opens a fresh connection, runs the handshake (unless `handshake` is false), then `body`.
// A dial failure aborts the run; a handshake failure fails the case with its error; a case that
// tried to send a frame the wire cannot express (Probe::unsendable) is skipped with the reason.
Outcome with_connection(const Target& t, const std::function<Outcome(Probe&)>& body,
                        bool handshake = true);

// Length of the body the server sends for GET target.path (h2spec's extra connection), or -1.
long measure_body(const Target& t);

}  // namespace crossmux::conformance::h2
