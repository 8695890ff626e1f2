// Loading seeds: built-ins, case files, generator inputs and raw captures.
#include "fuzz/net/seeds.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "codecs/hpack/encoder.h"
#include "fuzz/common/fuzz_input.h"

namespace crossmux::fuzz::net {

namespace fs = std::filesystem;
namespace h2 = codecs::h2;

namespace {

std::string h2_request(codecs::hpack::Encoder& enc, uint32_t id, std::string_view method,
                       std::string_view authority, bool end_stream) {
  std::vector<codecs::hpack::Field> fields = {
      {":method", method}, {":scheme", "http"}, {":authority", authority}, {":path", "/"}};
  if (method == "POST") fields.push_back({"content-length", "5"});
  codecs::ByteBuffer block, out;
  enc.encode(fields, block);
  h2::HeadersFrame h;
  h.block = block.bytes();
  h.end_stream = end_stream;
  h.end_headers = true;
  h2::write_headers(out, id, h);
  return std::string(out.view());
}

std::string h2_frame_data(uint32_t id, std::string_view body, bool end) {
  codecs::ByteBuffer b;
  h2::write_data(b, id, codecs::as_bytes(body), end);
  return std::string(b.view());
}

CorpusEntry entry(Proto p, std::vector<std::string> units, std::string origin) {
  CorpusEntry e;
  e.c.proto = p;
  e.c.units = std::move(units);
  e.origin = std::move(origin);
  return e;
}

// The request inside a libFuzzer input: from the first method token at a line start.
std::string cut_request(const std::string& raw) {
  static constexpr std::array<std::string_view, 8> kMethods = {
      "GET ", "POST ", "HEAD ", "PUT ", "OPTIONS ", "DELETE ", "CONNECT ", "PATCH "};
  size_t best = std::string::npos;
  for (auto m : kMethods) {
    for (size_t at = raw.find(m); at != std::string::npos; at = raw.find(m, at + 1)) {
      if (at == 0 || raw[at - 1] == '\n') {
        best = std::min(best, at);
        break;
      }
    }
  }
  return best == std::string::npos ? std::string() : raw.substr(best);
}

bool load_one(Proto proto, const fs::path& file, const Mutator& builder, CorpusEntry& out) {
  std::ifstream f(file, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string raw = ss.str();
  if (raw.empty() || raw.size() > (1 << 20)) return false;
  out = CorpusEntry{};
  out.origin = "seed:" + file.filename().string();
  if (raw.starts_with("#") || raw.starts_with("proto: ")) {
    std::string error;
    return from_file(raw, out.c, error) && out.c.proto == proto;
  }
  out.c.proto = proto;
  if (proto == Proto::H2) {
    if (raw.starts_with(kH2ClientPreface)) {
      out.c.units = split_units(proto, raw);
    } else {
      out.gen = raw;
      out.c = builder.build(raw);
    }
    return out.c.units.size() > 1;
  }
  // libFuzzer inputs of h1_request / h1_response (fuzz/h1_decode_fuzzer.cc) carry a header of
  // methods, a flag and read boundaries before the payload; other corpora start with bytes of
  // their own. The request is cut out at its method.
  FuzzInput in(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
  const size_t n_methods = in.range(0, 4);
  for (size_t i = 0; i < n_methods; ++i) (void)in.u8();
  (void)in.boolean();
  (void)in.bytes(in.range(0, 16));
  auto payload = in.rest();
  std::string request = cut_request(std::string(payload.begin(), payload.end()));
  if (request.empty()) request = cut_request(raw);
  out.c.units = split_units(proto, request);
  return !out.c.units.empty();
}

}  // namespace

std::vector<CorpusEntry> builtin_seeds(Proto proto, const std::string& authority) {
  std::vector<CorpusEntry> out;
  if (proto == Proto::H2) {
    codecs::ByteBuffer settings;
    h2::write_settings(settings, nullptr, 0);
    const std::string pre(kH2ClientPreface), set(settings.view());
    codecs::hpack::Encoder e1, e2, e3;
    out.push_back(
        entry(proto, {pre, set, h2_request(e1, 1, "GET", authority, true)}, "builtin:get"));
    out.push_back(entry(
        proto,
        {pre, set, h2_request(e2, 1, "POST", authority, false), h2_frame_data(1, "hello", true)},
        "builtin:post"));
    codecs::ByteBuffer trailers;
    std::vector<codecs::hpack::Field> t = {{"x-checksum", "1"}};
    codecs::ByteBuffer block;
    e3.encode(t, block);
    h2::HeadersFrame h;
    h.block = block.bytes();
    h.end_stream = true;
    h.end_headers = true;
    std::string first = h2_request(e3, 1, "GET", authority, false);
    h2::write_headers(trailers, 1, h);
    out.push_back(entry(
        proto, {pre, set, first, h2_frame_data(1, "abc", false), std::string(trailers.view())},
        "builtin:trailers"));
    return out;
  }
  const std::string host = "Host: " + authority + "\r\n";
  out.push_back(
      entry(proto, split_units(proto, "GET / HTTP/1.1\r\n" + host + "\r\n"), "builtin:get"));
  out.push_back(entry(
      proto, split_units(proto, "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello"),
      "builtin:post"));
  out.push_back(entry(proto,
                      split_units(proto, "POST / HTTP/1.1\r\n" + host +
                                             "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0"
                                             "\r\n\r\n"),
                      "builtin:chunked"));
  out.push_back(entry(
      proto,
      split_units(proto, "GET / HTTP/1.1\r\n" + host + "\r\nGET / HTTP/1.1\r\n" + host + "\r\n"),
      "builtin:pipeline"));
  return out;
}

std::vector<CorpusEntry> load_seeds(Proto proto, const std::vector<std::string>& dirs,
                                    const Mutator& builder, size_t max_files,
                                    std::vector<std::string>& notes) {
  std::vector<CorpusEntry> out;
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    if (fs::is_regular_file(dir, ec)) {
      files.emplace_back(dir);
    } else {
      for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
           it.increment(ec)) {
        if (it->is_regular_file()) files.push_back(it->path());
      }
    }
    if (ec && files.empty()) {
      notes.push_back(dir + ": " + ec.message());
      continue;
    }
    std::sort(files.begin(), files.end());
    const size_t step = std::max<size_t>(1, files.size() / std::max<size_t>(1, max_files));
    size_t loaded = 0;
    for (size_t i = 0; i < files.size() && loaded < max_files; i += step) {
      CorpusEntry e;
      if (load_one(proto, files[i], builder, e)) {
        out.push_back(std::move(e));
        ++loaded;
      }
    }
    notes.push_back(dir + ": " + std::to_string(loaded) + " seeds from " +
                    std::to_string(files.size()) + " files");
  }
  return out;
}

}  // namespace crossmux::fuzz::net
