// preflight: the checks of everything a configuration names outside itself, each problem at its
// key. Names are resolved and files read here, on the supervisor, never on a worker's loop.
#include "mux/proxy/ops/preflight.h"

#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "mux/net/net_errors.h"
#include "mux/net/tls.h"

namespace crossmux::mux::proxy {
namespace {

using config::ConfigError;

std::string indexed(std::string_view list, size_t i) {
  return std::string(list) + "[" + std::to_string(i + 1) + "]";
}

std::string errno_text(int err) {
  const char* d = strerrordesc_np(err);
  return d ? d : "errno " + std::to_string(err);
}

// Reads a whole file; false with `err` set (errno) when it cannot.
bool read_file(const std::string& path, std::string& out, int& err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = errno;
    return false;
  }
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;  // EISDIR for a folder
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

// Whether `path` can be opened for appending (or created): an existing file is opened without
// changing it; a missing one is tried as an unnamed temporary file in its folder (O_TMPFILE), so
// the check leaves nothing behind. Empty string when it can, else why not.
std::string unwritable(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (errno != ENOENT) return errno_text(errno);
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + (slash == 0));
  fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  int err = errno;
  // Folders whose filesystem has no O_TMPFILE (proc, some network mounts): create the file itself
  // and remove it again. Permission bits would not do: root passes access(W_OK) on /proc, where
  // no file can be created, and startup then failed after --check said ok.
  if (err == EOPNOTSUPP || err == EISDIR) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      ::unlink(path.c_str());
      return {};
    }
    err = errno;
  }
  return "cannot create it in " + dir + ": " + errno_text(err);
}

class Checker {
 public:
  Checker(const config::Config& c, const PreflightOptions& o) : c_(c), o_(o) {}

  std::vector<ConfigError> run() {
    for (size_t i = 0; i < c_.listeners.size(); ++i) listener(i);
    for (size_t i = 0; i < c_.clusters.size(); ++i) cluster(i);
    if (o_.startup) startup_files();
    // In file order, as the parser reports.
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
    return std::move(errors_);
  }

 private:
  void add(const std::string& key, std::string value, std::string message) {
    errors_.push_back(ConfigError{key, std::move(message), c_.where.line(key), std::move(value)});
  }

  // Resolves and, unless held, binds `a` (at `key`).
  void bindable(const std::string& key, const config::Address& a, bool shared) {
    std::string why;
    auto at = resolve(a, &why);
    if (!at) return add(key, config::toml_quote(a.to_string()), "does not resolve: " + why);
    if (o_.held.contains(a.to_string())) return;
    if (auto s = probe_bind(*at, shared); !s) {
      add(key, config::toml_quote(a.to_string()), bind_problem(s.error(), shared));
    }
  }

  void listener(size_t i) {
    const config::Listener& l = c_.listeners[i];
    const std::string at = indexed("listeners", i);
    bindable(at + ".address", l.address, c_.global.shared_ports);
    bool certificates_ok = true;
    for (size_t j = 0; j < l.certificates.size(); ++j) {
      certificates_ok =
          certificate(at + "." + indexed("tls", j), l.certificates[j], l) && certificates_ok;
    }
    if (!l.tls() || !certificates_ok) return;
    auto ctx = net::TlsServerContext::create(server_config(l, l.certificates));
    if (!ctx) add(at + ".tls", "", "TLS context: " + codecs::describe(ctx.error()));
  }

  static net::TlsServerConfig server_config(const config::Listener& l,
                                            const std::vector<config::Certificate>& certs) {
    net::TlsServerConfig tc;
    for (const auto& cert : certs) {
      net::CertificatePem pem;
      int err = 0;
      (void)read_file(cert.cert_file, pem.chain, err);
      (void)read_file(cert.key_file, pem.key, err);
      tc.certificates.push_back(std::move(pem));
    }
    tc.alpn.clear();
    if (l.http2) tc.alpn.push_back("h2");
    if (l.http1) tc.alpn.push_back("http/1.1");
    return tc;
  }

  // One certificate and key: both read, parse, and belong together.
  bool certificate(const std::string& at, const config::Certificate& cert,
                   const config::Listener& l) {
    std::string chain, key;
    int err = 0;
    if (!read_file(cert.cert_file, chain, err)) {
      add(at + ".cert", config::toml_quote(cert.cert_file), "cannot be read: " + errno_text(err));
      return false;
    }
    if (!read_file(cert.key_file, key, err)) {
      add(at + ".key", config::toml_quote(cert.key_file), "cannot be read: " + errno_text(err));
      return false;
    }
    auto ctx = net::TlsServerContext::create(server_config(l, {cert}));
    if (ctx) return true;
    const char* d = ctx.error().detail;
    if (d == net::errors::kTlsCertificate) {
      add(at + ".cert", config::toml_quote(cert.cert_file),
          "is not a PEM certificate chain (BEGIN CERTIFICATE)");
    } else if (d == net::errors::kTlsKey) {
      add(at + ".key", config::toml_quote(cert.key_file),
          "is not an unencrypted PEM private key (BEGIN PRIVATE KEY)");
    } else if (d == net::errors::kTlsKeyMismatch) {
      add(at + ".key", config::toml_quote(cert.key_file),
          "does not match the certificate of " + at + ".cert (" + cert.cert_file + ")");
    } else {
      add(at, "", "TLS: " + codecs::describe(ctx.error()));
    }
    return false;
  }

