// RecordingSink produces the stable trace format tests across the codecs compare.
#include "codecs/message/recording_sink.h"

#include <gtest/gtest.h>

namespace crossmux::codecs {
namespace {

TEST(RecordingSink, TraceIsStableAndMergesData) {
  RecordingSink sink;
  MessageHead head;
  head.method = "POST";
  head.scheme = "https";
  head.authority = "example.com";
  head.path = "/upload";
  head.version = Version::Http2;
  head.framing = Framing::KnownLength;
  head.content_length = 7;
  head.headers.add_view("content-type", "text/plain");
  sink.on_head(1, head);
  sink.on_data(1, as_bytes("hel"));
  sink.on_data(1, as_bytes(""));
  sink.on_data(1, as_bytes("lo\r\n"));
  sink.on_data(3, as_bytes("x"));
  HeaderList trailers;
  trailers.add_view("grpc-status", "0");
  sink.on_trailers(1, trailers);
  sink.on_end_of_message(1);
  sink.on_reset(3, static_cast<uint32_t>(H2Code::RefusedStream));
  sink.on_goaway(3, 0, "bye");
  sink.on_connection_error(Error::h2(Scope::Connection, H2Code::CompressionError, "bad index"));
  EXPECT_EQ(sink.trace(),
            "head 1 request HTTP/2 POST https example.com /upload framing=known(7)\n"
            "  field \"content-type\" \"text/plain\"\n"
            "data 1 \"hello\\r\\n\"\n"
            "data 3 \"x\"\n"
            "trailers 1\n"
            "  field \"grpc-status\" \"0\"\n"
            "end 1\n"
            "reset 3 REFUSED_STREAM\n"
            "goaway 3 NO_ERROR \"bye\"\n"
            "connection-error connection COMPRESSION_ERROR (client): bad index\n");
  EXPECT_EQ(sink.body(1), "hello\r\n");
  EXPECT_EQ(sink.count(EventKind::Data), 2u);
}

TEST(RecordingSink, ResponseHeadAndUnknownCodes) {
  RecordingSink sink;
  MessageHead head;
  head.kind = MessageKind::Response;
  head.status = 204;
  head.keep_alive = false;
  sink.on_head(1, head);
  sink.on_reset(1, 0x99);
  EXPECT_EQ(sink.trace(), "head 1 response HTTP/1.1 204 framing=none close\nreset 1 0x99\n");
}

}  // namespace
}  // namespace crossmux::codecs
