// HTTP/2 benchmarks: frame parse throughput, and a server connection receiving a realistic mix
// (HPACK HEADERS, DATA of several sizes, WINDOW_UPDATE) and answering, beside nghttp2's server.
#include <benchmark/benchmark.h>
#include <nghttp2/nghttp2.h>

#include <string>
#include <vector>

#include "bench/fixed_iterations.h"
#include "bench/ratio_report.h"
#include "codecs/h2/connection.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/encoder.h"

namespace {

using namespace crossmux::codecs;
using namespace crossmux::codecs::h2;

constexpr int kRequests = 1000;
constexpr size_t kReadSize = 16384 + 9;  // one socket read
const std::string kResponseBody(64, 'r');

// The client side of a connection: preface, SETTINGS, then GETs and POSTs with 1 KiB, 4 KiB and
// 16 KiB bodies, a connection WINDOW_UPDATE every 8 requests.
std::string client_stream() {
  ByteBuffer b;
  b.append(kConnectionPreface);
  SettingsEntry s[] = {{4, 1u << 20}, {3, 1000}};
  write_settings(b, s, 2);
  write_settings_ack(b);
  write_window_update(b, 0, 1u << 24);
  hpack::Encoder enc;
  std::string body(16384, 'b');
  const size_t sizes[] = {0, 1024, 0, 4096, 0, 16384};
  for (int i = 0; i < kRequests; ++i) {
    uint32_t sid = 2 * i + 1;
    size_t size = sizes[i % 6];
    std::string path = "/static/item/" + std::to_string(i % 50) + ".js";
    std::vector<hpack::Field> f = {{":method", size ? "POST" : "GET"},
                                   {":scheme", "https"},
                                   {":authority", "www.example.com"},
                                   {":path", path},
                                   {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) bench/1.0"},
                                   {"accept", "*/*"},
                                   {"accept-encoding", "gzip, deflate, br"},
                                   {"cookie", "session=0123456789abcdef0123456789abcdef"}};
    ByteBuffer block;
    enc.encode(f, block);
    HeadersFrame h;
    h.block = block.bytes();
    h.end_headers = true;
    h.end_stream = size == 0;
    write_headers(b, sid, h);
    if (size) write_data(b, sid, as_bytes(std::string_view(body).substr(0, size)), true);
    if (i % 8 == 7) write_window_update(b, 0, 1u << 20);
  }
  return std::string(b.view());
}

const std::string& input() {
  static const std::string s = client_stream();
  return s;
}

// Our server: answers every request with 200 and a 64-byte body.
class Answer : public EventSink {
 public:
  Connection* conn = nullptr;
  MessageHead response;
  size_t responses = 0;
  Answer() {
    response.kind = MessageKind::Response;
    response.status = 200;
    response.headers.add_view("content-type", "application/javascript");
    response.headers.add_view("server", "crossmux");
    response.framing = Framing::KnownLength;
    response.content_length = kResponseBody.size();
  }
  void on_head(StreamId, MessageHead&) override {}
  void on_data(StreamId id, Bytes d) override { conn->consume(id, d.size()); }
  void on_trailers(StreamId, HeaderList&) override {}
  void on_end_of_message(StreamId id) override {
    (void)conn->submit_headers(id, response, false);
    (void)conn->submit_data(id, as_bytes(kResponseBody), true);
    ++responses;
  }
  void on_reset(StreamId, uint32_t) override {}
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const Error&) override {}
};

