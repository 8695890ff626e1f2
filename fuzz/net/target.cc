// Target parsing, the loopback rule, liveness probes, /proc sampling and the target supervisor.
#include "fuzz/net/target.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netdb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "codecs/h1/decoder.h"
#include "conformance/h2/probe.h"

namespace crossmux::fuzz::net {

std::string Target::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

conformance::Endpoint Target::endpoint(Proto p, int timeout_ms) const {
  conformance::Endpoint e;
  e.host = host;
  e.port = port;
  e.tls = tls;
  e.insecure = insecure;
  e.alpn = tls ? (p == Proto::H2 ? "h2" : "http/1.1") : "";
  e.send_timeout_ms = timeout_ms;
  return e;
}

bool parse_target(std::string_view spec, Target& out, std::string& error) {
  out = Target{};
  std::string_view rest = spec;
  size_t comma = rest.find(',');
  std::string_view addr = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  if (size_t eq = addr.find('='); eq != std::string_view::npos) {
    out.name = std::string(addr.substr(0, eq));
    addr = addr.substr(eq + 1);
  }
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == addr.size()) {
    error = "target \"" + std::string(spec) + "\" is not [NAME=]HOST:PORT";
    return false;
  }
  std::string_view host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  out.host = std::string(host);
  unsigned long port = std::strtoul(std::string(addr.substr(colon + 1)).c_str(), nullptr, 10);
  if (port == 0 || port > 65535) {
    error = "target \"" + std::string(spec) + "\" has no valid port";
    return false;
  }
  out.port = static_cast<uint16_t>(port);
  while (!rest.empty()) {
    comma = rest.find(',');
    std::string_view opt = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (opt == "tls") {
      out.tls = true;
    } else if (opt == "insecure") {
      out.insecure = true;
    } else if (opt.starts_with("pid=")) {
      out.pid = std::atoi(std::string(opt.substr(4)).c_str());
    } else {
      error = "unknown target option \"" + std::string(opt) + "\" (pid=N, tls, insecure)";
      return false;
    }
  }
  if (out.name.empty()) out.name = out.authority();
  return true;
}

bool is_loopback(const std::string& host, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return false;
  }
  bool all = res != nullptr;
  for (addrinfo* a = res; a; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = "?";
    bool loop = false;
    if (a->ai_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(a->ai_addr);
      loop = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
      inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    } else if (a->ai_family == AF_INET6) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ai_addr);
      loop = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    }
    if (!loop) {
      all = false;
      error = host + " resolves to " + text + ", which is not a loopback address";
    }
  }
  freeaddrinfo(res);
  return all;
}

namespace {

std::string probe_path(const Target& t) {
  return t.path + (t.path.find('?') == std::string::npos ? "?" : "&") + std::string(kProbeMarker);
}

LivenessResult refused_or(std::string error) {
  LivenessResult r;
  r.state = error == "connection refused" ? Liveness::Refused : Liveness::NoAnswer;
  r.detail = std::move(error);
  return r;
}

LivenessResult probe_h2(const Target& t, int timeout_ms) {
  conformance::h2::Target pt;
  pt.host = t.host;
  pt.port = t.port;
  pt.tls = t.tls;
  pt.insecure = t.insecure;
  pt.path = probe_path(t);
  pt.timeout_ms = timeout_ms;
  std::string error;
  auto p = conformance::h2::Probe::connect(pt, &error);
  if (!p) return refused_or(error);
  if (!p->handshake(&error)) return refused_or("HTTP/2 handshake failed: " + error);
  using conformance::h2::Event;
  p->send_headers(1, p->request_block("GET"),
                  conformance::h2::kEndStream | conformance::h2::kEndHeaders);
  while (true) {
    Event e = p->next_event();
    if (e.kind != Event::Kind::Frame) return refused_or(e.describe());
    const auto& f = e.frame;
    if (f.type == conformance::h2::kHeaders && f.stream == 1 && e.status() >= 200) {
      LivenessResult r;
      r.status = e.status();
      return r;
    }
    if ((f.type == conformance::h2::kRstStream && f.stream == 1) ||
        f.type == conformance::h2::kGoAway) {
      return refused_or(f.describe());
    }
  }
}

class StatusSink : public codecs::EventSink {
 public:
  int status = -1;
  void on_head(codecs::StreamId, codecs::MessageHead& h) override {
    if (h.status >= 200 && status < 0) status = h.status;
  }
  void on_data(codecs::StreamId, codecs::Bytes) override {}
  void on_trailers(codecs::StreamId, codecs::HeaderList&) override {}
  void on_end_of_message(codecs::StreamId) override {}
  void on_reset(codecs::StreamId, uint32_t) override {}
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override {}
};

LivenessResult probe_h1(const Target& t, int timeout_ms) {
  std::string error;
  auto io = conformance::Transport::connect(t.endpoint(Proto::H1, timeout_ms), &error);
  if (!io) return refused_or(error);
  io->write("GET " + probe_path(t) + " HTTP/1.1\r\nHost: " + t.authority() +
            "\r\nConnection: close\r\n\r\n");
  codecs::h1::Decoder decoder(codecs::MessageKind::Response);
  codecs::MessageHead req;
  req.method = "GET";
  decoder.expect_response(req);
  StatusSink sink;
  std::string in;
  char buf[8192];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (sink.status < 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return refused_or("no response within " + std::to_string(timeout_ms) + " ms");
    ssize_t n = io->read(buf, sizeof buf, static_cast<int>(left));
    if (n == -1) continue;
    if (n <= 0) return refused_or("connection closed before a response");
    in.append(buf, static_cast<size_t>(n));
    auto r = decoder.feed(codecs::as_bytes(in), sink);
    if (!r) return refused_or(std::string("unparseable response: ") + r.error().detail);
    in.erase(0, *r);
  }
  LivenessResult r;
  r.status = sink.status;
  return r;
}

}  // namespace

