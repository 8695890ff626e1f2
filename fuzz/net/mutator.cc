// Generation and mutation of fuzz cases (see mutator.h); the frame- and line-level operators.
#include "fuzz/net/mutator.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "codecs/base/byte_buffer.h"
#include "codecs/h2/frame.h"
#include "conformance/h2/probe.h"
#include "fuzz/common/fuzz_input.h"
#include "fuzz/common/h2_wire.h"
#include "fuzz/net/h1_grammar.h"

namespace crossmux::fuzz::net {

namespace h2 = codecs::h2;

std::string Rng::bytes(size_t n) {
  std::string out(n, '\0');
  for (auto& ch : out) ch = static_cast<char>(next() >> 56);
  return out;
}

namespace {

bool as_frame(const std::string& u, h2::FrameHeader& h) {
  if (u.size() < h2::kFrameHeaderSize || u == kH2ClientPreface) return false;
  h = h2::parse_frame_header(reinterpret_cast<const uint8_t*>(u.data()));
  return h.length + h2::kFrameHeaderSize == u.size();
}

// Rewrites the 24-bit length to the payload actually present.
void fix_length(std::string& u) {
  codecs::store_u24be(reinterpret_cast<uint8_t*>(u.data()),
                      static_cast<uint32_t>(u.size() - h2::kFrameHeaderSize));
}

std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  std::string f(h2::kFrameHeaderSize, '\0');
  h2::FrameHeader h{static_cast<uint32_t>(payload.size()), type, flags, stream};
  h2::write_frame_header(reinterpret_cast<uint8_t*>(f.data()), h);
  f += payload;
  return f;
}

std::string u32(uint32_t v) {
  std::string s(4, '\0');
  codecs::store_u32be(reinterpret_cast<uint8_t*>(s.data()), v);
  return s;
}

// Stream ids the case opens with HEADERS.
std::vector<uint32_t> opened(const NetCase& c) {
  std::vector<uint32_t> ids;
  for (const auto& u : c.units) {
    h2::FrameHeader h;
    if (as_frame(u, h) && h.type == static_cast<uint8_t>(h2::FrameType::Headers)) {
      ids.push_back(h.stream_id);
    }
  }
  return ids;
}

constexpr std::array<uint32_t, 10> kInterestingU32 = {
    0, 1, 2, 16383, 16384, 65535, 65536, (1u << 24) - 1, 0x7fffffff, 0xffffffff};

// A self-contained header block (literals without indexing, RFC 7541 §6.2.2): no dynamic-table
// state, so it can land anywhere in a case. Mostly a valid request with one twist.
std::string fresh_block(Rng& rng, std::string_view authority) {
  using conformance::h2::hpack_literal;
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kTwists = {{
      {"content-length", "0"},
      {"content-length", "10"},
      {"content-length", "abc"},
      {"te", "trailers"},
      {"te", "gzip"},
      {"connection", "close"},
      {"upgrade", "h2c"},
      {"transfer-encoding", "chunked"},
      {"X-Upper", "a"},
      {"x-a", " lead"},
      {"x-a", "a\r\nb"},
      {"cookie", "a=b"},
      {"host", "other.example"},
      {":protocol", "websocket"},
      {":status", "200"},
      {"", "empty-name"},
      {"x-a", std::string_view("\0", 1)},
      {":path", "/again"},
      {"keep-alive", "1"},
      {"x-b", "v"},
  }};
  static constexpr std::array<std::string_view, 6> kMethods = {"GET",     "POST", "HEAD",
                                                               "CONNECT", "PUT",  "OPTIONS"};
  static constexpr std::array<std::string_view, 6> kPaths = {"/",       "*",    "",
                                                             "noslash", "/a#f", "/x?y"};
  std::vector<std::pair<std::string, std::string>> f = {
      {":method", std::string(rng.chance(70) ? "GET" : kMethods[rng.below(kMethods.size())])},
      {":scheme", rng.chance(90) ? "http" : "https"},
      {":authority", std::string(authority)},
      {":path", std::string(rng.chance(70) ? "/" : kPaths[rng.below(kPaths.size())])}};
  const size_t twists = rng.below(3);
  for (size_t i = 0; i < twists; ++i) {
    auto [n, v] = kTwists[rng.below(kTwists.size())];
    f.emplace_back(n, v);
  }
  if (rng.chance(10)) f.erase(f.begin() + static_cast<long>(rng.below(f.size())));
  if (rng.chance(10)) std::swap(f[rng.below(f.size())], f[rng.below(f.size())]);
  if (rng.chance(5)) f.emplace_back("x-big", std::string(8000, 'a'));
  std::string block;
  for (const auto& [n, v] : f) block += hpack_literal(n, v, 0x00, rng.chance(50));
  return block;
}

}  // namespace

