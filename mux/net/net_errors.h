// Named static error strings of mux/net: IoResult::detail and Error::detail point at these.
#pragma once

namespace crossmux::mux::net::errors {

// Socket setup (Error::code carries errno).
inline constexpr const char kBadAddress[] = "net: not a numeric IPv4/IPv6 address";
inline constexpr const char kSocket[] = "net: socket() failed";
inline constexpr const char kSetOption[] = "net: setsockopt() failed";
inline constexpr const char kBind[] = "net: bind() failed";
inline constexpr const char kListen[] = "net: listen() failed";
inline constexpr const char kAccept[] = "net: accept4() failed";
inline constexpr const char kConnect[] = "net: connect() failed";
inline constexpr const char kConnectRefused[] = "net: connection refused";
inline constexpr const char kConnectFailed[] = "net: connection failed (SO_ERROR)";
inline constexpr const char kGetName[] = "net: getsockname()/getpeername() failed";
// Event loop.
inline constexpr const char kEpoll[] = "net: epoll_create1()/epoll_ctl() failed";
inline constexpr const char kEventFd[] = "net: eventfd() failed";
inline constexpr const char kIoUring[] = "net: io_uring unavailable or failed";
// Stream I/O.
inline constexpr const char kPeerClosed[] = "net: peer closed";
inline constexpr const char kPeerGone[] = "net: peer no longer reading (EPIPE)";
inline constexpr const char kReset[] = "net: connection reset";
inline constexpr const char kIo[] = "net: read/write failed";
inline constexpr const char kShutdown[] = "net: shutdown() failed";
// TLS.
inline constexpr const char kTlsContext[] = "tls: cannot create SSL_CTX";
inline constexpr const char kTlsNoCertificate[] =
    "tls: server context needs at least one certificate";
inline constexpr const char kTlsCertificate[] = "tls: cannot load certificate chain";
inline constexpr const char kTlsKey[] = "tls: cannot load private key";
inline constexpr const char kTlsKeyMismatch[] = "tls: private key does not match certificate";
inline constexpr const char kTlsCaFile[] = "tls: cannot load CA file";
inline constexpr const char kTlsReadFile[] = "tls: cannot read PEM file";
inline constexpr const char kTlsAlpn[] = "tls: invalid ALPN protocol list";
inline constexpr const char kTlsNew[] = "tls: SSL_new() failed";
inline constexpr const char kTlsHandshake[] = "tls: handshake failed";
inline constexpr const char kTlsVerify[] = "tls: peer certificate verification failed";
inline constexpr const char kTlsProtocol[] = "tls: protocol error";
inline constexpr const char kTlsClosed[] = "tls: close_notify received";
inline constexpr const char kTlsEof[] = "tls: transport closed without close_notify";

}  // namespace crossmux::mux::net::errors