LivenessResult probe_liveness(const Target& t, Proto p, int timeout_ms) {
  return p == Proto::H2 ? probe_h2(t, timeout_ms) : probe_h1(t, timeout_ms);
}

namespace {

// The process's threads' children (Linux /proc/PID/task/TID/children).
std::vector<int> children_of(int pid) {
  std::vector<int> out;
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + e->d_name + "/children");
    for (int child; f >> child;) out.push_back(child);
  }
  closedir(d);
  return out;
}

// Adds one process's CPU and RSS; false when it is gone or a zombie.
bool add_stat(int pid, ProcessSample& s) {
  static const long kTicks = sysconf(_SC_CLK_TCK);
  static const long kPage = sysconf(_SC_PAGESIZE);
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  // pid (comm) state ...: the command may hold spaces, so read after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string state, skip;
  rest >> state;
  if (state == "Z" || state == "X") return false;
  // Fields 14, 15 (utime, stime) and 24 (rss pages); `state` was field 3.
  for (int i = 4; i < 14; ++i) rest >> skip;
  unsigned long long utime = 0, stime = 0, rss = 0;
  rest >> utime >> stime;
  for (int i = 16; i < 24; ++i) rest >> skip;
  rest >> rss;
  s.cpu_ms += (utime + stime) * 1000 / static_cast<unsigned long long>(kTicks);
  s.rss_kb += rss * static_cast<unsigned long long>(kPage) / 1024;
  return true;
}

}  // namespace

ProcessSample sample_process(int pid) {
  ProcessSample s;
  if (pid <= 0) return s;
  s.alive = add_stat(pid, s);
  // Workers (nginx, nghttpx) and a shell's child: two levels of descendants.
  for (int child : children_of(pid)) {
    add_stat(child, s);
    for (int grandchild : children_of(child)) add_stat(grandchild, s);
  }
  return s;
}

Supervisor::Supervisor(std::string command, std::string host, uint16_t port)
    : command_(std::move(command)), host_(std::move(host)), port_(port) {}

Supervisor::~Supervisor() {
  stop();
}

bool Supervisor::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = 0;
    return false;
  }
  return true;
}

bool Supervisor::start(std::string& error) {
  pid_t child = fork();
  if (child < 0) {
    error = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (child == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", command_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(child, child);
  pid_ = group_ = child;
  conformance::Endpoint e;
  e.host = host_;
  e.port = port_;
  for (int i = 0; i < 1000; ++i) {
    if (!running()) {
      error = "the target command exited before " + host_ + ":" + std::to_string(port_) +
              " accepted connections: " + command_;
      return false;
    }
    std::string ignored;
    if (conformance::Transport::connect(e, &ignored)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  error = host_ + ":" + std::to_string(port_) + " did not accept connections within 10 s";
  stop();
  return false;
}

void Supervisor::stop() {
  if (group_ <= 0) return;
  // The whole group: servers that fork workers (nginx, nghttpx) leave them in it.
  kill(-group_, SIGTERM);
  for (int i = 0; i < 20 && running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-group_, SIGKILL);
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
  pid_ = group_ = 0;
}

bool Supervisor::restart(std::string& error) {
  stop();
  return start(error);
}

}  // namespace crossmux::fuzz::net
