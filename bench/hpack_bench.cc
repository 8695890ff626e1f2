// HPACK throughput: our encoder/decoder vs nghttp2's deflater/inflater on identical header lists,
// with a ratio summary (nghttp2 time / our time, encoded sizes) printed after the runs.
#include <benchmark/benchmark.h>
#include <nghttp2/nghttp2.h>

#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bench/fixed_iterations.h"
#include "bench/ratio_report.h"
#include "codecs/hpack/decoder.h"
#include "codecs/hpack/encoder.h"

namespace {

namespace hpack = crossmux::codecs::hpack;
using crossmux::codecs::ByteBuffer;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int kRounds = 4;  // each set is replayed this many times on one connection

// A page load: a document, then sub-resources with a long cookie and a referer.
std::vector<Headers> browser_requests() {
  const std::string ua =
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/124.0.0.0 Safari/537.36";
  const std::string cookie =
      "session=8f2a1c9e7b3d4f6011aa22bb33cc44dd; theme=dark; cart=3; "
      "_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; "
      "consent=analytics%3Dtrue%26ads%3Dfalse; locale=en-US";
  const char* paths[] = {"/",
                         "/static/css/main.4f2a9c.css",
                         "/static/js/runtime.8d1e.js",
                         "/static/js/app.3b9f2c71.js",
                         "/images/hero-banner@2x.webp",
                         "/api/v1/session?refresh=true",
                         "/fonts/inter-var.woff2",
                         "/favicon.ico"};
  const char* accepts[] = {
      "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
      "text/css,*/*;q=0.1",
      "*/*",
      "*/*",
      "image/avif,image/webp,image/apng,*/*;q=0.8",
      "application/json",
      "*/*",
      "image/avif,image/webp,image/apng,*/*;q=0.8"};
  std::vector<Headers> out;
  for (int i = 0; i < 8; ++i) {
    Headers h = {{":method", "GET"},
                 {":authority", "shop.example.com"},
                 {":scheme", "https"},
                 {":path", paths[i]},
                 {"sec-ch-ua", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\""},
                 {"sec-ch-ua-mobile", "?0"},
                 {"user-agent", ua},
                 {"accept", accepts[i]},
                 {"sec-fetch-site", i == 0 ? "none" : "same-origin"},
                 {"sec-fetch-mode", i == 0 ? "navigate" : "no-cors"},
                 {"accept-encoding", "gzip, deflate, br"},
                 {"accept-language", "en-US,en;q=0.9"},
                 {"cookie", cookie}};
    if (i > 0) h.emplace_back("referer", "https://shop.example.com/");
    out.push_back(std::move(h));
  }
  return out;
}

// JSON API responses: repeated policy headers, per-response ids, lengths and dates.
std::vector<Headers> api_responses() {
  std::vector<Headers> out;
  for (int i = 0; i < 8; ++i) {
    const std::string n = std::to_string(i);
    out.push_back({{":status", i == 5 ? "404" : "200"},
                   {"date", "Fri, 27 Nov 2026 06:0" + n + ":1" + n + " GMT"},
                   {"content-type", "application/json; charset=utf-8"},
                   {"content-length", std::to_string(1200 + 37 * i)},
                   {"server", "envoy"},
                   {"cache-control", "private, no-store, max-age=0"},
                   {"vary", "accept-encoding, authorization"},
                   {"x-request-id", "9c1f0e7a-55b2-4d1e-8a3c-" + std::to_string(100000000000 + i)},
                   {"etag", "W/\"4b2-" + std::to_string(7919 * (i + 1)) + "\""},
                   {"access-control-allow-origin", "*"},
                   {"strict-transport-security", "max-age=63072000; includeSubDomains; preload"},
                   {"x-envoy-upstream-service-time", std::to_string(3 + i)}});
  }
  return out;
}

// gRPC unary calls: request headers from a client.
std::vector<Headers> grpc_requests() {
  std::vector<Headers> out;
  for (int i = 0; i < 8; ++i) {
    out.push_back({{":method", "POST"},
                   {":scheme", "http"},
                   {":path", i % 2 ? "/helloworld.Greeter/SayHello" : "/helloworld.Greeter/SayBye"},
                   {":authority", "greeter.svc.cluster.local:50051"},
                   {"content-type", "application/grpc"},
                   {"user-agent", "grpc-c++/1.62.0 grpc-c/39.0.0 (linux; chttp2)"},
                   {"grpc-accept-encoding", "identity, deflate, gzip"},
                   {"te", "trailers"},
                   {"grpc-timeout", "1S"}});
  }
  return out;
}

// gRPC responses: headers then trailers for each call.
std::vector<Headers> grpc_responses() {
  std::vector<Headers> out;
  for (int i = 0; i < 8; ++i) {
    out.push_back({{":status", "200"},
                   {"content-type", "application/grpc"},
                   {"grpc-accept-encoding", "identity, deflate, gzip"},
                   {"grpc-encoding", "identity"}});
    out.push_back(
        {{"grpc-status", i == 3 ? "5" : "0"}, {"grpc-message", i == 3 ? "not found" : ""}});
  }
  return out;
}

struct Set {
  const char* name;
  std::vector<Headers> lists;  // one connection: the set repeated kRounds times
  size_t header_bytes = 0;
};

std::vector<Set> make_sets() {
  std::vector<Set> sets = {{"browser", browser_requests()},
                           {"api", api_responses()},
                           {"grpc_req", grpc_requests()},
                           {"grpc_resp", grpc_responses()}};
  for (Set& s : sets) {
    const std::vector<Headers> one = s.lists;
    for (int r = 1; r < kRounds; ++r) s.lists.insert(s.lists.end(), one.begin(), one.end());
    for (const Headers& h : s.lists) {
      for (const auto& [n, v] : h) s.header_bytes += n.size() + v.size();
    }
  }
  return sets;
}

// Views of a set in both libraries' input types, built once.
struct Prepared {
  std::vector<std::vector<hpack::Field>> fields;
  std::vector<std::vector<nghttp2_nv>> nvs;
};

Prepared prepare(const Set& s) {
  Prepared p;
  for (const Headers& h : s.lists) {
    std::vector<hpack::Field> f;
    std::vector<nghttp2_nv> nv;
    for (const auto& [n, v] : h) {
      f.push_back({n, v, false});
      nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                    NGHTTP2_NV_FLAG_NONE});
    }
    p.fields.push_back(std::move(f));
    p.nvs.push_back(std::move(nv));
  }
  return p;
}