Mutator::Mutator(Proto proto, uint64_t seed, std::string authority)
    : proto_(proto), rng_(seed), authority_(std::move(authority)) {}

NetCase Mutator::build(const std::string& gen) const {
  FuzzInput in(reinterpret_cast<const uint8_t*>(gen.data()), gen.size());
  NetCase c;
  c.proto = proto_;
  if (proto_ == Proto::H2) {
    codecs::ByteBuffer wire;
    build_client_wire(in, wire);
    c.units = split_units(proto_, wire.view());
  } else {
    std::string wire;
    build_h1_wire(in, authority_, wire);
    c.units = split_units(proto_, wire);
  }
  return c;
}

CorpusEntry Mutator::generate() {
  CorpusEntry e;
  e.gen = rng_.bytes(16 + rng_.below(240));
  e.c = build(e.gen);
  e.origin = "generated";
  return e;
}

CorpusEntry Mutator::mutate(const CorpusEntry& base, const std::vector<CorpusEntry>& corpus) {
  CorpusEntry out;
  out.origin = "mutant";
  if (!base.gen.empty() && rng_.chance(50)) {
    out.gen = base.gen;
    const size_t n = 1 + rng_.below(4);
    for (size_t i = 0; i < n; ++i) mutate_gen(out.gen);
    if (rng_.chance(10) && !corpus.empty()) {  // crossover: our head, another's tail
      const auto& other = corpus[rng_.below(corpus.size())].gen;
      if (!other.empty()) {
        out.gen.resize(rng_.below(out.gen.size() + 1));
        out.gen += other.substr(rng_.below(other.size()));
      }
    }
    out.c = build(out.gen);
    if (!rng_.chance(30)) return out;
    out.gen.clear();  // the units diverge from what the generator input builds
  } else {
    out.c = base.c;
  }
  mutate_units(out.c, corpus);
  return out;
}

void Mutator::mutate_gen(std::string& gen) {
  if (gen.empty()) gen = rng_.bytes(8);
  const size_t at = rng_.below(gen.size());
  switch (rng_.below(7)) {
    case 0:
      gen[at] = static_cast<char>(gen[at] ^ (1 << rng_.below(8)));
      break;
    case 1:
      gen[at] = static_cast<char>(rng_.next());
      break;
    case 2:
      gen.insert(at, rng_.bytes(1 + rng_.below(8)));
      break;
    case 3:
      if (gen.size() > 1) gen.erase(at, 1 + rng_.below(std::min<size_t>(8, gen.size() - at)));
      break;
    case 4: {
      const size_t n = 1 + rng_.below(std::min<size_t>(16, gen.size() - at));
      gen.insert(rng_.below(gen.size()), gen.substr(at, n));
      break;
    }
    case 5: {
      static constexpr std::array<char, 6> kBytes = {'\x00', '\x01', '\x7f',
                                                     '\x80', '\xfe', '\xff'};
      gen[at] = kBytes[rng_.below(kBytes.size())];
      break;
    }
    default:
      gen += rng_.bytes(1 + rng_.below(32));  // the generator goes on: more frames
  }
}

