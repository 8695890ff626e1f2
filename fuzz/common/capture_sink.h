// CaptureSink: an EventSink that copies out what a reference decoder delivered per stream (head,
// fields, body, trailers, end, reset), for the translation oracles.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codecs/message/events.h"

namespace crossmux::fuzz {

using FieldCopies = std::vector<std::pair<std::string, std::string>>;

struct CapturedMessage {
  size_t heads = 0;
  std::string method, scheme, authority, path;
  FieldCopies fields, trailers;
  std::string body;
  bool ended = false;
  bool reset = false;
};

class CaptureSink : public codecs::EventSink {
 public:
  void on_head(codecs::StreamId s, codecs::MessageHead& h) override {
    CapturedMessage& m = streams[s];
    ++m.heads;
    m.method = h.method;
    m.scheme = h.scheme;
    m.authority = h.authority;
    m.path = h.path;
    m.fields = copy(h.headers);
  }
  void on_data(codecs::StreamId s, codecs::Bytes d) override {
    streams[s].body += codecs::as_chars(d);
  }
  void on_trailers(codecs::StreamId s, codecs::HeaderList& t) override {
    streams[s].trailers = copy(t);
  }
  void on_end_of_message(codecs::StreamId s) override { streams[s].ended = true; }
  void on_reset(codecs::StreamId s, uint32_t) override { streams[s].reset = true; }
  void on_goaway(codecs::StreamId, uint32_t, std::string_view) override {}
  void on_connection_error(const codecs::Error&) override { failed = true; }

  static FieldCopies copy(const codecs::HeaderList& l) {
    FieldCopies out;
    for (const auto& f : l) out.emplace_back(std::string(f.name), std::string(f.value));
    return out;
  }

  std::map<codecs::StreamId, CapturedMessage> streams;
  bool failed = false;
};

// RFC 9110 §5.5 / RFC 9113 §8.2.1 "safe bytes": no CR, LF or NUL anywhere in an emitted field.
inline bool unsafe(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

// RFC 9113 §8.2.3: cookie crumbs joined with "; " at the first crumb's position.
inline FieldCopies join_cookies(const FieldCopies& in) {
  FieldCopies out;
  size_t first = SIZE_MAX;
  for (const auto& f : in) {
    if (lower(f.first) != "cookie") {
      out.push_back(f);
    } else if (first == SIZE_MAX) {
      first = out.size();
      out.push_back(f);
    } else if (!f.second.empty()) {  // an empty crumb adds nothing (translate.cc)
      if (!out[first].second.empty()) out[first].second += "; ";
      out[first].second += f.second;
    }
  }
  return out;
}

}  // namespace crossmux::fuzz