// Encoded blocks of a set: nghttp2's (Huffman on) or ours with Huffman off, which nghttp2's
// deflater cannot produce. `table` 0 makes every block stand alone (a cold table).
std::vector<std::vector<uint8_t>> wire_for(const Set& s, const Prepared& p, bool huffman,
                                           uint32_t table) {
  std::vector<std::vector<uint8_t>> out;
  if (huffman) {
    nghttp2_hd_deflater* d;
    nghttp2_hd_deflate_new(&d, table);
    for (const auto& nv : p.nvs) {
      std::vector<uint8_t> buf(nghttp2_hd_deflate_bound(d, nv.data(), nv.size()));
      const auto n = nghttp2_hd_deflate_hd(d, buf.data(), buf.size(), nv.data(), nv.size());
      buf.resize(static_cast<size_t>(n));
      out.push_back(std::move(buf));
    }
    nghttp2_hd_deflate_del(d);
  } else {
    hpack::Encoder e(table);
    e.set_huffman(false);
    for (const auto& f : p.fields) {
      ByteBuffer b;
      e.encode(f, b);
      out.emplace_back(b.data(), b.data() + b.size());
    }
  }
  return out;
}

size_t total(const std::vector<std::vector<uint8_t>>& blocks) {
  size_t n = 0;
  for (const auto& b : blocks) n += b.size();
  return n;
}

void decode_ours(benchmark::State& state, const Set& s, std::vector<std::vector<uint8_t>> wire) {
  hpack::DecodedBlock block;
  for (auto _ : state) {
    hpack::Decoder dec;
    size_t bytes = 0;
    for (const auto& w : wire) {
      if (!dec.decode(w, block).has_value()) state.SkipWithError("decode failed");
      for (const hpack::Field& f : block.fields()) bytes += f.name.size() + f.value.size();
    }
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.header_bytes));
  state.counters["wire"] = static_cast<double>(total(wire));
}

void decode_nghttp2(benchmark::State& state, const Set& s, std::vector<std::vector<uint8_t>> wire) {
  for (auto _ : state) {
    nghttp2_hd_inflater* inf;
    nghttp2_hd_inflate_new(&inf);
    size_t bytes = 0;
    for (const auto& w : wire) {
      const uint8_t* in = w.data();
      size_t left = w.size();
      for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        const auto rv = nghttp2_hd_inflate_hd2(inf, &nv, &flags, in, left, 1);
        if (rv < 0) {
          state.SkipWithError("nghttp2 decode failed");
          break;
        }
        in += rv;
        left -= static_cast<size_t>(rv);
        if (flags & NGHTTP2_HD_INFLATE_EMIT) bytes += nv.namelen + nv.valuelen;
        if (flags & NGHTTP2_HD_INFLATE_FINAL) break;
      }
      nghttp2_hd_inflate_end_headers(inf);
    }
    nghttp2_hd_inflate_del(inf);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.header_bytes));
  state.counters["wire"] = static_cast<double>(total(wire));
}

