// OriginServer: the listener, connection bookkeeping and the request record file.
#include "conformance/origin/origin_server.h"

#include "conformance/origin/origin_connection.h"

namespace crossmux::conformance {

codecs::Result<std::unique_ptr<OriginServer>> OriginServer::start(mux::net::EventLoop& loop,
                                                                  const OriginOptions& options) {
  auto addr = mux::net::SocketAddress::parse(options.host, options.port);
  if (!addr) return codecs::unexpected(addr.error());
  mux::net::ListenOptions lo;
  lo.reuse_port = options.reuse_port;
  auto listener = mux::net::TcpListener::bind(*addr, lo);
  if (!listener) return codecs::unexpected(listener.error());
  std::unique_ptr<OriginServer> server(new OriginServer(loop, std::move(*listener)));
  server->rewrite_ = options.rewrite_response;
  if (!options.record_path.empty()) {
    server->record_ = std::fopen(options.record_path.c_str(), "a");
    if (!server->record_) {
      return codecs::unexpected(codecs::Error::http(500, kErrRecordFile, codecs::Side::Internal));
    }
  }
  auto watch = mux::net::IoWatch::create(loop, server->listener_.fd(), *server);
  if (!watch) return codecs::unexpected(watch.error());
  server->watch_ = std::move(*watch);
  return server;
}

OriginServer::OriginServer(mux::net::EventLoop& loop, mux::net::TcpListener listener)
    : loop_(loop), listener_(std::move(listener)) {}

OriginServer::~OriginServer() {
  watch_.reset();
  if (record_) std::fclose(record_);
}

void OriginServer::record(const std::string& line) {
  if (!record_) return;
  std::fwrite(line.data(), 1, line.size(), record_);
  std::fflush(record_);  // a test reads the file while the origin runs
}

void OriginServer::on_ready() {
  if (!watch_->readable()) return;
  auto r = listener_.accept_all([this](mux::net::Accepted a) {
    auto conn = std::make_unique<OriginConnection>(*this, std::move(a.stream), a.peer.to_string());
    ++accepted_;
    ++open_;
    if (conn->start()) {
      conn.release();  // owned by the loop: it retires itself when done
    }
  });
  watch_->note(r);
}

}  // namespace crossmux::conformance
