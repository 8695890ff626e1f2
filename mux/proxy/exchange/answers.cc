// Default answer construction.
#include "mux/proxy/exchange/answers.h"

namespace crossmux::mux::proxy {

std::string_view reason_phrase(uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

static const config::Answer* find_override(uint16_t status, const config::Answers* a) {
  if (a == nullptr) return nullptr;
  auto it = a->find(status);
  return it == a->end() ? nullptr : &it->second;
}

static DefaultAnswer base_answer(uint16_t status, std::string_view reason) {
  DefaultAnswer out;
  out.head.kind = codecs::MessageKind::Response;
  out.head.status = status;
  out.reason = reason;
  return out;
}

static void set_body(DefaultAnswer& out, std::string body, std::string_view content_type) {
  out.body = std::move(body);
  out.head.headers.add_copy("content-type", content_type);
  out.head.headers.add_view("cache-control", "no-store");
  out.head.framing = codecs::Framing::KnownLength;
  out.head.content_length = out.body.size();
}

DefaultAnswer make_answer(uint16_t status, std::string_view reason, const config::Answers* cluster,
                          const config::Answers* listener, const config::Answers* global) {
  DefaultAnswer out = base_answer(status, reason);
  const config::Answer* custom = find_override(status, cluster);
  if (!custom) custom = find_override(status, listener);
  if (!custom) custom = find_override(status, global);
  if (custom) {
    set_body(out, custom->body, custom->content_type);
  } else {
    std::string body = std::to_string(status);
    body += ' ';
    body += reason_phrase(status);
    if (!reason.empty()) {
      body += ": ";
      body += reason;
    }
    body += '\n';
    set_body(out, std::move(body), "text/plain; charset=utf-8");
  }
  // HTTP/1.1: after a 400 the end of the request is unknown, and a 408 answers a client too slow
  // to finish one (RFC 9110 §15.5.9): both close the connection.
  if (status == 408 || status == 400) out.head.keep_alive = false;
  return out;
}

DefaultAnswer make_https_redirect(std::string_view method, std::string_view host,
                                  std::string_view path) {
  const uint16_t status = (method == "GET" || method == "HEAD") ? 301 : 308;
  DefaultAnswer out = base_answer(status, "https redirect");
  std::string location = "https://";
  location += host;
  location += path.empty() ? "/" : path;
  out.head.headers.add_copy("location", location);
  set_body(out, std::to_string(status) + " " + std::string(reason_phrase(status)) + "\n",
           "text/plain; charset=utf-8");
  return out;
}

}  // namespace crossmux::mux::proxy
