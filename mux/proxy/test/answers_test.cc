// Default answers: built-in text, override precedence, redirects.
#include "mux/proxy/exchange/answers.h"

#include <gtest/gtest.h>

namespace crossmux::mux::proxy {
namespace {

TEST(Answers, BuiltInTextCarriesStatusAndReason) {
  auto a = make_answer(502, "backend reset the connection", nullptr, nullptr, nullptr);
  EXPECT_EQ(a.head.kind, codecs::MessageKind::Response);
  EXPECT_EQ(a.head.status, 502);
  EXPECT_EQ(a.body, "502 Bad Gateway: backend reset the connection\n");
  EXPECT_EQ(a.head.framing, codecs::Framing::KnownLength);
  EXPECT_EQ(a.head.content_length, a.body.size());
  ASSERT_NE(a.head.headers.find("content-type"), nullptr);
  EXPECT_EQ(a.head.headers.find("content-length"), nullptr) << "framing is metadata, not a field";
  EXPECT_EQ(a.reason, "backend reset the connection");
}

TEST(Answers, OverridesPreferClusterThenListenerThenGlobal) {
  config::Answers global{{503, {"global busy", "text/plain"}}, {404, {"global 404", "text/html"}}};
  config::Answers listener{{503, {"listener busy", "text/plain"}}};
  config::Answers cluster{{503, {"{\"busy\":true}", "application/json"}}};
  auto a = make_answer(503, "no backend", &cluster, &listener, &global);
  EXPECT_EQ(a.body, "{\"busy\":true}");
  EXPECT_EQ(a.head.headers.find("content-type")->value, "application/json");
  EXPECT_EQ(make_answer(503, "", nullptr, &listener, &global).body, "listener busy");
  EXPECT_EQ(make_answer(404, "", nullptr, &listener, &global).body, "global 404");
  EXPECT_EQ(make_answer(404, "", nullptr, nullptr, nullptr).body, "404 Not Found\n");
}

TEST(Answers, HttpsRedirectKeepsMethodSemantics) {
  auto get = make_https_redirect("GET", "example.com", "/a?b=c");
  EXPECT_EQ(get.head.status, 301);
  EXPECT_EQ(get.head.headers.find("location")->value, "https://example.com/a?b=c");
  auto post = make_https_redirect("POST", "example.com", "/form");
  EXPECT_EQ(post.head.status, 308);
}

TEST(Answers, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(421), "Misdirected Request");
  EXPECT_EQ(reason_phrase(599), "");
}

}  // namespace
}  // namespace crossmux::mux::proxy