void BM_ServerConnection_Ours(benchmark::State& state) {
  const std::string& in = input();
  ByteBuffer out;
  size_t responses = 0;
  for (auto _ : state) {
    Answer app;
    Connection c(Role::Server, app);
    app.conn = &c;
    // The input stands for the connection's read buffer: each read makes kReadSize more bytes
    // visible; unconsumed bytes (a partial frame) stay in place for the next feed.
    size_t consumed = 0;
    for (size_t end = kReadSize; consumed < in.size(); end += kReadSize) {
      Bytes view = as_bytes(std::string_view(in).substr(consumed, end - consumed));
      Result<size_t> used = c.feed(view);
      if (!used) {
        state.SkipWithError("connection error");
        break;
      }
      consumed += *used;
      c.take_output(out);
      out.clear();
    }
    responses += app.responses;
  }
  if (responses != static_cast<size_t>(kRequests * state.iterations()))
    state.SkipWithError("missing responses");
  state.SetBytesProcessed(static_cast<int64_t>(in.size() * state.iterations()));
  state.counters["req/s"] =
      benchmark::Counter(static_cast<double>(responses), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ServerConnection_Ours)->Apply(crossmux::bench::fixed_iterations);

struct NgServer {
  size_t responses = 0;
};

ssize_t ng_read(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                nghttp2_data_source*, void*) {
  size_t n = std::min(len, kResponseBody.size());
  std::memcpy(buf, kResponseBody.data(), n);
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int ng_frame(nghttp2_session* s, const nghttp2_frame* f, void* user) {
  if ((f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA) ||
      !(f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    return 0;
  }
  static const std::string cl = std::to_string(kResponseBody.size());
  nghttp2_nv nv[] = {
      {(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
      {(uint8_t*)"content-type", (uint8_t*)"application/javascript", 12, 22, NGHTTP2_NV_FLAG_NONE},
      {(uint8_t*)"server", (uint8_t*)"crossmux", 6, 8, NGHTTP2_NV_FLAG_NONE},
      {(uint8_t*)"content-length", (uint8_t*)cl.data(), 14, cl.size(), NGHTTP2_NV_FLAG_NONE}};
  nghttp2_data_provider dp;
  dp.read_callback = ng_read;
  nghttp2_submit_response(s, f->hd.stream_id, nv, 4, &dp);
  ++static_cast<NgServer*>(user)->responses;
  return 0;
}

int ng_header(nghttp2_session*, const nghttp2_frame*, const uint8_t*, size_t, const uint8_t*,
              size_t, uint8_t, void*) {
  return 0;
}

void BM_ServerConnection_Nghttp2(benchmark::State& state) {
  const std::string& in = input();
  nghttp2_session_callbacks* cb;
  nghttp2_session_callbacks_new(&cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, ng_frame);
  nghttp2_session_callbacks_set_on_header_callback(cb, ng_header);
  size_t responses = 0;
  for (auto _ : state) {
    NgServer app;
    nghttp2_session* s;
    nghttp2_session_server_new(&s, cb, &app);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv, 1);
    for (size_t at = 0; at < in.size(); at += kReadSize) {
      size_t n = std::min(kReadSize, in.size() - at);
      if (nghttp2_session_mem_recv(s, reinterpret_cast<const uint8_t*>(in.data()) + at, n) < 0) {
        state.SkipWithError("nghttp2 error");
      }
      const uint8_t* data;
      while (nghttp2_session_mem_send(s, &data) > 0) {
      }
    }
    responses += app.responses;
    nghttp2_session_del(s);
  }
  nghttp2_session_callbacks_del(cb);
  if (responses != static_cast<size_t>(kRequests * state.iterations()))
    state.SkipWithError("missing responses");
  state.SetBytesProcessed(static_cast<int64_t>(in.size() * state.iterations()));
  state.counters["req/s"] =
      benchmark::Counter(static_cast<double>(responses), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ServerConnection_Nghttp2)->Apply(crossmux::bench::fixed_iterations);

// Frame header + payload parse over the client stream (after the preface).
void BM_FrameParse(benchmark::State& state) {
  std::string_view in = std::string_view(input()).substr(24);
  size_t frames = 0;
  for (auto _ : state) {
    Bytes b = as_bytes(in);
    while (b.size() >= kFrameHeaderSize) {
      FrameHeader h = parse_frame_header(b.data());
      Result<Frame> f = parse_frame(h, b.subspan(kFrameHeaderSize, h.length), kMaxMaxFrameSize);
      benchmark::DoNotOptimize(f);
      b = b.subspan(kFrameHeaderSize + h.length);
      ++frames;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(in.size() * state.iterations()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameParse)->Apply(crossmux::bench::fixed_iterations);

// Frame headers only: small control frames, the per-frame fixed cost.
void BM_FrameParseControl(benchmark::State& state) {
  ByteBuffer b;
  for (int i = 0; i < 1000; ++i) {
    write_window_update(b, 2 * i + 1, 1000);
    write_ping(b, false, {1, 2, 3, 4, 5, 6, 7, 8});
    write_rst_stream(b, 2 * i + 1, 8);
  }
  size_t frames = 0;
  for (auto _ : state) {
    Bytes in = b.bytes();
    while (!in.empty()) {
      FrameHeader h = parse_frame_header(in.data());
      Result<Frame> f = parse_frame(h, in.subspan(kFrameHeaderSize, h.length), 16384);
      benchmark::DoNotOptimize(f);
      in = in.subspan(kFrameHeaderSize + h.length);
      ++frames;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(b.size() * state.iterations()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FrameParseControl)->Apply(crossmux::bench::fixed_iterations);

}  // namespace

int main(int argc, char** argv) {
  return crossmux::bench::run_with_ratios(argc, argv, "_Ours", "_Nghttp2", "nghttp2");
}