void encode_ours(benchmark::State& state, const Set& s, const Prepared& p, bool huffman,
                 uint32_t table) {
  ByteBuffer out(64 * 1024);
  size_t wire = 0;
  for (auto _ : state) {
    hpack::Encoder enc(table);
    enc.set_huffman(huffman);
    wire = 0;
    for (const auto& f : p.fields) {
      out.clear();
      enc.encode(f, out);
      wire += out.size();
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.header_bytes));
  state.counters["wire"] = static_cast<double>(wire);
}

void encode_nghttp2(benchmark::State& state, const Set& s, const Prepared& p, uint32_t table) {
  std::vector<uint8_t> out(64 * 1024);
  size_t wire = 0;
  for (auto _ : state) {
    nghttp2_hd_deflater* d;
    nghttp2_hd_deflate_new(&d, table);
    wire = 0;
    for (const auto& nv : p.nvs) {
      const auto n = nghttp2_hd_deflate_hd(d, out.data(), out.size(), nv.data(), nv.size());
      wire += static_cast<size_t>(n);
    }
    nghttp2_hd_deflate_del(d);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.header_bytes));
  state.counters["wire"] = static_cast<double>(wire);
}

// Collects every run so main() can print ours-vs-nghttp2 ratios (CPU time per iteration, fastest
// repetition).
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  struct Row {
    double ns = 0;
    double wire = 0;
  };
  void ReportRuns(const std::vector<Run>& runs) override {
    // With --benchmark_repetitions the fastest repetition counts: the machine is shared and
    // noise only ever adds time.
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      Row row{r.GetAdjustedCPUTime(), 0};
      const auto it = r.counters.find("wire");
      if (it != r.counters.end()) row.wire = it->second.value;
      const std::string name = r.run_name.str();
      const auto old = rows_.find(name);
      if (old == rows_.end() || row.ns < old->second.ns) rows_[name] = row;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void print_summary() const {
    std::printf("\n%-34s %12s %12s %8s %10s %10s\n", "case", "ours ns", "nghttp2 ns", "speedup",
                "ours B", "nghttp2 B");
    for (const auto& [name, ours] : rows_) {
      const std::string suffix = "/ours";
      if (name.size() < suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      const std::string base = name.substr(0, name.size() - suffix.size());
      const auto theirs = rows_.find(base + "/nghttp2");
      if (theirs == rows_.end()) continue;
      std::printf("%-34s %12.0f %12.0f %7.2fx %10.0f %10.0f\n", base.c_str(), ours.ns,
                  theirs->second.ns, theirs->second.ns / ours.ns, ours.wire, theirs->second.wire);
    }
  }

 private:
  std::map<std::string, Row> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  static const std::vector<Set> sets = make_sets();
  static std::vector<Prepared> prepared;
  for (const Set& s : sets) prepared.push_back(prepare(s));
  for (size_t i = 0; i < sets.size(); ++i) {
    const Set& s = sets[i];
    const Prepared& p = prepared[i];
    for (const auto& [temp, table] : {std::pair{"warm", 4096u}, std::pair{"cold", 0u}}) {
      for (bool huffman : {true, false}) {
        const std::string base =
            std::string("decode/") + s.name + "/" + (huffman ? "huff" : "raw") + "/" + temp;
        const auto wire = wire_for(s, p, huffman, table);
        benchmark::RegisterBenchmark((base + "/ours").c_str(), decode_ours, std::cref(s), wire)
            ->Apply(crossmux::bench::fixed_iterations);
        benchmark::RegisterBenchmark((base + "/nghttp2").c_str(), decode_nghttp2, std::cref(s),
                                     wire)
            ->Apply(crossmux::bench::fixed_iterations);
      }
      const std::string base = std::string("encode/") + s.name + "/huff/" + temp;
      benchmark::RegisterBenchmark((base + "/ours").c_str(), encode_ours, std::cref(s),
                                   std::cref(p), true, table)
          ->Apply(crossmux::bench::fixed_iterations);
      benchmark::RegisterBenchmark((base + "/nghttp2").c_str(), encode_nghttp2, std::cref(s),
                                   std::cref(p), table)
          ->Apply(crossmux::bench::fixed_iterations);
      benchmark::RegisterBenchmark(
          (std::string("encode/") + s.name + "/raw/" + temp + "/ours_only").c_str(), encode_ours,
          std::cref(s), std::cref(p), false, table);
    }
  }
  crossmux::bench::add_build_context();
  benchmark::Initialize(&argc, argv);
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
