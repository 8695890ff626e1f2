// nghttp2 callbacks -> IR events, and IR heads -> nghttp2 submissions.
#include "codecs/reference/nghttp2_adapter.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace crossmux::codecs::reference {

namespace {

constexpr char kErrNghttp2Rejected[] = "nghttp2 rejected the input";

// Body source for submissions: a string consumed by the data provider.
struct PendingBody {
  std::string bytes;
  size_t offset = 0;
};

ssize_t read_body(nghttp2_session*, int32_t, uint8_t* buf, size_t length, uint32_t* flags,
                  nghttp2_data_source* source, void*) {
  auto* body = static_cast<PendingBody*>(source->ptr);
  size_t n = std::min(length, body->bytes.size() - body->offset);
  std::memcpy(buf, body->bytes.data() + body->offset, n);
  body->offset += n;
  if (body->offset == body->bytes.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

nghttp2_nv make_nv(std::string_view n, std::string_view v) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                    NGHTTP2_NV_FLAG_NONE};
}

}  // namespace

struct Nghttp2Session::Impl {
  Role role;
  EventSink& sink;
  nghttp2_session* session = nullptr;
  // Per stream: the head being assembled and whether the first head was delivered.
  struct StreamState {
    MessageHead head;
    HeaderList trailers;
    bool head_done = false;
    bool in_trailers = false;
  };
  std::map<int32_t, StreamState> streams;
  std::map<int32_t, std::unique_ptr<PendingBody>> bodies;
  uint32_t sent_goaway_code = 0;
  bool sent_goaway = false;

  Impl(Role r, EventSink& s) : role(r), sink(s) {}

  static const nghttp2_session_callbacks* callbacks();
  static const nghttp2_option* option(bool auto_window_update);

  static Impl* self(void* user) { return static_cast<Impl*>(user); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* me = self(user);
    auto& st = me->streams[frame->hd.stream_id];
    if (st.head_done) {
      st.in_trailers = true;
      st.trailers.clear();
    } else {
      st.head.clear();
      st.head.kind = me->role == Role::Server ? MessageKind::Request : MessageKind::Response;
      st.head.version = Version::Http2;
    }
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* user) {
    auto& st = self(user)->streams[frame->hd.stream_id];
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (st.in_trailers) {
      st.trailers.add_copy(n, v);
      return 0;
    }
    MessageHead& h = st.head;
    if (n == ":method")
      h.method = h.headers.own(v);
    else if (n == ":scheme")
      h.scheme = h.headers.own(v);
    else if (n == ":authority")
      h.authority = h.headers.own(v);
    else if (n == ":path")
      h.path = h.headers.own(v);
    else if (n == ":protocol")
      h.protocol = h.headers.own(v);
    else if (n == ":status")
      h.status = static_cast<uint16_t>(std::atoi(std::string(v).c_str()));
    else
      h.headers.add_copy(n, v);
    return 0;
  }

  // nghttp2 silently drops invalid regular fields unless told otherwise; the oracle must be
  // strict (RFC 9113 §8.2.1: malformed -> stream PROTOCOL_ERROR).
  static int on_invalid_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t*,
                               size_t, const uint8_t*, size_t, uint8_t, void*) {
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                              NGHTTP2_PROTOCOL_ERROR);
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* me = self(user);
    const int32_t id = frame->hd.stream_id;
    const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS: {
        auto& st = me->streams[id];
        if (st.in_trailers) {
          me->sink.on_trailers(static_cast<StreamId>(id), st.trailers);
        } else {
          MessageHead& h = st.head;
          const HeaderField* cl = h.headers.find("content-length");
          if (end) {
            h.framing = Framing::None;
          } else if (cl) {
            h.framing = Framing::KnownLength;
            h.content_length = std::strtoull(std::string(cl->value).c_str(), nullptr, 10);
          } else {
            h.framing = Framing::Streaming;
          }
          me->sink.on_head(static_cast<StreamId>(id), h);
          // An interim (1xx) response is followed by the real head.
          if (!(h.kind == MessageKind::Response && h.status < 200)) st.head_done = true;
        }
        if (end) me->sink.on_end_of_message(static_cast<StreamId>(id));
        break;
      }
      case NGHTTP2_DATA:
        if (end) me->sink.on_end_of_message(static_cast<StreamId>(id));
        break;
      case NGHTTP2_RST_STREAM:
        me->sink.on_reset(static_cast<StreamId>(id), frame->rst_stream.error_code);
        break;
      case NGHTTP2_GOAWAY:
        me->sink.on_goaway(
            static_cast<StreamId>(frame->goaway.last_stream_id), frame->goaway.error_code,
            std::string_view(reinterpret_cast<const char*>(frame->goaway.opaque_data),
                             frame->goaway.opaque_data_len));
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                           void* user) {
    self(user)->sink.on_data(static_cast<StreamId>(id), Bytes(data, len));
    return 0;
  }

  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* me = self(user);
    if (frame->hd.type == NGHTTP2_RST_STREAM) {
      me->sink.on_reset(static_cast<StreamId>(frame->hd.stream_id), frame->rst_stream.error_code);
    } else if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
      me->sent_goaway = true;
      me->sent_goaway_code = frame->goaway.error_code;
      me->sink.on_connection_error(Error::h2(
          Scope::Connection, static_cast<H2Code>(frame->goaway.error_code), kErrNghttp2Rejected));
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
    auto* me = self(user);
    me->streams.erase(id);
    me->bodies.erase(id);
    return 0;
  }
};

