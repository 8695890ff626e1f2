// Host values, CONNECT targets and absolute-form authorities: RFC 9110 §7.2 (Host = uri-host
// [ ":" port ]), RFC 9112 §3.2.2-3.2.3, RFC 3986 §3.2.2-3.2.3 (IP-literal, reg-name with
// pct-encoded and sub-delims, port = *DIGIT). Each row takes one branch of the one-pass Host scan
// or of the general authority check behind it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "codecs/h1/framing.h"
#include "codecs/h1/h1_errors.h"
#include "codecs/h1/test/h1_test_util.h"

namespace crossmux::codecs::h1 {
namespace {

struct AuthorityRow {
  const char* input;  // a Host value, or a whole request line's target (see the suites)
  bool accepted;
};

std::string describe(const testing::Decoded& d) {
  return d.error ? to_string(*d.error) : d.trace;
}

// Refused requests are 400s with the detail `refused_as`; accepted ones carry the authority.
void expect_verdict(const std::string& request, std::string_view authority, bool accepted,
                    const char* refused_as) {
  const testing::Decoded d = testing::decode_request(request);
  if (accepted) {
    ASSERT_FALSE(d.error) << request << "\n" << describe(d);
    EXPECT_NE(d.trace.find(" " + std::string(authority) + " "), std::string::npos) << d.trace;
  } else {
    ASSERT_TRUE(d.error) << request << "\n" << d.trace;
    EXPECT_EQ(d.error->code, 400u) << request;
    EXPECT_STREQ(d.error->detail, refused_as) << request << "\n" << to_string(*d.error);
  }
}

class HostValues : public ::testing::TestWithParam<AuthorityRow> {};

TEST_P(HostValues, AreAcceptedOrRefusedAsTheGrammarSays) {
  const AuthorityRow& row = GetParam();
  expect_verdict("GET / HTTP/1.1\r\nHost: " + std::string(row.input) + "\r\n\r\n", row.input,
                 row.accepted, kErrBadHost);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9110Section7_2, HostValues,
    ::testing::Values(
        // The one-pass shape: reg-name or IPv4, then ":" and digits (every digit, 0 to 9).
        AuthorityRow{"a", true}, AuthorityRow{"a.b-c_d~e:0123456789", true},
        AuthorityRow{"192.0.2.1:80", true},
        // port = *DIGIT: an empty port is a port (RFC 3986 §3.2.3).
        AuthorityRow{"a:", true},
        // sub-delims are reg-name octets.
        AuthorityRow{"a!$&'()*+,;=b", true},
        // The general form: pct-encoded reg-names and IP-literals, with and without a port.
        AuthorityRow{"a%41b", true}, AuthorityRow{"a%4f:9", true}, AuthorityRow{"a%41:", true},
        AuthorityRow{"%41:", true}, AuthorityRow{"[::1]", true}, AuthorityRow{"[::1]:8080", true},
        AuthorityRow{"[::1]:9", true}, AuthorityRow{"[v1.x]", true},
        // A port needs a host.
        AuthorityRow{":80", false}, AuthorityRow{":", false}, AuthorityRow{":%41", false},
        // Ports are digits only, one port.
        AuthorityRow{"a:8x", false}, AuthorityRow{"a:80:80", false}, AuthorityRow{"a%41:8x", false},
        AuthorityRow{"a%41:80:80", false}, AuthorityRow{"[::1]:8x", false},
        AuthorityRow{"[::1]:80:80", false}, AuthorityRow{"[::1]:[80]", false},
        // IP-literals: closed, not empty, not nested, followed by nothing or a port.
        AuthorityRow{"[::1", false}, AuthorityRow{"[]", false}, AuthorityRow{"[]:80", false},
        AuthorityRow{"[::1]x", false}, AuthorityRow{"[::1]]", false},
        AuthorityRow{"[::1]80", false}, AuthorityRow{"[[::1]]", false},
        AuthorityRow{"[::[1]", false},
        // Brackets belong to IP-literals only.
        AuthorityRow{"a[b", false}, AuthorityRow{"a]b", false}, AuthorityRow{"a[b]:80", false},
        AuthorityRow{"a:80]", false},
        // pct-encoded is '%' and two hex digits (RFC 3986 §2.1).
        AuthorityRow{"a%", false}, AuthorityRow{"a%4", false}, AuthorityRow{"a%zz", false},
        AuthorityRow{"a%g1", false}, AuthorityRow{"a%1g", false}, AuthorityRow{"a%%41", false},
        AuthorityRow{"a%41%", false},
        // No userinfo, no space, no list.
        AuthorityRow{"u@a", false}, AuthorityRow{"a b", false}));

// RFC 9112 §3.2.3: CONNECT takes the authority-form, uri-host ":" port, and a port is needed
// (the colons of an IPv6 literal are no port).
class ConnectTargets : public ::testing::TestWithParam<AuthorityRow> {};

TEST_P(ConnectTargets, AreAcceptedOrRefusedAsTheGrammarSays) {
  const AuthorityRow& row = GetParam();
  const std::string target(row.input);
  expect_verdict("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n", target,
                 row.accepted, kErrConnectTarget);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9112Section3_2_3, ConnectTargets,
    ::testing::Values(AuthorityRow{"a:443", true}, AuthorityRow{"[::1]:443", true},
                      AuthorityRow{"a%41:9", true}, AuthorityRow{":443", false},
                      AuthorityRow{"[::1]", false}, AuthorityRow{"[::1]443", false},
                      AuthorityRow{"a:4x3", false}, AuthorityRow{"a:443:1", false},
                      AuthorityRow{"[]:443", false}, AuthorityRow{"[::1]:", false},
                      AuthorityRow{"[::1]:x", false}));

// RFC 9112 §3.2.2: the absolute-form's authority is held to the same grammar, and may not be
// empty for http and https (RFC 9110 §4.2.1).
class AbsoluteFormAuthorities : public ::testing::TestWithParam<AuthorityRow> {};

TEST_P(AbsoluteFormAuthorities, AreAcceptedOrRefusedAsTheGrammarSays) {
  const AuthorityRow& row = GetParam();
  const std::string authority(row.input);
  expect_verdict("GET http://" + authority + "/x HTTP/1.1\r\nHost: " + authority + "\r\n\r\n",
                 authority, row.accepted, row.accepted ? nullptr : kErrBadTarget);
}

INSTANTIATE_TEST_SUITE_P(Rfc9112Section3_2_2, AbsoluteFormAuthorities,
                         ::testing::Values(AuthorityRow{"a:9", true},
                                           AuthorityRow{"[::1]:8080", true},
                                           AuthorityRow{"a%41", true}, AuthorityRow{":80", false},
                                           AuthorityRow{"a:8x", false},
                                           AuthorityRow{"[::1", false}));

TEST(H1Authority, AnEmptyAuthorityIsRefusedInTheTargetAndAllowedAsHost) {
  // RFC 9112 §3.2: a target without an authority is sent with an empty Host.
  EXPECT_FALSE(testing::decode_request("GET / HTTP/1.1\r\nHost: \r\n\r\n").error);
  const testing::Decoded d = testing::decode_request("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(d.error) << d.trace;
  EXPECT_STREQ(d.error->detail, kErrBadTarget);
  EXPECT_FALSE(valid_authority("", false));
  EXPECT_TRUE(valid_authority("", true));
}

TEST(H1Authority, APercentTripletCutShortByTheViewIsRefusedWhateverFollowsIt) {
  // The view ends inside the triplet; the octets after it (hex digits here) are not its own.
  constexpr std::string_view kBuffer = "a%4f:80";
  EXPECT_FALSE(valid_authority(kBuffer.substr(0, 3), false));
  EXPECT_FALSE(valid_authority(kBuffer.substr(0, 2), false));
  EXPECT_TRUE(valid_authority(kBuffer.substr(0, 4), false));
  EXPECT_TRUE(valid_authority(kBuffer, false));
}

}  // namespace
}  // namespace crossmux::codecs::h1
