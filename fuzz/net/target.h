// Targets of `crossmux fuzz`: where they are and whether we may fuzz them (loopback unless the
// user allows more), a liveness probe on a fresh connection, the target process's memory and CPU,
// and a supervisor that starts and restarts a target command.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "conformance/transport.h"
#include "fuzz/net/net_case.h"

namespace crossmux::fuzz::net {

struct Target {
  std::string name;  // in reports: the --target name, or host:port
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  bool tls = false;
  bool insecure = false;
  std::string path = "/";         // what the liveness probe requests
  int pid = 0;                    // the target's process (0: none known), for the resource oracle
  std::string authority() const;  // host:port ([v6]:port)
  // TLS offers exactly h2 or http/1.1 with ALPN.
  conformance::Endpoint endpoint(Proto p, int timeout_ms) const;
};

// "[NAME=]HOST:PORT[,pid=N][,tls][,insecure]" (HOST may be [v6]). Errors name the problem.
bool parse_target(std::string_view spec, Target& out, std::string& error);

// Whether every address `host` resolves to is a loopback address (127.0.0.0/8, ::1). Otherwise
// false, with the offending address or the resolver error in `error`.
bool is_loopback(const std::string& host, std::string& error);

enum class Liveness : uint8_t {
  Alive = 0,     // a response head arrived
  Refused = 1,   // the connection was refused: nothing listens any more
  NoAnswer = 2,  // connected, but no response head within the deadline (or the handshake failed)
};
struct LivenessResult {
  Liveness state = Liveness::Alive;
  int status = -1;
  std::string detail;  // what went wrong
};
// The probe query parameter: requests carrying it are the fuzzer's own (origin records skip
// them).
inline constexpr std::string_view kProbeMarker = "crossmux-fuzz-probe=1";
// A normal GET of target.path (with kProbeMarker) on a fresh connection: HTTP/2 with the conform
// probe's handshake, HTTP/1.1 with Connection: close.
LivenessResult probe_liveness(const Target& t, Proto p, int timeout_ms);

// Memory and CPU of a process, its children and their children (server workers, or the server a
// shell started).
struct ProcessSample {
  bool alive = false;
  uint64_t rss_kb = 0;
  uint64_t cpu_ms = 0;  // user + system
};
ProcessSample sample_process(int pid);

// Starts `command` with /bin/sh -c in its own process group and waits until `port` accepts
// connections; restart() stops and starts it again; the destructor stops it (SIGTERM to the
// group, SIGKILL after 200 ms).
class Supervisor {
 public:
  Supervisor(std::string command, std::string host, uint16_t port);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // False with `error` when the command exits or the port does not accept within 10 s.
  bool start(std::string& error);
  bool restart(std::string& error);
  void stop();
  // The shell's pid (the server's when the command starts with exec), and its process group.
  pid_t pid() const { return pid_; }
  pid_t group() const { return group_; }
  // False once the command exited (it is reaped then).
  bool running();

 private:
  std::string command_, host_;
  uint16_t port_;
  pid_t pid_ = 0;
  pid_t group_ = 0;
};

}  // namespace crossmux::fuzz::net
