// In-memory interop with nghttp2 both ways: nghttp2 client -> our server, our client -> nghttp2
// server; many streams, large bodies, tiny windows, frame and table size changes.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <map>
#include <string>

#include "h2_test_util.h"

namespace crossmux::codecs::h2 {
namespace {

using testing::App;

std::string body_for(size_t n) {
  std::string b(n, 'x');
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<char>('a' + i % 26);
  return b;
}

// State of one nghttp2 session plus what it saw.
struct Peer {
  nghttp2_session* session = nullptr;
  std::map<int32_t, std::string> bodies, paths, statuses, trailers;
  std::map<int32_t, std::string> outgoing;  // server role: response bodies being sent
  std::map<int32_t, size_t> sent;
  std::map<int32_t, uint32_t> resets;
  int closed = 0;
  uint32_t goaway = UINT32_MAX;

  ~Peer() { nghttp2_session_del(session); }
};

ssize_t read_body(nghttp2_session*, int32_t sid, uint8_t* buf, size_t len, uint32_t* flags,
                  nghttp2_data_source*, void* user) {
  auto* p = static_cast<Peer*>(user);
  const std::string& b = p->outgoing[sid];
  size_t& at = p->sent[sid];
  size_t n = std::min(len, b.size() - at);
  std::copy(b.data() + at, b.data() + at + n, buf);
  at += n;
  if (at == b.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* user) {
  auto* p = static_cast<Peer*>(user);
  std::string n(reinterpret_cast<const char*>(name), namelen);
  std::string v(reinterpret_cast<const char*>(value), valuelen);
  int32_t sid = f->hd.stream_id;
  if (n == ":path") p->paths[sid] = v;
  if (n == ":status") p->statuses[sid] = v;
  if (f->headers.cat == NGHTTP2_HCAT_HEADERS && n[0] != ':') p->trailers[sid] += n + "=" + v + ";";
  return 0;
}

int on_chunk(nghttp2_session*, uint8_t, int32_t sid, const uint8_t* data, size_t len, void* user) {
  static_cast<Peer*>(user)->bodies[sid].append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int on_close(nghttp2_session*, int32_t sid, uint32_t code, void* user) {
  auto* p = static_cast<Peer*>(user);
  ++p->closed;
  if (code != 0) p->resets[sid] = code;
  return 0;
}

// Server role: answer each complete request with a body sized by "/size/N" or echoing the body.
int on_frame_recv(nghttp2_session* s, const nghttp2_frame* f, void* user) {
  auto* p = static_cast<Peer*>(user);
  if (f->hd.type == NGHTTP2_GOAWAY) p->goaway = f->goaway.error_code;
  if (nghttp2_session_check_server_session(s) == 0) return 0;
  if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
      !(f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    return 0;
  }
  int32_t sid = f->hd.stream_id;
  const std::string& path = p->paths[sid];
  p->outgoing[sid] =
      path.rfind("/size/", 0) == 0 ? body_for(std::stoul(path.substr(6))) : p->bodies[sid];
  nghttp2_nv nv[] = {{(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
                     {(uint8_t*)"server", (uint8_t*)"nghttp2", 6, 7, NGHTTP2_NV_FLAG_NONE}};
  nghttp2_data_provider dp;
  dp.read_callback = read_body;
  nghttp2_submit_response(s, sid, nv, 2, &dp);
  return 0;
}

nghttp2_session_callbacks* callbacks() {
  nghttp2_session_callbacks* cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  return cb;
}

// Moves bytes between nghttp2 and our connection until both are quiet or `rounds` ran out.
// False on an error on either side.
bool pump(Peer& peer, Connection& ours, int rounds = 100000) {
  std::string to_ours;
  for (int i = 0; i < rounds; ++i) {
    bool progress = false;
    const uint8_t* data;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(peer.session, &data)) > 0) {
      to_ours.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
      progress = true;
    }
    if (n < 0) return false;
    Result<size_t> used = ours.feed(as_bytes(to_ours));
    if (!used) {
      ADD_FAILURE() << to_string(used.error());
      return false;
    }
    to_ours.erase(0, *used);
    ByteBuffer out;
    ours.take_output(out);
    if (!out.empty()) {
      progress = true;
      ssize_t r = nghttp2_session_mem_recv(peer.session, out.data(), out.size());
      if (r < 0) {
        ADD_FAILURE() << "nghttp2: " << nghttp2_strerror(static_cast<int>(r));
        return false;
      }
    }
    if (!progress) return to_ours.empty();
  }
  return true;
}

nghttp2_nv nv(const char* n, const std::string& v) {
  return {(uint8_t*)n, (uint8_t*)v.data(), strlen(n), v.size(), NGHTTP2_NV_FLAG_NONE};
}

struct BodySource {
  std::string data;
  size_t at = 0;
};

ssize_t read_source(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                    nghttp2_data_source* src, void*) {
  auto* b = static_cast<BodySource*>(src->ptr);
  size_t n = std::min(len, b->data.size() - b->at);
  std::copy(b->data.data() + b->at, b->data.data() + b->at + n, buf);
  b->at += n;
  if (b->at == b->data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

void nghttp2_client_to_our_server(uint32_t client_window, uint32_t server_window,
                                  uint32_t table_size) {
  Peer peer;
  nghttp2_session_callbacks* cb = callbacks();
  nghttp2_session_client_new(&peer.session, cb, &peer);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, client_window},
                                 {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, table_size},
                                 {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, 20000}};
  nghttp2_submit_settings(peer.session, NGHTTP2_FLAG_NONE, iv, 3);
  App app;
  Settings local;
  local.initial_window_size = server_window;
  local.max_frame_size = 32768;
  Connection server(Role::Server, app, local);
  app.conn = &server;

  std::vector<BodySource> posts(10);
  std::vector<std::pair<int32_t, size_t>> expect;
  std::string auth = "example.com", http = "http", get = "GET", post = "POST";
  for (int i = 0; i < 30; ++i) {
    std::string path = "/size/" + std::to_string(i * 7919);
    std::string big = std::string(300, 'h') + std::to_string(i % 3);
    nghttp2_nv h[] = {nv(":method", get), nv(":scheme", http), nv(":authority", auth),
                      nv(":path", path), nv("x-big", big)};
    int32_t sid = nghttp2_submit_request(peer.session, nullptr, h, 5, nullptr, nullptr);
    ASSERT_GT(sid, 0);
    expect.push_back({sid, static_cast<size_t>(i * 7919)});
  }
  for (size_t i = 0; i < posts.size(); ++i) {
    posts[i].data = body_for(1000 + i * 20011);
    std::string path = "/echo";
    nghttp2_nv h[] = {nv(":method", post), nv(":scheme", http), nv(":authority", auth),
                      nv(":path", path)};
    nghttp2_data_provider dp;
    dp.source.ptr = &posts[i];
    dp.read_callback = read_source;
    int32_t sid = nghttp2_submit_request(peer.session, nullptr, h, 4, &dp, nullptr);
    expect.push_back({sid, posts[i].data.size()});
  }
  // A table size change in the middle (RFC 7541 §4.2 size update on our encoder's next block).
  ASSERT_TRUE(pump(peer, server, 3));
  nghttp2_settings_entry shrink[] = {{NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 0}};
  nghttp2_submit_settings(peer.session, NGHTTP2_FLAG_NONE, shrink, 1);
  ASSERT_TRUE(pump(peer, server));
  EXPECT_FALSE(server.failed());
  for (auto [sid, size] : expect) {
    EXPECT_EQ(peer.statuses[sid], "200") << sid;
    if (peer.bodies[sid].size() != size) {
      ADD_FAILURE() << "sid " << sid << " got " << peer.bodies[sid].size() << " of " << size
                    << " queued " << server.queued_bytes(sid) << " win " << server.send_window(sid)
                    << " peer-recv-win "
                    << nghttp2_session_get_stream_effective_local_window_size(peer.session, sid)
                    << " peer-send-win "
                    << nghttp2_session_get_stream_remote_window_size(peer.session, sid)
                    << " peer-conn-send-win "
                    << nghttp2_session_get_remote_window_size(peer.session) << " server-got "
                    << app.bodies[sid].size();
    }
    EXPECT_EQ(peer.bodies[sid].size(), size) << sid;
    EXPECT_EQ(peer.bodies[sid], body_for(size)) << sid;
  }
  EXPECT_TRUE(peer.resets.empty());
  for (auto [sid, code] : peer.resets) ADD_FAILURE() << "reset " << sid << " " << code;
  EXPECT_EQ(server.stream_count(), 0u);
  if (::testing::Test::HasFailure()) {
    ADD_FAILURE() << server.last_stream_error().detail << " statuses " << peer.statuses.size()
                  << " closed " << peer.closed << " open " << server.stream_count() << " want "
                  << nghttp2_session_want_write(peer.session) << "/" << server.wants_output()
                  << " connwin " << server.connection_send_window() << "\n"
                  << app.trace().substr(0, 1000);
  }
}

TEST(Nghttp2Interop, ClientToOurServerDefaults) {
  nghttp2_client_to_our_server(65535, 65535, 4096);
}

TEST(Nghttp2Interop, ClientToOurServerTinyWindows) {
  nghttp2_client_to_our_server(17, 300, 64);
}

TEST(Nghttp2Interop, ClientToOurServerLargeWindows) {
  nghttp2_client_to_our_server(1u << 20, 1u << 20, 65536);
}

// RFC 7541 §4.2, RFC 9113 §6.5.3: a SETTINGS frame that lowers HEADER_TABLE_SIZE and raises it
// again obliges our encoder to signal the smallest value before the final one; nghttp2 holds us
// to it (found by `crossmux fuzz h2` against `crossmux origin`).
TEST(Nghttp2Interop, TableSizeLoweredAndRaisedInOneSettingsFrame) {
  Peer peer;
  nghttp2_session_callbacks* cb = callbacks();
  nghttp2_session_client_new(&peer.session, cb, &peer);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 0},
                                 {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 4096}};
  ASSERT_EQ(nghttp2_submit_settings(peer.session, NGHTTP2_FLAG_NONE, iv, 2), 0);
  App app;
  Connection server(Role::Server, app);
  app.conn = &server;
  std::string auth = "example.com", http = "http", get = "GET", path = "/size/10";
  nghttp2_nv h[] = {nv(":method", get), nv(":scheme", http), nv(":authority", auth),
                    nv(":path", path)};
  int32_t sid = nghttp2_submit_request(peer.session, nullptr, h, 4, nullptr, nullptr);
  ASSERT_GT(sid, 0);
  ASSERT_TRUE(pump(peer, server));
  EXPECT_EQ(peer.statuses[sid], "200");
  EXPECT_EQ(peer.bodies[sid], body_for(10));
}

void our_client_to_nghttp2_server(uint32_t client_window, uint32_t server_window, bool trailers) {
  Peer peer;
  nghttp2_session_callbacks* cb = callbacks();
  nghttp2_session_server_new(&peer.session, cb, &peer);
  nghttp2_session_callbacks_del(cb);
  nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, server_window},
                                 {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 25},
                                 {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 256}};
  nghttp2_submit_settings(peer.session, NGHTTP2_FLAG_NONE, iv, 3);
  App app;
  Settings local;
  local.initial_window_size = client_window;
  Connection client(Role::Client, app, local);
  app.conn = &client;
  ASSERT_TRUE(pump(peer, client));

