// Non-blocking I/O result values and the ByteStream interface shared by plain TCP and TLS.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codecs/base/byte_chain.h"
#include "codecs/base/bytes.h"
#include "codecs/base/result.h"

namespace crossmux::mux::net {

class IoWatch;
namespace detail {
class Uring;
class RingSocket;
}  // namespace detail

using codecs::Bytes;
using codecs::MutableBytes;

enum class IoStatus : uint8_t {
  Ok = 0,          // `bytes` moved (> 0 for reads; may be < requested for writes)
  WouldBlock = 1,  // nothing moved; wait until `blocked_on` is ready again
  Closed = 2,      // read: the peer finished sending (FIN / TLS close_notify); write: peer gone
  Error = 3,       // the connection is unusable; `error` (errno or 0) and `detail` say why
};

// Which readiness a WouldBlock waits for. A TLS read can block on socket writability (and a write
// on readability), so callers clear exactly this bit in their IoWatch (IoWatch::note does it).
enum class Direction : uint8_t { Read = 0, Write = 1 };

std::string_view to_string(IoStatus s);
std::string_view to_string(Direction d);

struct IoResult {
  IoStatus status = IoStatus::Ok;
  size_t bytes = 0;
  Direction blocked_on = Direction::Read;
  int error = 0;            // errno for IoStatus::Error when the kernel gave one
  const char* detail = "";  // named static string from net_errors.h for Closed/Error
  // Ok, and the kernel moved fewer bytes than asked: its socket buffer was empty (read) or full
  // (write) at that instant, so the next call would block. Plain TCP sets it; IoWatch::note
  // clears the readiness bit on it and saves that call (a TLS stream never sets it: OpenSSL may
  // hold decrypted bytes the socket no longer shows).
  bool exhausted = false;

  bool ok() const { return status == IoStatus::Ok; }
  bool would_block() const { return status == IoStatus::WouldBlock; }

  static IoResult done(size_t n) { return IoResult{IoStatus::Ok, n, Direction::Read, 0, ""}; }
  static IoResult partial(size_t n, Direction d) {
    return IoResult{IoStatus::Ok, n, d, 0, "", true};
  }
  static IoResult blocked(Direction d) { return IoResult{IoStatus::WouldBlock, 0, d, 0, ""}; }
  static IoResult closed(const char* why) {
    return IoResult{IoStatus::Closed, 0, Direction::Read, 0, why};
  }
  static IoResult failed(int err, const char* why) {
    return IoResult{IoStatus::Error, 0, Direction::Read, err, why};
  }
};

// A connected, non-blocking byte stream. The proxy holds connections through this interface, so
// plain TCP (TcpStream) and TLS (TlsStream) are interchangeable. Contract for every call:
//   - never blocks and never raises SIGPIPE;
//   - Ok with bytes > 0, or WouldBlock (nothing moved), Closed or Error; a read of an empty
//     buffer and a write of nothing return Ok with 0 bytes;
//   - after WouldBlock on a write, the next write must start with the same bytes (TLS records
//     may already hold them), at least as many of them; the proxy's "retry from the unsent
//     cursor" pattern satisfies this.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual int fd() const = 0;
  virtual IoResult read(MutableBytes into) = 0;
  virtual IoResult write(Bytes data) = 0;
  // Writes the buffers in order as one stream (one syscall for TCP); `bytes` is the total written.
  virtual IoResult writev(std::span<const Bytes> data) = 0;
  // Writes `out` from its front and consumes what was written (`bytes`). By default its first
  // parts go to writev(); a stream that can keep buffers until the kernel took them (TCP in
  // completion mode) takes the parts themselves, without a copy.
  virtual IoResult write_chain(codecs::ByteChain& out) {
    return write_chain_by_copy(out, [this](std::span<const Bytes> parts) {
      return parts.size() == 1 ? write(parts[0]) : writev(parts);
    });
  }
  // Parts of a chain one write_chain() hands to writev() at most.
  static constexpr size_t kMaxChainParts = 32;
  // write_chain() for writers that copy: the first kMaxChainParts parts of `out` go to `writev`
  // (any callable taking std::span<const Bytes>, returning IoResult), what it took is consumed.
  template <class Writev>
  static IoResult write_chain_by_copy(codecs::ByteChain& out, Writev&& writev) {
    std::array<Bytes, kMaxChainParts> parts;
    const size_t n = out.gather(parts);
    if (n == 0) return IoResult::done(0);
    const IoResult r = writev(std::span<const Bytes>(parts.data(), n));
    if (r.ok()) out.consume(r.bytes);
    return r;
  }
  // Half-close: no more writes from us (TCP FIN, or TLS close_notify then FIN); reads continue.
  // WouldBlock means "call again when `blocked_on` is ready" (TLS alert not flushed yet).
  virtual IoResult shutdown_write() = 0;
  // A stream whose connect was started non-blocking: once it is writable (or reports an error or
  // hang-up), whether the connection was established. Connected streams: ok. Errors: see
  // TcpStream::finish_connect.
  virtual codecs::Status finish_connect() const { return codecs::ok(); }
  // Octets written that the peer's side has not acknowledged yet: queued here or in the kernel's
  // send queue (TCP: SIOCOUTQ, sent or not but not acknowledged; TLS: the records' octets, a
  // little more than the plaintext written). 0 when unknown.
  virtual size_t unsent() const { return 0; }
  // Streams without a file descriptor (fd() < 0: MemoryStream) report readiness themselves on the
  // watch registered for them (IoWatch::create(loop, stream, handler) calls this; nullptr when the
  // watch goes away). Socket streams get readiness from epoll and ignore it.
  virtual void attach_watch(IoWatch* watch) {}
  // Socket streams watched by an io_uring loop switch to completion mode and return the ring
  // socket that now moves their bytes (IoWatch::create calls this); others return nullptr and
  // get a readiness watch on their fd.
  virtual detail::RingSocket* attach_ring(detail::Uring& ring) { return nullptr; }
};

}  // namespace crossmux::mux::net
