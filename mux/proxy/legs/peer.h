// Peer: the socket half every proxy connection shares (client session or backend connection):
// reading into a bounded input buffer, feeding the codec, flushing its output.
#pragma once

#include <array>
#include <memory>

#include "codecs/base/byte_buffer.h"
#include "codecs/base/byte_chain.h"
#include "codecs/message/events.h"
#include "mux/net/event_loop.h"
#include "mux/net/socket.h"
#include "mux/net/timer_wheel.h"
#include "mux/proxy/legs/codec.h"

namespace crossmux::mux::proxy {

class Worker;

class Peer : public net::Handler, protected codecs::EventSink {
 public:
  Codec& codec() { return *codec_; }
  bool has_codec() const { return codec_ != nullptr; }
  // Queues this connection to run: the other leg produced work for it.
  void wake();
  // Bytes held in the input and output buffers (bounds checks in tests and fuzzing).
  size_t input_bytes() const { return in_.size(); }
  size_t output_bytes() const { return out_.size(); }

 protected:
  Peer(Worker& worker, std::unique_ptr<net::ByteStream> stream);

  // Registers the socket with the loop. Errors: kEpoll.
  codecs::Status watch();
  // Reads while the socket is readable and the input holds less than `cap` bytes. False on an
  // I/O error; a clean end of input sets peer_closed_.
  bool read_input(size_t cap);
  // Feeds buffered input to the codec and drops what it consumed. Errors: the codec's.
  codecs::Status feed_codec();
  // Takes the codec's output and writes while the socket accepts it. False when the connection
  // broke. Reschedules itself after progress so producers can refill the output.
  bool flush();
  // Writes the socket has taken so far (a reader that takes bytes, however slowly, moves it).
  uint64_t socket_writes() const { return socket_writes_; }
  // Octets of the codec's output the client's side has acknowledged: what the transport took,
  // minus what it (or the kernel) still holds unacknowledged. Costs an ioctl on TCP.
  uint64_t bytes_delivered() const;
  // Gives back empty buffers (an idle connection then holds no I/O memory).
  void trim();
  // Arms or cancels a timer per codec deadline (call after feeding and after producing output).
  void sync_deadlines();
  bool output_pending() const { return !out_.empty() || (codec_ && codec_->wants_output()); }
  // Input held back (a paused reader) while the socket may still have more.
  bool more_to_read(size_t cap) const;

  Worker& worker_;
  std::unique_ptr<net::ByteStream> stream_;  // TcpStream or TlsStream
  std::unique_ptr<net::IoWatch> watch_;      // after the stream: destroyed first
  codecs::ByteBuffer in_;
  codecs::ByteChain out_;
  std::unique_ptr<Codec> codec_;
  bool peer_closed_ = false;

 private:
  uint64_t socket_writes_ = 0;
  uint64_t bytes_written_ = 0;
  std::array<std::unique_ptr<net::Timer>, kDeadlineKinds> deadline_timers_;
  std::array<uint64_t, kDeadlineKinds> deadline_serials_{};
};

// Input bytes a connection buffers before it stops reading.
inline constexpr size_t kInputCap = 64 * 1024;
// Output bytes queued for the socket before codecs stop producing.
inline constexpr size_t kOutputHighWater = 128 * 1024;

}  // namespace crossmux::mux::proxy