  std::map<StreamId, std::string> expect;
  int opened = 0;
  for (int round = 0; round < 100 && opened < 60; ++round) {
    while (client.can_open_stream() && opened < 60) {
      MessageHead h;
      h.scheme = "https";
      h.authority = "example.com";
      h.headers.add_view("User-Agent", "crossmux-test");
      h.headers.add_view("Accept", "*/*");
      std::string path = "/size/" + std::to_string(opened * 3001);
      bool post = opened % 4 == 0;
      std::string body = body_for(opened * 5003 + 1);
      h.method = post ? "POST" : "GET";
      h.path = post ? std::string_view("/echo") : std::string_view(path);
      Result<StreamId> id = client.submit_headers(0, h, !post);
      ASSERT_TRUE(id.has_value());
      if (post) {
        if (trailers) {
          ASSERT_TRUE(client.submit_data(*id, as_bytes(body), false).has_value());
          HeaderList t;
          t.add_view("X-Checksum", "42");
          ASSERT_TRUE(client.submit_trailers(*id, t).has_value());
        } else {
          ASSERT_TRUE(client.submit_data(*id, as_bytes(body), true).has_value());
        }
      }
      expect[*id] = post ? body : body_for(opened * 3001);
      ++opened;
    }
    ASSERT_TRUE(pump(peer, client, 50));
  }
  ASSERT_TRUE(pump(peer, client));
  EXPECT_EQ(opened, 60);
  for (auto& [sid, body] : expect) {
    ASSERT_EQ(app.bodies[sid].size(), body.size()) << sid;
    EXPECT_EQ(app.bodies[sid], body) << sid;
    if (trailers && sid % 8 == 1) {
      EXPECT_EQ(peer.trailers[static_cast<int32_t>(sid)], "x-checksum=42;");
    }
  }
  EXPECT_EQ(app.count(EventKind::EndOfMessage), 60u);
  EXPECT_TRUE(peer.resets.empty());
}

TEST(Nghttp2Interop, OurClientToServerDefaults) {
  our_client_to_nghttp2_server(65535, 65535, false);
}

TEST(Nghttp2Interop, OurClientToServerTinyWindowsAndTrailers) {
  our_client_to_nghttp2_server(33, 500, true);
}

TEST(Nghttp2Interop, OurServerGracefulGoAwayToNghttp2) {
  Peer peer;
  nghttp2_session_callbacks* cb = callbacks();
  nghttp2_session_client_new(&peer.session, cb, &peer);
  nghttp2_session_callbacks_del(cb);
  nghttp2_submit_settings(peer.session, NGHTTP2_FLAG_NONE, nullptr, 0);
  App app;
  Connection server(Role::Server, app);
  app.conn = &server;
  ASSERT_TRUE(pump(peer, server));
  server.go_away(H2Code::NoError);
  ASSERT_TRUE(pump(peer, server));
  EXPECT_EQ(peer.goaway, 0u);
  EXPECT_TRUE(server.going_away());
}

}  // namespace
}  // namespace crossmux::codecs::h2
