// llhttp callbacks mapped onto IR events: heads built from copied spans, bodies passed through.
#include "codecs/reference/llhttp_adapter.h"

#include <llhttp.h>

#include <string>
#include <utility>
#include <vector>

namespace crossmux::codecs::reference {

struct LlhttpDecoder::Impl {
  llhttp_t parser{};
  llhttp_settings_t settings{};
  MessageKind kind;
  EventSink* sink = nullptr;
  // Methods of the requests still unanswered, oldest at pending_head (a deque would allocate its
  // map and a node with every decoder).
  std::vector<std::string> pending_methods;
  size_t pending_head = 0;

  std::string method, url, field, value;
  bool in_value = false;
  bool in_trailers = false;
  std::vector<std::pair<std::string, std::string>> fields;
  MessageHead head;
  HeaderList trailers;
  StreamId stream = 0;
  bool interim = false;       // last head was 1xx: the final response reuses the stream id
  bool suppress_end = false;  // tunnel head or interim: no end-of-message for llhttp's completion
  bool tunnel = false;        // response tunnel running: later bytes are data
  bool stop = false;          // request tunnel: consume nothing more
  Error error{};
  bool failed = false;

  static Impl* self(llhttp_t* p) { return static_cast<Impl*>(p->data); }

  // llhttp keeps trailing OWS in values; RFC 9110 §5.5 excludes it from the field value.
  void flush_field() {
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    if (in_value || !field.empty()) fields.emplace_back(std::move(field), std::move(value));
    field.clear();
    value.clear();
    in_value = false;
  }

  static int on_message_begin(llhttp_t* p) {
    Impl* s = self(p);
    s->method.clear();
    s->url.clear();
    s->fields.clear();
    s->in_value = s->in_trailers = false;
    s->field.clear();
    s->value.clear();
    return 0;
  }
  static int on_method(llhttp_t* p, const char* at, size_t n) {
    self(p)->method.append(at, n);
    return 0;
  }
  static int on_url(llhttp_t* p, const char* at, size_t n) {
    self(p)->url.append(at, n);
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, size_t n) {
    Impl* s = self(p);
    if (s->in_value) s->flush_field();
    s->field.append(at, n);
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, size_t n) {
    Impl* s = self(p);
    s->in_value = true;
    s->value.append(at, n);
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) { return self(p)->headers_complete(); }
  static int on_body(llhttp_t* p, const char* at, size_t n) {
    Impl* s = self(p);
    s->sink->on_data(s->stream, Bytes(reinterpret_cast<const uint8_t*>(at), n));
    return 0;
  }
  static int on_message_complete(llhttp_t* p) { return self(p)->message_complete(); }

  void fill_target() {
    std::string_view u = url;
    if (head.method == "CONNECT") {
      head.authority = head.headers.own(u);
      return;
    }
    if (u == "*" || (!u.empty() && u.front() == '/')) {
      head.path = head.headers.own(u);
      return;
    }
    size_t sep = u.find("://");
    std::string scheme(u.substr(0, sep == u.npos ? 0 : sep));
    for (char& c : scheme) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    head.scheme = head.headers.own(scheme);
    std::string_view rest = sep == u.npos ? u : u.substr(sep + 3);
    size_t at = rest.find_first_of("/?");
    head.authority = head.headers.own(rest.substr(0, at));
    std::string path = "/";
    if (at != rest.npos)
      path = rest[at] == '?' ? path + std::string(rest.substr(at)) : std::string(rest.substr(at));
    head.path = head.headers.own(path);
  }

  void fill_framing(bool has_upgrade_tunnel) {
    uint16_t flags = parser.flags;
    uint16_t status = parser.status_code;
    bool response = kind == MessageKind::Response;
    if (has_upgrade_tunnel) {
      head.framing = Framing::Tunnel;
    } else if (response &&
               (status < 200 || status == 204 || status == 304 || (flags & F_SKIPBODY))) {
      head.framing = Framing::None;
    } else if (flags & F_CHUNKED) {
      head.framing = Framing::Streaming;
    } else if (flags & F_CONTENT_LENGTH) {
      head.framing = Framing::KnownLength;
      head.content_length = parser.content_length;
    } else if (response) {
      head.framing = Framing::CloseDelimited;
    }
  }

  int headers_complete() {
    flush_field();
    in_trailers = true;
    head.clear();
    head.kind = kind;
    head.version = parser.http_minor == 1 ? Version::Http11 : Version::Http10;
    for (auto& [n, v] : fields) head.headers.add_copy(n, v);
    fields.clear();
    const HeaderField* host = head.headers.find("host");
    bool expect = false;
    for (const auto& f : head.headers) {
      if (iequals(f.name, "expect") && iequals(f.value, "100-continue")) expect = true;
    }
    int ret = 0;
    bool skip_body = false, tunnel_head = false;
    if (kind == MessageKind::Request) {
      head.method = head.headers.own(method);
      fill_target();
      if (host != nullptr) {
        if (head.authority.empty()) {
          head.authority = host->value;
        } else if (!iequals(head.authority, host->value)) {
          head.violations |= kViolationHostAuthorityMismatch;
        }
      }
      head.expect_continue = expect && head.version == Version::Http11;
      bool has_body = (parser.flags & F_CHUNKED) || parser.content_length > 0;
      tunnel_head = parser.upgrade && (parser.method == HTTP_CONNECT || !has_body);
    } else {
      head.status = parser.status_code;
      const bool any = pending_head < pending_methods.size();
      std::string req = any ? pending_methods[pending_head] : std::string();
      bool final_status = head.status >= 200 || head.status == 101;
      if (final_status && any && ++pending_head == pending_methods.size()) {
        pending_methods.clear();
        pending_head = 0;
      }
      // llhttp reads a Content-Length body after 304 (and 204); RFC 9112 §6.3 rule 1 says there is
      // none, so the adapter tells llhttp so through the same hook it uses for HEAD.
      if (req == "HEAD" || head.status == 204 || head.status == 304) skip_body = true;
      if (req == "CONNECT" && head.status >= 200 && head.status < 300) {
        tunnel_head = true;
        ret = 2;
      } else if (parser.upgrade && head.status == 101) {
        tunnel_head = true;
      }
      if (skip_body && !tunnel_head) {
        parser.flags |= F_SKIPBODY;
        ret = 1;
      }
    }
    fill_framing(tunnel_head);
    head.keep_alive = llhttp_should_keep_alive(&parser) != 0;
    if (head.framing == Framing::CloseDelimited) head.keep_alive = false;
    if (!interim) ++stream;
    interim = kind == MessageKind::Response && head.status < 200 && head.status != 101;
    suppress_end = interim || tunnel_head;
    tunnel = kind == MessageKind::Response && tunnel_head;
    sink->on_head(stream, head);
    return ret;
  }

