// Result/Status semantics and error formatting.
#include "codecs/base/result.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace crossmux::codecs {
namespace {

constexpr char kErrTooBig[] = "value too big";

Result<int> half(int v) {
  if (v % 2 != 0) return unexpected(Error::h2(Scope::Stream, H2Code::ProtocolError, kErrTooBig, 3));
  return v / 2;
}

TEST(Result, HoldsValueOrError) {
  auto good = half(8);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 4);
  auto bad = half(7);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().scope, Scope::Stream);
  EXPECT_EQ(bad.error().h2_code(), H2Code::ProtocolError);
  EXPECT_EQ(bad.error().detail, kErrTooBig);  // identity: named static detail strings
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, StatusDefaultsToOk) {
  Status s;
  EXPECT_TRUE(s.has_value());
  Status e = unexpected(Error::http(431, kErrTooBig));
  EXPECT_FALSE(e.has_value());
  EXPECT_EQ(e.error().code, 431u);
  EXPECT_EQ(e.error().scope, Scope::Connection);
}

TEST(Result, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(5));
  auto p = std::move(r).value();
  EXPECT_EQ(*p, 5);
}

TEST(Error, FormatsForHumans) {
  auto e = Error::h2(Scope::Connection, H2Code::FlowControlError, "window overflow", 0);
  EXPECT_EQ(to_string(e), "connection FLOW_CONTROL_ERROR (client): window overflow");
  auto s = Error::h2(Scope::Stream, H2Code::Cancel, "x", 5, Side::Backend);
  EXPECT_EQ(to_string(s), "stream CANCEL (backend): x [stream 5]");
  EXPECT_EQ(to_string(Error::http(400, "bad host")), "connection 400 (client): bad host");
  EXPECT_EQ(to_string(static_cast<H2Code>(0x77)), "UNKNOWN");
  EXPECT_EQ(to_string(H2Code::Http11Required), "HTTP_1_1_REQUIRED");
}

// Error::code means nothing without its kind: the same number prints as an HTTP/2 code, an HTTP
// status or an errno only when the kind says so (errno 13 is not HTTP_1_1_REQUIRED, errno 98 is
// not an unknown HTTP/2 code).
TEST(Error, PrintsEachCodeAsItsKind) {
  const Error bind = Error::sys("net: bind() failed", EADDRINUSE);
  EXPECT_EQ(bind.kind, CodeKind::Errno);
  EXPECT_EQ(to_string(bind),
            "connection EADDRINUSE (internal): net: bind() failed: Address already in use");
  EXPECT_EQ(describe(bind), "net: bind() failed: Address already in use");
  const Error access = Error::sys("open", EACCES);
  EXPECT_THAT(to_string(access), ::testing::HasSubstr("EACCES"));
  EXPECT_THAT(to_string(access), ::testing::Not(::testing::HasSubstr("HTTP_1_1_REQUIRED")));
  EXPECT_EQ(describe(access), "open: Permission denied");
  // An errno never answers a request, and is no HTTP/2 code on the wire.
  EXPECT_EQ(access.answer_status(400), 400);
  EXPECT_EQ(access.h2_code(), H2Code::InternalError);
  EXPECT_EQ(access.sys_errno(), EACCES);
  // errno 0 (an OpenSSL failure with no system error) prints no code at all.
  EXPECT_EQ(to_string(Error::sys("tls: SSL_new() failed", 0)),
            "connection (internal): tls: SSL_new() failed");
  EXPECT_EQ(to_string(Error::none("proxy: shutting down")),
            "connection (internal): proxy: shutting down");
  // HTTP statuses answer as themselves (4xx/5xx only) and are never read as H2 codes.
  const Error status = Error::http(431, "too big");
  EXPECT_EQ(status.answer_status(400), 431);
  EXPECT_EQ(Error::http(101, "odd").answer_status(400), 400);
  EXPECT_EQ(status.h2_code(), H2Code::InternalError);
  EXPECT_EQ(status.sys_errno(), 0);
  EXPECT_EQ(describe(status), "too big (status 431)");
  // An H2 code is never an answer status, whatever its number.
  const Error h2 = Error::h2(Scope::Connection, H2Code::ProtocolError, "bad frame");
  EXPECT_EQ(h2.answer_status(502), 502);
  EXPECT_EQ(describe(h2), "bad frame (PROTOCOL_ERROR)");
  EXPECT_EQ(to_string(Error::h2(Scope::Stream, static_cast<H2Code>(0x1f), "odd")),
            "stream 0x1f (client): odd");
  // Equality includes the kind: errno 1 is not PROTOCOL_ERROR.
  EXPECT_NE(Error::sys("x", 1),
            (Error{Scope::Connection, 1, Side::Internal, "x", 0, CodeKind::H2}));
}

}  // namespace
}  // namespace crossmux::codecs