  void cluster(size_t i) {
    const config::Cluster& cl = c_.clusters[i];
    const std::string at = indexed("clusters", i);
    if (cl.tls.enabled && !cl.tls.ca_file.empty()) {
      std::string pem;
      int err = 0;
      if (!read_file(cl.tls.ca_file, pem, err)) {
        add(at + ".tls.ca_file", config::toml_quote(cl.tls.ca_file),
            "cannot be read: " + errno_text(err));
      } else {
        net::TlsClientConfig tc;
        tc.ca_file = cl.tls.ca_file;
        if (!net::TlsClientContext::create(tc)) {
          add(at + ".tls.ca_file", config::toml_quote(cl.tls.ca_file),
              "holds no PEM CA certificate OpenSSL can load");
        }
      }
    }
    for (size_t j = 0; j < cl.backends.size(); ++j) {
      const config::Address& a = cl.backends[j].address;
      std::string why;
      if (!resolve(a, &why)) {
        add(at + "." + indexed("backends", j), config::toml_quote(a.to_string()),
            "does not resolve: " + why);
      }
    }
  }

  void startup_files() {
    const config::Global& g = c_.global;
    if (g.admin) bindable("global.admin", *g.admin, false);
    if (!g.access_log.empty() && g.access_log != "stdout" && g.access_log != "off") {
      if (auto why = unwritable(g.access_log); !why.empty()) {
        add("global.access_log", config::toml_quote(g.access_log), "cannot be written: " + why);
      }
    }
    if (!g.pid_file.empty()) {
      if (auto why = unwritable(g.pid_file); !why.empty()) {
        add("global.pid_file", config::toml_quote(g.pid_file), "cannot be written: " + why);
      }
    }
  }

  const config::Config& c_;
  const PreflightOptions& o_;
  std::vector<ConfigError> errors_;
};

}  // namespace

std::vector<config::ConfigError> preflight(const config::Config& config,
                                           const PreflightOptions& options) {
  return Checker(config, options).run();
}

codecs::Result<net::SocketAddress> resolve(const config::Address& a, std::string* why) {
  if (auto numeric = net::SocketAddress::parse(a.host, a.port)) return *numeric;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(a.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    if (why) *why = rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc);
    if (res) ::freeaddrinfo(res);
    return codecs::unexpected(codecs::Error::none(kErrPreflightResolve));
  }
  net::SocketAddress out = net::SocketAddress::from(res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  const std::string text = out.to_string();
  std::string host = text.substr(0, text.rfind(':'));
  return net::SocketAddress::parse(host, a.port);
}

namespace {

// Socket inodes of `pid`'s open descriptors ("socket:[INODE]" links in /proc/PID/fd).
std::set<unsigned long> socket_inodes(int pid) {
  std::set<unsigned long> inodes;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return inodes;
  while (const dirent* e = ::readdir(d)) {
    char link[64];
    const std::string path = dir + "/" + e->d_name;
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    unsigned long inode = 0;
    if (n > 0 && (link[n] = '\0', std::sscanf(link, "socket:[%lu]", &inode) == 1)) {
      inodes.insert(inode);
    }
  }
  ::closedir(d);
  return inodes;
}

}  // namespace

std::set<std::string> addresses_held_by(int pid, const config::Config& config) {
  const std::set<unsigned long> own = socket_inodes(pid);
  std::set<std::string> held;
  if (own.empty()) return held;
  // Per port: whether `pid` listens there, and whether anyone else does.
  std::map<unsigned, std::pair<bool, bool>> ports;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
      unsigned long inode = 0;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (!fields || state != "0A") continue;  // 0A: TCP_LISTEN
      const unsigned port = std::stoul(local.substr(local.rfind(':') + 1), nullptr, 16);
      auto& [ours, others] = ports[port];
      (own.contains(inode) ? ours : others) = true;
    }
  }
  auto add = [&](const config::Address& a) {
    auto it = ports.find(a.port);
    if (it != ports.end() && it->second.first && !it->second.second) held.insert(a.to_string());
  };
  for (const auto& l : config.listeners) add(l.address);
  if (config.global.admin) add(*config.global.admin);
  return held;
}

codecs::Status probe_bind(const net::SocketAddress& at, bool shared) {
  if (at.port() == 0) return codecs::ok();
  net::Fd fd(::socket(at.family(), SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd.valid()) return codecs::unexpected(codecs::Error::sys(net::errors::kSocket, errno));
  const int one = 1;
  // As the real listeners: SO_REUSEADDR (TIME_WAIT leftovers do not count), IPV6_V6ONLY. Linux
  // refuses the bind when another socket listens there, unless both set SO_REUSEPORT.
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (shared) (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (at.family() == AF_INET6) {
    (void)::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (::bind(fd.get(), at.raw(), at.size()) != 0) {
    return codecs::unexpected(codecs::Error::sys(net::errors::kBind, errno));
  }
  return codecs::ok();
}

std::string bind_problem(const codecs::Error& e, bool shared) {
  switch (e.sys_errno()) {
    case EADDRINUSE:
      return shared ? "is in use by a process that does not share it (SO_REUSEPORT, same user)"
                    : "is in use by another process (global.shared_ports = true shares it, e.g. "
                      "while a new proxy takes over from an old one)";
    case EACCES:
      return "cannot be bound: Permission denied (ports below 1024 need root or "
             "CAP_NET_BIND_SERVICE)";
    case EADDRNOTAVAIL:
      return "cannot be bound: no interface of this machine has this address";
    default:
      return "cannot be bound: " + codecs::describe(e);
  }
}

}  // namespace crossmux::mux::proxy