  int message_complete() {
    flush_field();
    if (in_trailers && !fields.empty()) {
      trailers.clear();
      for (auto& [n, v] : fields) trailers.add_copy(n, v);
      sink->on_trailers(stream, trailers);
    }
    fields.clear();
    if (!suppress_end) sink->on_end_of_message(stream);
    return 0;
  }
};

LlhttpDecoder::LlhttpDecoder(MessageKind kind) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.kind = kind;
  llhttp_settings_init(&s.settings);
  s.settings.on_message_begin = &Impl::on_message_begin;
  s.settings.on_method = &Impl::on_method;
  s.settings.on_url = &Impl::on_url;
  s.settings.on_header_field = &Impl::on_header_field;
  s.settings.on_header_value = &Impl::on_header_value;
  s.settings.on_headers_complete = &Impl::on_headers_complete;
  s.settings.on_body = &Impl::on_body;
  s.settings.on_message_complete = &Impl::on_message_complete;
  llhttp_init(&s.parser, kind == MessageKind::Request ? HTTP_REQUEST : HTTP_RESPONSE, &s.settings);
  s.parser.data = &s;
  llhttp_set_lenient_headers(&s.parser, 0);
  llhttp_set_lenient_chunked_length(&s.parser, 0);
  llhttp_set_lenient_keep_alive(&s.parser, 0);
  llhttp_set_lenient_transfer_encoding(&s.parser, 0);
}

LlhttpDecoder::~LlhttpDecoder() = default;

void LlhttpDecoder::expect_response(std::string_view method) {
  impl_->pending_methods.emplace_back(method);
}

Result<size_t> LlhttpDecoder::feed(Bytes input, EventSink& sink) {
  Impl& s = *impl_;
  s.sink = &sink;
  if (s.failed) return unexpected(s.error);
  if (s.stop) return size_t{0};
  if (s.tunnel) {
    if (!input.empty()) sink.on_data(s.stream, input);
    return input.size();
  }
  const char* data = reinterpret_cast<const char*>(input.data());
  llhttp_errno_t err = llhttp_execute(&s.parser, data, input.size());
  // A request with Upgrade and content: llhttp pauses after its body, leaving the switch to the
  // application. The switch could only follow the 101, which a server that ignores the Upgrade
  // (RFC 9110 §7.8 lets it; our decoder does when there is content) never sends: what follows is
  // the next request, so parsing goes on. (A tunnel head, CONNECT or a bodiless Upgrade, keeps
  // suppress_end set and stops below.)
  while (err == HPE_PAUSED_UPGRADE && s.kind == MessageKind::Request && !s.suppress_end) {
    const char* at = llhttp_get_error_pos(&s.parser);
    llhttp_resume_after_upgrade(&s.parser);
    err = llhttp_execute(&s.parser, at, input.size() - static_cast<size_t>(at - data));
  }
  if (err == HPE_OK) return input.size();
  if (err == HPE_PAUSED_UPGRADE) {
    size_t used = static_cast<size_t>(llhttp_get_error_pos(&s.parser) - data);
    if (s.kind == MessageKind::Request) {
      s.stop = true;
      return used;
    }
    s.tunnel = true;
    if (used < input.size()) sink.on_data(s.stream, input.subspan(used));
    return input.size();
  }
  if (err == HPE_CLOSED_CONNECTION) {
    s.stop = true;
    return static_cast<size_t>(llhttp_get_error_pos(&s.parser) - data);
  }
  uint32_t status = s.kind == MessageKind::Request ? 400 : 502;
  Side side = s.kind == MessageKind::Request ? Side::Client : Side::Backend;
  s.error = Error::http(status, llhttp_errno_name(err), side);
  s.failed = true;
  sink.on_connection_error(s.error);
  return unexpected(s.error);
}

Status LlhttpDecoder::finish(EventSink& sink) {
  Impl& s = *impl_;
  s.sink = &sink;
  if (s.failed) return unexpected(s.error);
  if (s.tunnel) {
    s.tunnel = false;
    s.stop = true;
    sink.on_end_of_message(s.stream);
    return ok();
  }
  if (s.stop) return ok();
  llhttp_errno_t err = llhttp_finish(&s.parser);
  if (err == HPE_OK) return ok();
  uint32_t status = s.kind == MessageKind::Request ? 400 : 502;
  s.error = Error::http(status, llhttp_errno_name(err),
                        s.kind == MessageKind::Request ? Side::Client : Side::Backend);
  s.failed = true;
  sink.on_connection_error(s.error);
  return unexpected(s.error);
}

}  // namespace crossmux::codecs::reference
