// Request id, User-Agent and Referer of a request, for the access log.
#include "mux/proxy/ops/request_facts.h"

#include <sys/random.h>

#include <chrono>

namespace crossmux::mux::proxy {

bool valid_request_id(std::string_view v) {
  if (v.empty() || v.size() > kMaxRequestIdLength) return false;
  for (char c : v) {
    // Visible ASCII only: the id goes into log lines and is forwarded as a field value.
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

RequestId generate_request_id() {
  // One random prefix per thread (a worker), then a counter: unique across workers and
  // restarts, and no system call per request.
  thread_local const uint64_t prefix = [] {
    uint64_t r = 0;
    if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
      r = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
          reinterpret_cast<uintptr_t>(&r);
    }
    return r;
  }();
  thread_local uint64_t counter = 0;
  // 32 lower-case hex digits, prefix then counter (what "%016llx%016llx" printed, without
  // vfprintf's cost on every request): the prefix's 16 are written once per thread, the
  // counter's two per octet.
  static constexpr char kDigits[] = "0123456789abcdef";
  const auto hex16 = [](uint64_t v, char* out) {
    for (size_t i = 0; i < 8; ++i) {
      const auto octet = static_cast<uint8_t>(v >> (56 - 8 * i));
      out[2 * i] = kDigits[octet >> 4];
      out[2 * i + 1] = kDigits[octet & 0xf];
    }
  };
  thread_local const RequestId with_prefix = [&] {
    RequestId id{};
    hex16(prefix, id.data());
    return id;
  }();
  RequestId id = with_prefix;
  hex16(++counter, id.data() + 16);
  return id;
}

void record_request_facts(codecs::HeaderList& headers, std::string_view id_header,
                          std::string_view& request_id, std::string_view& user_agent,
                          std::string_view& referer) {
  if (const auto* ua = headers.find("user-agent")) user_agent = ua->value;
  if (const auto* ref = headers.find("referer")) referer = ref->value;
  if (id_header.empty()) {
    request_id = headers.own(view(generate_request_id()));
    return;
  }
  const auto* given = headers.find(id_header);
  // One field only: with two, the backend might pick the one the log did not.
  if (given && headers.count(id_header) == 1 && valid_request_id(given->value)) {
    request_id = given->value;
    return;
  }
  headers.remove(id_header);
  headers.add_copy(id_header, view(generate_request_id()));
  codecs::HeaderField& added = headers[headers.size() - 1];
  added.unique = true;  // HTTP/2 backends: not worth a dynamic-table entry
  request_id = added.value;
}

}  // namespace crossmux::mux::proxy
