// HTTP/1.1 parse throughput: our decoder vs llhttp on identical inputs, both recording field spans.
#include <benchmark/benchmark.h>
#include <llhttp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/fixed_iterations.h"
#include "bench/ratio_report.h"
#include "codecs/h1/decoder.h"

namespace {

using crossmux::codecs::Bytes;
using crossmux::codecs::EventSink;
using crossmux::codecs::HeaderList;
using crossmux::codecs::MessageHead;
using crossmux::codecs::MessageKind;
using crossmux::codecs::StreamId;
namespace h1 = crossmux::codecs::h1;

std::string browser_request() {
  return "GET /products/search?q=wireless+headphones&page=2&sort=price_asc HTTP/1.1\r\n"
         "Host: shop.example.com\r\n"
         "Connection: keep-alive\r\n"
         "sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\"\r\n"
         "sec-ch-ua-mobile: ?0\r\n"
         "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Safari/537.36\r\n"
         "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
         "Sec-Fetch-Site: same-origin\r\n"
         "Sec-Fetch-Mode: navigate\r\n"
         "Referer: https://shop.example.com/products\r\n"
         "Accept-Encoding: gzip, deflate, br\r\n"
         "Accept-Language: en-US,en;q=0.9\r\n"
         "Cookie: session=8f2a1c9e7b3d4f60; theme=dark; cart=3\r\n\r\n";
}

std::string json_response() {
  std::string body = "{\"items\":[";
  for (int i = 0; i < 12; ++i) {
    if (i) body += ',';
    body += "{\"id\":" + std::to_string(1000 + i) + ",\"name\":\"Item number " + std::to_string(i) +
            "\",\"price\":19.99,\"tags\":[\"audio\",\"wireless\"]}";
  }
  body += "],\"total\":12}";
  return "HTTP/1.1 200 OK\r\nDate: Fri, 27 Nov 2026 06:00:00 GMT\r\nServer: api\r\n"
         "Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\n"
         "X-Request-Id: 4bf92f3577b34da6a3ce929d0e0e4736\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunked_response() {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 8; ++i) {
    std::string chunk(512, static_cast<char>('a' + i));
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    out += size + chunk + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string pipelined_requests() {
  std::string out;
  for (int i = 0; i < 100; ++i) {
    out += "GET /api/v1/items/" + std::to_string(i) +
           " HTTP/1.1\r\nHost: api.example\r\nAccept: */*\r\n\r\n";
  }
  return out;
}

// Our side: the decoder already records every field as a span in the head; the sink touches
// them the way a consumer would (count fields, sum body bytes).
class CountingSink : public EventSink {
 public:
  void on_head(StreamId, MessageHead& head) override {
    fields += head.headers.size();
    ++heads;
  }
  void on_data(StreamId, Bytes d) override { body += d.size(); }
  void on_trailers(StreamId, HeaderList& t) override { fields += t.size(); }
  void on_end_of_message(StreamId) override { ++ends; }
  void on_reset(StreamId, uint32_t) override {}
  void on_goaway(StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const crossmux::codecs::Error&) override { ++errors; }
  size_t fields = 0, heads = 0, body = 0, ends = 0, errors = 0;
};

void run_ours(benchmark::State& state, const std::string& input, MessageKind kind,
              size_t messages) {
  h1::Decoder decoder(kind);
  CountingSink sink;
  Bytes bytes(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  for (auto _ : state) {
    if (kind == MessageKind::Response) decoder.expect_response(h1::RequestInfo{});
    auto used = decoder.feed(bytes, sink);
    if (!used || *used != input.size()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(sink.fields);
  }
  if (sink.ends != state.iterations() * messages) state.SkipWithError("message count mismatch");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * messages));
}

// llhttp side: callbacks record (pointer, length) spans for method, URL, every field name and
// value — the same work as filling HeaderList views — and count body bytes.
struct Span {
  const char* at;
  size_t len;
};
struct LlhttpRecorder {
  Span url{}, method{};
  std::vector<Span> names, values;
  size_t fields = 0, body = 0, ends = 0;
};

LlhttpRecorder* rec(llhttp_t* p) {
  return static_cast<LlhttpRecorder*>(p->data);
}

int on_begin(llhttp_t* p) {
  rec(p)->names.clear();
  rec(p)->values.clear();
  return 0;
}
int on_url(llhttp_t* p, const char* at, size_t n) {
  rec(p)->url = {at, n};
  return 0;
}
int on_method(llhttp_t* p, const char* at, size_t n) {
  rec(p)->method = {at, n};
  return 0;
}
int on_name(llhttp_t* p, const char* at, size_t n) {
  rec(p)->names.push_back({at, n});
  return 0;
}
int on_value(llhttp_t* p, const char* at, size_t n) {
  rec(p)->values.push_back({at, n});
  return 0;
}
int on_headers(llhttp_t* p) {
  rec(p)->fields += rec(p)->names.size();
  return 0;
}
int on_body(llhttp_t* p, const char*, size_t n) {
  rec(p)->body += n;
  return 0;
}
int on_complete(llhttp_t* p) {
  ++rec(p)->ends;
  return 0;
}

void run_llhttp(benchmark::State& state, const std::string& input, MessageKind kind,
                size_t messages) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = on_begin;
  settings.on_url = on_url;
  settings.on_method = on_method;
  settings.on_header_field = on_name;
  settings.on_header_value = on_value;
  settings.on_headers_complete = on_headers;
  settings.on_body = on_body;
  settings.on_message_complete = on_complete;
  llhttp_t parser;
  llhttp_init(&parser, kind == MessageKind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &settings);
  LlhttpRecorder r;
  r.names.reserve(64);
  r.values.reserve(64);
  parser.data = &r;
  for (auto _ : state) {
    if (llhttp_execute(&parser, input.data(), input.size()) != HPE_OK)
      state.SkipWithError("llhttp failed");
    benchmark::DoNotOptimize(r.fields);
  }
  if (r.ends != state.iterations() * messages) state.SkipWithError("message count mismatch");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * messages));
}