void Mutator::mutate_units(NetCase& c, const std::vector<CorpusEntry>& corpus) {
  const size_t n = 1 + rng_.below(4);
  for (size_t i = 0; i < n; ++i) {
    if (rng_.chance(10) && !corpus.empty()) {
      // Splice: a run of another case's units (never its preface).
      const auto& other = corpus[rng_.below(corpus.size())].c.units;
      if (other.size() > 1 && c.proto == proto_) {
        const size_t from = 1 + rng_.below(other.size() - 1);
        const size_t len = 1 + rng_.below(std::min<size_t>(5, other.size() - from));
        const size_t at = c.units.empty() ? 0 : 1 + rng_.below(c.units.size());
        c.units.insert(c.units.begin() + static_cast<long>(std::min(at, c.units.size())),
                       other.begin() + static_cast<long>(from),
                       other.begin() + static_cast<long>(from + len));
      }
      continue;
    }
    if (proto_ == Proto::H2) {
      h2_unit_op(c);
    } else {
      h1_unit_op(c);
    }
  }
  // A case never grows without bound: mutants of mutants would.
  if (c.units.size() > 256) c.units.resize(256);
}

std::string Mutator::h2_new_frame(const NetCase& c) {
  auto ids = opened(c);
  const uint32_t last = ids.empty() ? 1 : *std::max_element(ids.begin(), ids.end());
  const uint32_t some = ids.empty() ? 1 : ids[rng_.below(ids.size())];
  auto any_u32 = [&] {
    return rng_.chance(70) ? kInterestingU32[rng_.below(kInterestingU32.size())]
                           : static_cast<uint32_t>(rng_.next());
  };
  switch (rng_.below(13)) {
    case 0:
      return frame(0x3, 0, some, u32(rng_.chance(80) ? rng_.below(14) : any_u32()));
    case 1:
      return frame(0x8, 0, rng_.chance(40) ? 0 : some, u32(any_u32() & 0x7fffffff));
    case 2:
      return frame(0x6, rng_.chance(20) ? 1 : 0, 0, rng_.bytes(8));
    case 3: {
      std::string p;
      const size_t n = 1 + rng_.below(3);
      for (size_t i = 0; i < n; ++i) {
        const uint16_t id =
            static_cast<uint16_t>(rng_.chance(90) ? 1 + rng_.below(9) : rng_.next());
        p += static_cast<char>(id >> 8);
        p += static_cast<char>(id);
        p += u32(any_u32());
      }
      return frame(0x4, 0, 0, p);
    }
    case 4:
      return frame(0x4, 1, 0, "");
    case 5: {  // PRIORITY, sometimes on itself (RFC 9113 §5.3.1)
      const uint32_t s = rng_.chance(50) ? some : last + 2;
      return frame(0x2, 0, s, u32(rng_.chance(30) ? s : some) + std::string(1, '\x0f'));
    }
    case 6:
      return frame(0x7, 0, 0, u32(last) + u32(rng_.below(14)));
    case 7:
      return frame(0x0, rng_.chance(50) ? 1 : 0, some, rng_.bytes(rng_.below(64)));
    case 8:
      return frame(0x9, rng_.chance(50) ? 4 : 0, some, "");
    case 9: {  // a new request with a self-contained block
      const uint32_t id = rng_.chance(85) ? last + 2 : some;
      return frame(0x1, static_cast<uint8_t>(0x4 | (rng_.chance(70) ? 1 : 0)), id,
                   fresh_block(rng_, authority_));
    }
    case 10:
      return frame(0x10, 0, 0, u32(some) + "u=1, i");
    case 11:
      return frame(static_cast<uint8_t>(0x20 + rng_.below(0xd0)), static_cast<uint8_t>(rng_.next()),
                   rng_.below(8), rng_.bytes(rng_.below(16)));
    default: {
      std::string raw = rng_.bytes(40);
      FuzzInput in(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
      codecs::ByteBuffer b;
      PeerWriter::raw_frame(in, b);
      return std::string(b.view());
    }
  }
}

void Mutator::h2_unit_op(NetCase& c) {
  auto& u = c.units;
  // Positions after the preface: frames move, the preface (nearly) never does.
  const size_t first = !u.empty() && u[0] == kH2ClientPreface ? 1 : 0;
  auto pick = [&]() -> size_t {
    return u.size() > first ? first + rng_.below(u.size() - first) : 0;
  };
  auto insert_at = [&](std::string v) {
    const size_t at = first + rng_.below(u.size() - first + 1);
    u.insert(u.begin() + static_cast<long>(at), std::move(v));
  };
  if (u.size() <= first) return insert_at(h2_new_frame(c));
  const size_t i = pick();
  h2::FrameHeader h;
  const bool is_frame = as_frame(u[i], h);
  switch (rng_.below(14)) {
    case 0:
      if (rng_.chance(2) && first == 1) {
        u.erase(u.begin());
      } else {
        u.erase(u.begin() + static_cast<long>(i));
      }
      return;
    case 1:
      return insert_at(u[i]);
    case 2:
      return std::swap(u[i], u[pick()]);
    case 3:
      if (is_frame) u[i][4] = static_cast<char>(u[i][4] ^ (1 << rng_.below(8)));
      return;
    case 4:
      if (is_frame) {
        auto ids = opened(c);
        const std::array<uint32_t, 6> kIds = {0, 1, 2, 3, 0x7fffffff, h.stream_id + 2};
        uint32_t id = rng_.chance(40) && !ids.empty() ? ids[rng_.below(ids.size())]
                                                      : kIds[rng_.below(kIds.size())];
        codecs::store_u32be(reinterpret_cast<uint8_t*>(u[i].data() + 5), id & 0x7fffffff);
      }
      return;
    case 5:
      if (is_frame) u[i][3] = static_cast<char>(rng_.chance(80) ? rng_.below(0x11) : rng_.next());
      return;
    case 6:
      if (is_frame && u[i].size() > h2::kFrameHeaderSize) {
        const size_t at = h2::kFrameHeaderSize + rng_.below(u[i].size() - h2::kFrameHeaderSize);
        switch (rng_.below(3)) {
          case 0:
            u[i][at] = static_cast<char>(u[i][at] ^ (1 << rng_.below(8)));
            break;
          case 1:
            u[i].insert(at, rng_.bytes(1 + rng_.below(4)));
            break;
          default:
            u[i].erase(at, 1);
        }
        fix_length(u[i]);
      }
      return;
    case 7:
      if (is_frame) {
        if (rng_.chance(50) && u[i].size() > h2::kFrameHeaderSize) {
          u[i].resize(h2::kFrameHeaderSize + rng_.below(u[i].size() - h2::kFrameHeaderSize));
        } else {
          u[i] += rng_.bytes(1 + rng_.below(32));
        }
        fix_length(u[i]);
      }
      return;
    case 8:
      return insert_at(h2_new_frame(c));
    case 9:
      return insert_at("");
    case 10:  // split a HEADERS block: HEADERS + CONTINUATION(s) (RFC 9113 §6.10)
      if (is_frame && h.type == 0x1 && (h.flags & 0x4) && (h.flags & 0x28) == 0 && h.length > 1) {
        std::string block = u[i].substr(h2::kFrameHeaderSize);
        const size_t cut = 1 + rng_.below(block.size() - 1);
        u[i] = frame(0x1, static_cast<uint8_t>(h.flags & ~0x4), h.stream_id, block.substr(0, cut));
        std::string rest = block.substr(cut);
        size_t at = i + 1;
        while (!rest.empty()) {
          const size_t n = 1 + rng_.below(rest.size());
          const bool end = n == rest.size();
          u.insert(u.begin() + static_cast<long>(at++),
                   frame(0x9, end ? 0x4 : 0, h.stream_id, rest.substr(0, n)));
          rest.erase(0, n);
        }
      }
      return;
    case 11:  // padding on DATA or HEADERS, sometimes longer than the frame allows
      if (is_frame && (h.type == 0x0 || h.type == 0x1) && !(h.flags & 0x8)) {
        const uint8_t pad = static_cast<uint8_t>(rng_.below(20));
        std::string payload = u[i].substr(h2::kFrameHeaderSize);
        std::string padded(1, static_cast<char>(rng_.chance(90) ? pad : 255));
        padded += payload + std::string(pad, '\0');
        u[i] = frame(h.type, static_cast<uint8_t>(h.flags | 0x8), h.stream_id, padded);
      }
      return;
    case 12:  // a length field that lies: the rest of the connection misframes
      if (is_frame && rng_.chance(30)) {
        codecs::store_u24be(reinterpret_cast<uint8_t*>(u[i].data()),
                            h.length + static_cast<uint32_t>(rng_.below(9)) - 4);
      }
      return;
    default: {  // the same frame many times: floods, flow-control and reset games
      const size_t n = 5 + rng_.below(60);
      std::vector<std::string> copies(n, u[i]);
      u.insert(u.begin() + static_cast<long>(i), copies.begin(), copies.end());
      return;
    }
  }
}

void Mutator::h1_unit_op(NetCase& c) {
  auto& u = c.units;
  if (u.empty()) {
    u.push_back("GET / HTTP/1.1\r\n");
    return;
  }
  const size_t i = rng_.below(u.size());
  std::string& line = u[i];
  auto insert_line = [&](std::string v) {
    u.insert(u.begin() + static_cast<long>(rng_.below(u.size() + 1)), std::move(v));
  };
  switch (rng_.below(14)) {
    case 0:
      if (u.size() > 1) u.erase(u.begin() + static_cast<long>(i));
      return;
    case 1:
      return insert_line(line);
    case 2:
      return std::swap(line, u[rng_.below(u.size())]);
    case 3: {  // the line terminator: CRLF, bare LF, bare CR, CR CR LF, none
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      static constexpr std::array<std::string_view, 5> kEnds = {"\r\n", "\n", "\r", "\r\r\n", ""};
      line += kEnds[rng_.below(kEnds.size())];
      return;
    }
    case 4: {
      const auto& t = h1_tokens();
      line.insert(rng_.below(line.size() + 1), t[rng_.below(t.size())]);
      return;
    }
    case 5:
      if (!line.empty()) line[rng_.below(line.size())] = static_cast<char>(rng_.next());
      return;
    case 6:
      if (line.size() > 1) {
        const size_t at = rng_.below(line.size());
        line.erase(at, 1 + rng_.below(std::min<size_t>(8, line.size() - at)));
      }
      return;
    case 7:
      for (char& ch : line) {
        if (ch == ':') break;
        if (rng_.chance(30))
          ch = static_cast<char>(std::isupper(static_cast<unsigned char>(ch)) ? std::tolower(ch)
                                                                              : std::toupper(ch));
      }
      return;
    case 8: {  // whitespace where RFC 9112 allows none: before the colon, line start (obs-fold)
      size_t colon = line.find(':');
      if (colon != std::string::npos && rng_.chance(50)) {
        line.insert(colon, rng_.chance(50) ? " " : "\t");
      } else {
        line.insert(0, rng_.chance(50) ? " " : "\t");
      }
      return;
    }
    case 9: {  // a number: 0, off by one, huge, negative, hex
      size_t d = line.find_first_of("0123456789");
      if (d == std::string::npos) return;
      size_t e = line.find_first_not_of("0123456789abcdefABCDEF", d);
      if (e == std::string::npos) e = line.size();
      static constexpr std::array<std::string_view, 8> kNums = {
          "0", "1", "6", "4", "99999999999999999999", "-1", "0x5", "00000005"};
      line.replace(d, e - d, kNums[rng_.below(kNums.size())]);
      return;
    }
    case 10: {
      static constexpr std::array<std::string_view, 8> kLines = {
          "Content-Length: 5\r\n",    "Transfer-Encoding: chunked\r\n",
          "Connection: close\r\n",    "Host: other.example\r\n",
          "Expect: 100-continue\r\n", " folded\r\n",
          "Upgrade: h2c\r\n",         "X-A: \r\n"};
      return insert_line(std::string(kLines[rng_.below(kLines.size())]));
    }
    case 11:
      return insert_line("");
    case 12:  // a write boundary inside a line
      if (line.size() > 1) {
        const size_t cut = 1 + rng_.below(line.size() - 1);
        std::string tail = line.substr(cut);
        line.resize(cut);
        u.insert(u.begin() + static_cast<long>(i) + 1, {"", tail});
      }
      return;
    default: {  // pipeline the whole stream again
      std::vector<std::string> copy = u;
      u.insert(u.end(), copy.begin(), copy.end());
      return;
    }
  }
}

}  // namespace crossmux::fuzz::net
