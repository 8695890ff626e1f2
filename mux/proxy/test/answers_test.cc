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
  // RFC 9110 §15.4.2: a 301 may turn a POST into a GET, never a HEAD into anything else.
  EXPECT_EQ(make_https_redirect("HEAD", "example.com", "/a").head.status, 301);
  // A request without a path (OPTIONS *, authority-form) is sent to the site's root.
  const auto root = make_https_redirect("OPTIONS", "example.com", "");
  EXPECT_EQ(root.head.headers.find("location")->value, "https://example.com/");
}

// What the proxy answers itself is not cached (a 503 during an outage must not outlive it), and
// after a 400 (where the request ended is unknown) or a 408 (the client was too slow) the
// HTTP/1.1 connection closes; other answers leave it open.
TEST(Answers, NotCachedAndCloseAfter400And408) {
  for (uint16_t status : {400, 404, 408, 502, 503}) {
    auto a = make_answer(status, "", nullptr, nullptr, nullptr);
    const auto* cc = a.head.headers.find("cache-control");
    ASSERT_NE(cc, nullptr) << status;
    EXPECT_EQ(cc->value, "no-store") << status;
    EXPECT_EQ(a.head.keep_alive, status != 400 && status != 408) << status;
  }
  const auto redirect = make_https_redirect("GET", "a.test", "/");
  const auto* cc = redirect.head.headers.find("cache-control");
  ASSERT_NE(cc, nullptr);
  EXPECT_EQ(cc->value, "no-store");
}

TEST(Answers, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(421), "Misdirected Request");
  EXPECT_EQ(reason_phrase(599), "");
}

}  // namespace
}  // namespace crossmux::mux::proxy