const std::string kBrowser = browser_request();
const std::string kJson = json_response();
const std::string kChunked = chunked_response();
const std::string kPipelined = pipelined_requests();

void BM_Ours_BrowserRequest(benchmark::State& s) {
  run_ours(s, kBrowser, MessageKind::Request, 1);
}
void BM_Llhttp_BrowserRequest(benchmark::State& s) {
  run_llhttp(s, kBrowser, MessageKind::Request, 1);
}
void BM_Ours_JsonResponse(benchmark::State& s) {
  run_ours(s, kJson, MessageKind::Response, 1);
}
void BM_Llhttp_JsonResponse(benchmark::State& s) {
  run_llhttp(s, kJson, MessageKind::Response, 1);
}
void BM_Ours_ChunkedResponse(benchmark::State& s) {
  run_ours(s, kChunked, MessageKind::Response, 1);
}
void BM_Llhttp_ChunkedResponse(benchmark::State& s) {
  run_llhttp(s, kChunked, MessageKind::Response, 1);
}
void BM_Ours_Pipelined100(benchmark::State& s) {
  run_ours(s, kPipelined, MessageKind::Request, 100);
}
void BM_Llhttp_Pipelined100(benchmark::State& s) {
  run_llhttp(s, kPipelined, MessageKind::Request, 100);
}

BENCHMARK(BM_Ours_BrowserRequest)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Llhttp_BrowserRequest)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Ours_JsonResponse)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Llhttp_JsonResponse)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Ours_ChunkedResponse)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Llhttp_ChunkedResponse)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Ours_Pipelined100)->Apply(crossmux::bench::fixed_iterations);
BENCHMARK(BM_Llhttp_Pipelined100)->Apply(crossmux::bench::fixed_iterations);

}  // namespace

int main(int argc, char** argv) {
  return crossmux::bench::run_with_ratios(argc, argv, "BM_Ours_", "BM_Llhttp_", "llhttp");
}