// The callbacks and options are the same for every session: built once (a session copies them),
// not allocated and freed per session.
const nghttp2_session_callbacks* Nghttp2Session::Impl::callbacks() {
  static nghttp2_session_callbacks* const cb = [] {
    nghttp2_session_callbacks* c;
    nghttp2_session_callbacks_new(&c);
    nghttp2_session_callbacks_set_on_begin_headers_callback(c, &Impl::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(c, &Impl::on_header);
    nghttp2_session_callbacks_set_on_invalid_header_callback(c, &Impl::on_invalid_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(c, &Impl::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(c, &Impl::on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_send_callback(c, &Impl::on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(c, &Impl::on_stream_close);
    return c;
  }();
  return cb;
}

const nghttp2_option* Nghttp2Session::Impl::option(bool auto_window_update) {
  auto make = [](int no_auto) {
    nghttp2_option* o;
    nghttp2_option_new(&o);
    nghttp2_option_set_no_auto_window_update(o, no_auto);
    return o;
  };
  static nghttp2_option* const automatic = make(0);
  static nghttp2_option* const manual = make(1);
  return auto_window_update ? automatic : manual;
}

Nghttp2Session::Nghttp2Session(Role role, EventSink& sink, Options options)
    : impl_(std::make_unique<Impl>(role, sink)) {
  const nghttp2_option* opt = Impl::option(options.auto_window_update);
  if (role == Role::Server) {
    nghttp2_session_server_new3(&impl_->session, Impl::callbacks(), impl_.get(), opt, options.mem);
  } else {
    nghttp2_session_client_new3(&impl_->session, Impl::callbacks(), impl_.get(), opt, options.mem);
  }
  nghttp2_settings_entry iv[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options.initial_window_size},
      {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, options.header_table_size},
      {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1},
  };
  const bool connect = role == Role::Server && options.enable_connect_protocol;
  nghttp2_submit_settings(impl_->session, NGHTTP2_FLAG_NONE, iv, connect ? 4 : 3);
}

Nghttp2Session::~Nghttp2Session() {
  nghttp2_session_del(impl_->session);
}

Result<size_t> Nghttp2Session::feed(Bytes bytes) {
  ssize_t n = nghttp2_session_mem_recv(impl_->session, bytes.data(), bytes.size());
  if (n < 0) {
    // nghttp2 queues a GOAWAY for protocol errors; report the code it chose.
    H2Code code = H2Code::ProtocolError;
    if (n == NGHTTP2_ERR_FLOW_CONTROL)
      code = H2Code::FlowControlError;
    else if (n == NGHTTP2_ERR_HEADER_COMP)
      code = H2Code::CompressionError;
    else if (n == NGHTTP2_ERR_FRAME_SIZE_ERROR)
      code = H2Code::FrameSizeError;
    else if (n == NGHTTP2_ERR_SETTINGS_EXPECTED || n == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
      code = H2Code::ProtocolError;
    return unexpected(Error::h2(Scope::Connection, code, kErrNghttp2Rejected));
  }
  return static_cast<size_t>(n);
}

void Nghttp2Session::take_output(ByteBuffer& out) {
  while (true) {
    const uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(impl_->session, &data);
    if (n <= 0) break;
    out.append(data, static_cast<size_t>(n));
  }
}

int32_t Nghttp2Session::submit_request(const MessageHead& head, std::string body) {
  std::vector<nghttp2_nv> nva{make_nv(":method", head.method), make_nv(":scheme", head.scheme),
                              make_nv(":authority", head.authority), make_nv(":path", head.path)};
  for (const auto& f : head.headers) nva.push_back(make_nv(f.name, f.value));
  auto pending = std::make_unique<PendingBody>(PendingBody{std::move(body), 0});
  nghttp2_data_provider provider{};
  provider.source.ptr = pending.get();
  provider.read_callback = read_body;
  int32_t id = nghttp2_submit_request(impl_->session, nullptr, nva.data(), nva.size(),
                                      pending->bytes.empty() ? nullptr : &provider, nullptr);
  if (id > 0) impl_->bodies[id] = std::move(pending);
  return id;
}

bool Nghttp2Session::submit_response(int32_t stream, const MessageHead& head, std::string body) {
  std::string status = std::to_string(head.status);
  std::vector<nghttp2_nv> nva{make_nv(":status", status)};
  for (const auto& f : head.headers) nva.push_back(make_nv(f.name, f.value));
  auto pending = std::make_unique<PendingBody>(PendingBody{std::move(body), 0});
  nghttp2_data_provider provider{};
  provider.source.ptr = pending.get();
  provider.read_callback = read_body;
  int rv = nghttp2_submit_response(impl_->session, stream, nva.data(), nva.size(),
                                   pending->bytes.empty() ? nullptr : &provider);
  if (rv != 0) return false;
  impl_->bodies[stream] = std::move(pending);
  return true;
}

void Nghttp2Session::terminate(uint32_t code) {
  nghttp2_session_terminate_session(impl_->session, code);
}

bool Nghttp2Session::alive() const {
  return nghttp2_session_want_read(impl_->session) || nghttp2_session_want_write(impl_->session);
}

}  // namespace crossmux::codecs::reference
