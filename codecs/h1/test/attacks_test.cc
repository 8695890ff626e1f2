// Every H1 classic from attacks-and-fuzzing.md §3.2 (and the H1-side response rows O, P of §3.1)
// with its verdict: status + named detail, or acceptance with the IR it must produce.
#include <gtest/gtest.h>

#include <string>

#include "codecs/h1/h1_errors.h"
#include "codecs/h1/test/h1_test_util.h"

namespace crossmux::codecs::h1 {
namespace {

using testing::decode;
using testing::DecodeSetup;
using testing::Split;
using namespace std::string_literals;

struct Row {
  const char* name;
  std::string input;
  uint32_t status;     // 0: accepted
  const char* detail;  // expected detail when rejected
  const char* expect;  // accepted: a substring the trace must contain
  DecodeSetup setup = {};
};

const std::string kPost = "POST / HTTP/1.1\r\nHost: a\r\n";

std::string post(std::string_view fields, std::string_view body) {
  return kPost + std::string(fields) + "\r\n" + std::string(body);
}
std::string chunked(std::string_view body) {
  return post("Transfer-Encoding: chunked\r\n", body);
}
std::string get(std::string_view fields) {
  return "GET / HTTP/1.1\r\n" + std::string(fields) + "\r\n";
}

DecodeSetup resp(RequestInfo r = {}, bool eof = true) {
  return testing::response_to({r}, eof);
}

std::vector<Row> rows() {
  return {
      // CL.TE / TE.CL: RFC 9112 §6.3 — reject and close.
      {"cl_te", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG"), 400,
       kErrContentLengthWithTransferEncoding, nullptr},
      {"te_cl", post("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n", "0\r\n\r\nG"), 400,
       kErrContentLengthWithTransferEncoding, nullptr},
      // TE.TE obfuscation: §6.1, §6.3, §7.1.
      {"te_xchunked", post("Transfer-Encoding: xchunked\r\n", ""), 501, kErrUnknownTransferCoding,
       nullptr},
      {"te_obs_fold", post("Transfer-Encoding:\r\n chunked\r\n", ""), 400, kErrObsFold, nullptr},
      {"te_twice_list", post("Transfer-Encoding: chunked, chunked\r\n", ""), 400, kErrChunkedTwice,
       nullptr},
      {"te_twice_lines", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", ""),
       400, kErrChunkedTwice, nullptr},
      {"te_params", post("Transfer-Encoding: chunked;x=y\r\n", ""), 400, kErrBadTransferEncoding,
       nullptr},
      {"te_identity", post("Transfer-Encoding: identity\r\n", ""), 501, kErrUnknownTransferCoding,
       nullptr},
      {"te_gzip_chunked", post("Transfer-Encoding: gzip, chunked\r\n", ""), 501,
       kErrUnknownTransferCoding, nullptr},
      {"te_chunked_gzip", post("Transfer-Encoding: chunked, gzip\r\n", ""), 400,
       kErrChunkedNotFinal, nullptr},
      // RFC 9110 §10.1.4: transfer-coding = token *( OWS ";" OWS transfer-parameter ): SP or
      // HTAB before a parameter is a coding with parameters (here one we do not implement).
      {"te_param_after_space", post("Transfer-Encoding: gzip ;q=1, chunked\r\n", ""), 501,
       kErrUnknownTransferCoding, nullptr},
      {"te_param_after_tab", post("Transfer-Encoding: gzip\t;q=1, chunked\r\n", ""), 501,
       kErrUnknownTransferCoding, nullptr},
      // RFC 9110 §5.6.1: empty list elements are ignored, but some coding must be there.
      {"te_leading_comma_ok", post("Transfer-Encoding: ,chunked\r\n", "0\r\n\r\n"), 0, nullptr,
       "framing=streaming"},
      {"te_empty_elements_ok", post("Transfer-Encoding: , chunked ,,\r\n", "0\r\n\r\n"), 0, nullptr,
       "framing=streaming"},
      {"te_only_commas", post("Transfer-Encoding: , ,\r\n", ""), 400, kErrBadTransferEncoding,
       nullptr},
      {"te_empty", post("Transfer-Encoding: \r\n", ""), 400, kErrBadTransferEncoding, nullptr},
      {"te_space_inside", post("Transfer-Encoding: chun ked\r\n", ""), 400, kErrBadTransferEncoding,
       nullptr},
      // Accepted: coding names are case-insensitive, and trailing OWS is not part of the value.
      {"te_uppercase_ok", post("Transfer-Encoding: Chunked\r\n", "0\r\n\r\n"), 0, nullptr,
       "framing=streaming"},
      {"te_trailing_tab_ok", post("Transfer-Encoding: chunked\t\r\n", "0\r\n\r\n"), 0, nullptr,
       "framing=streaming"},
      // CL obfuscation: RFC 9110 §8.6.
      {"cl_plus", post("Content-Length: +6\r\n", ""), 400, kErrBadContentLength, nullptr},
      {"cl_minus", post("Content-Length: -1\r\n", ""), 400, kErrBadContentLength, nullptr},
      {"cl_hex", post("Content-Length: 0x6\r\n", ""), 400, kErrBadContentLength, nullptr},
      {"cl_underscore", post("Content-Length: 6_0\r\n", ""), 400, kErrBadContentLength, nullptr},
      // 1*DIGIT: leading zeros are a valid length (RFC 9110 §8.6); 2^63 is past every bound.
      {"cl_leading_zeros_ok", post("Content-Length: 006\r\n", "abcdef"), 0, nullptr,
       "framing=known(6)"},
      {"cl_past_2_63", post("Content-Length: 9223372036854775808\r\n", ""), 400,
       kErrContentLengthOverflow, nullptr},
      {"cl_list_differs", post("Content-Length: 6, 7\r\n", ""), 400, kErrConflictingContentLength,
       nullptr},
      {"cl_lines_differ", post("Content-Length: 5\r\nContent-Length: 6\r\n", ""), 400,
       kErrConflictingContentLength, nullptr},
      {"cl_empty", post("Content-Length: \r\n", ""), 400, kErrBadContentLength, nullptr},
      {"cl_empty_element", post("Content-Length: 5,\r\n", ""), 400, kErrBadContentLength, nullptr},
      {"cl_space_colon", post("Content-Length : 6\r\n", ""), 400, kErrSpaceBeforeColon, nullptr},
      {"cl_overflow", post("Content-Length: 18446744073709551622\r\n", ""), 400,
       kErrContentLengthOverflow, nullptr},
      {"cl_inner_space", post("Content-Length: 1 2\r\n", ""), 400, kErrBadContentLength, nullptr},
      {"cl_same_list_ok", post("Content-Length: 5, 5\r\n", "hello"), 0, nullptr,
       "framing=known(5) violations=2"},
      {"cl_same_lines_ok", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 0, nullptr,
       "framing=known(5) violations=2"},
      {"cl_trailing_space_ok", post("Content-Length: 6 \r\n", "abcdef"), 0, nullptr,
       "framing=known(6)"},
      // Chunk-size abuse: §7.1.
      {"chunk_0x", chunked("0x5\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      {"chunk_plus", chunked("+5\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      {"chunk_minus", chunked("-5\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      {"chunk_lead_space", chunked(" 5\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      // BWS only before ";" or around "=" (§7.1.1): trailing whitespace alone is not a chunk-ext.
      {"chunk_trail_space", chunked("5 \r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension,
       nullptr},
      {"chunk_empty", chunked("\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      // 1*HEXDIG: leading zeros are free; 17 significant digits overflow 64 bits.
      {"chunk_leading_zeros_ok", chunked("00000000000000005\r\nhello\r\n0\r\n\r\n"), 0, nullptr,
       "data 1 \"hello\""},
      {"chunk_17_digits", chunked("10000000000000005\r\nhello\r\n0\r\n\r\n"), 400,
       kErrChunkSizeOverflow, nullptr},
      {"chunk_16_digits_ok", chunked("1000000000000000\r\nhello"), 0, nullptr, "data 1 \"hello\""},
      {"chunk_zeros_past_line_bound",
       chunked(std::string(1041, '0').append("5\r\nhello\r\n0\r\n\r\n")), 400,
       kErrChunkSizeOverflow, nullptr},
      {"chunk_underscore", chunked("5_\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      {"chunk_0_2e", chunked("0_2e\r\n\r\n"), 400, kErrBadChunkSize, nullptr},
      // Chunk extensions and ambiguous terminators: §7.1.1.
      {"ext_bare_lf", chunked("2;\nxx\r\n0\r\n\r\n"), 400, kErrBareLf, nullptr},
      {"ext_bare_cr", chunked("5;\rx\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension, nullptr},
      {"ext_bws_ok", chunked("5 ; a = b\t;\tc=\"d\"\r\nhello\r\n0\r\n\r\n"), 0, nullptr,
       "data 1 \"hello\""},
      {"ext_bws_after_name", chunked("5;a \r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension,
       nullptr},
      {"ext_bws_after_value", chunked("5;a=b \r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension,
       nullptr},
      {"ext_bws_no_value", chunked("5;a= \r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension,
       nullptr},
      {"ext_no_name", chunked("5;\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension, nullptr},
      {"ext_nul", chunked("5;a\0b\r\nhello\r\n0\r\n\r\n"s), 400, kErrBadChunkExtension, nullptr},
      {"ext_huge", chunked("5;a=" + std::string(2000, 'b') + "\r\nhello\r\n0\r\n\r\n"), 400,
       kErrChunkExtensionTooLong, nullptr},
      {"ext_quoted_cr", chunked("5;a=\"b\rc\"\r\nhello\r\n0\r\n\r\n"), 400, kErrBadChunkExtension,
       nullptr},
      // RFC 9110 §5.6.4: quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ): no escaped CR or NUL.
      {"ext_quoted_pair_cr", chunked("5;a=\"\\\r\"\r\nhello\r\n0\r\n\r\n"), 400,
       kErrBadChunkExtension, nullptr},
      {"ext_quoted_pair_nul", chunked("5;a=\"\\\0\"\r\nhello\r\n0\r\n\r\n"s), 400,
       kErrBadChunkExtension, nullptr},
      {"ext_quoted_pair_ok", chunked("5;a=\"\\\"b\"\r\nhello\r\n0\r\n\r\n"), 0, nullptr,
       "data 1 \"hello\""},
      {"ext_bws_before_semicolon_ok", chunked("5 ;a=b\r\nhello\r\n0\r\n\r\n"), 0, nullptr,
       "data 1 \"hello\""},
      {"ext_valid_ok", chunked("5;a=b;c=\"d e\";f\r\nhello\r\n0\r\n\r\n"), 0, nullptr,
       "data 1 \"hello\""},
      // TERM.SPILL / SPILL.TERM: chunk-data CRLF exactly.
      {"spill_xx", chunked("5\r\nAAAAAXX1a\r\n0\r\n\r\n"), 400, kErrBadChunkTerminator, nullptr},
      {"spill_cr_x", chunked("5\r\nAAAAA\rX0\r\n\r\n"), 400, kErrBadChunkTerminator, nullptr},
      {"spill_cr_cr", chunked("5\r\nAAAAA\r\r0\r\n\r\n"), 400, kErrBadChunkTerminator, nullptr},
      {"spill_none", chunked("5\r\nAAAAA0\r\n\r\n"), 400, kErrBadChunkTerminator, nullptr},
      {"spill_bare_lf", chunked("5\r\nAAAAA\n0\r\n\r\n"), 400, kErrBadChunkTerminator, nullptr},
      {"chunk_line_bare_lf", chunked("5\nAAAAA\r\n0\r\n\r\n"), 400, kErrBareLf, nullptr},
      // Bare LF / bare CR: §2.2.
      {"bare_lf_head", "GET / HTTP/1.1\nHost: a\n\n", 400, kErrBareLf, nullptr},
      {"bare_lf_field", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400, kErrBareLf, nullptr},
      {"bare_cr_value", get("Host: a\r\nX: a\rb\r\n"), 400, kErrBareCr, nullptr},
      {"bare_cr_line_start", get("Host: a\r\n\rX: y\r\n"), 400, kErrBareCr, nullptr},
      {"bare_cr_request_line", "GET / HTTP/1.1\rX\r\nHost: a\r\n\r\n", 400, kErrBareCr, nullptr},
      // obs-fold: §5.2 (requests always 400).
      {"obs_fold", get("Host: a\r\nX: a\r\n b\r\n"), 400, kErrObsFold, nullptr},
      {"obs_fold_tab", get("Host: a\r\nX: a\r\n\tb\r\n"), 400, kErrObsFold, nullptr},
      // Whitespace before colon / before the first field: §5.1, §2.2.
      {"space_before_colon", get("Host: a\r\nX : y\r\n"), 400, kErrSpaceBeforeColon, nullptr},
      {"tab_before_colon", get("Host: a\r\nX\t: y\r\n"), 400, kErrSpaceBeforeColon, nullptr},
      {"leading_ws_line", get(" X: y\r\nHost: a\r\n"), 400, kErrLeadingWhitespace, nullptr},
      // Field name / value bytes: RFC 9110 §5.1, §5.5.
      {"name_nul", get("Host: a\r\nX\0Y: z\r\n"s), 400, kErrBadFieldName, nullptr},
      {"name_del", get("Host: a\r\nX\x7fY: z\r\n"), 400, kErrBadFieldName, nullptr},
      {"name_high", get("Host: a\r\nX\x80Y: z\r\n"), 400, kErrBadFieldName, nullptr},
      {"name_paren", get("Host: a\r\nX(Y: z\r\n"), 400, kErrBadFieldName, nullptr},
      {"name_at", get("Host: a\r\nX@Y: z\r\n"), 400, kErrBadFieldName, nullptr},
      {"name_empty", get("Host: a\r\n: z\r\n"), 400, kErrBadFieldName, nullptr},
      {"name_no_colon", get("Host: a\r\nXYZ\r\n"), 400, kErrBadFieldName, nullptr},
      {"value_nul", get("Host: a\r\nX: a\0b\r\n"s), 400, kErrBadFieldValue, nullptr},
      {"value_ctl",
       get("Host: a\r\nX: a\x01"
           "b\r\n"),
       400, kErrBadFieldValue, nullptr},
      {"value_del",
       get("Host: a\r\nX: a\x7f"
           "b\r\n"),
       400, kErrBadFieldValue, nullptr},
      {"value_long_ctl",
       get("Host: a\r\nX: " + std::string(40, 'a') +
           "\x0b"
           "b\r\n"),
       400, kErrBadFieldValue, nullptr},
      {"value_obs_text_ok", get("Host: a\r\nX: caf\xc3\xa9\r\n"), 0, nullptr, "\"caf\\xc3\\xa9\""},
      // Request line: §3, §2.3.
      {"two_spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadRequestLine, nullptr},
      {"tab_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadRequestLine, nullptr},
      {"vt_separator", "GET /\x0bHTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadRequestLine, nullptr},
      {"ff_separator", "GET\x0c/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadRequestLine, nullptr},
      {"version_suffix", "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400, kErrBadVersion, nullptr},
      {"version_1_10", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, kErrBadVersion, nullptr},
      {"version_01_1", "GET / HTTP/01.1\r\nHost: a\r\n\r\n", 400, kErrBadVersion, nullptr},
      {"version_lower", "GET / http/1.1\r\nHost: a\r\n\r\n", 400, kErrBadVersion, nullptr},
      {"version_2_0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, kErrUnsupportedVersion, nullptr},
      // RFC 9110 §2.5: a higher minor version is processed as the highest we implement.
      {"version_1_2_as_1_1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0, nullptr,
       "request HTTP/1.1 GET"},
      {"version_1_9_needs_host", "GET / HTTP/1.9\r\n\r\n", 400, kErrMissingHost, nullptr},
      {"http_0_9", "GET /\r\n\r\n", 400, kErrBadRequestLine, nullptr},
      {"method_lf", "GE\nT / HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBareLf, nullptr},
      {"method_ctl", "GE\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadMethod, nullptr},
      {"method_pri", "PRI / HTTP/1.0\r\n\r\n", 400, kErrPriMethod, nullptr},
      {"method_pri_11", "PRI / HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrPriMethod, nullptr},
      {"h2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, kErrUnsupportedVersion, nullptr},
      {"target_ctl", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget, nullptr},
      {"target_fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget, nullptr},
      {"target_bad_pct", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget, nullptr},
      // RFC 3986 §2.1: both octets after '%' are HEXDIG, each checked.
      {"target_pct_first_not_hex", "GET /a%g1 HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget,
       nullptr},
      {"target_pct_second_not_hex", "GET /a%1g HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget,
       nullptr},
      {"target_pct_cut_short", "GET /a%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget, nullptr},
      {"target_pct_ok", "GET /a%4F%2f HTTP/1.1\r\nHost: a\r\n\r\n", 0, nullptr, "GET - a /a%4F%2f"},
      {"asterisk_get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrAsteriskNotOptions, nullptr},
      {"connect_origin", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrConnectTarget, nullptr},
      // RFC 9110 §9.3.6: CONNECT names a host and a port; an empty port names no port.
      {"connect_no_port", "CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrConnectTarget, nullptr},
      {"connect_empty_port", "CONNECT a: HTTP/1.1\r\nHost: a:\r\n\r\n", 400, kErrConnectTarget,
       nullptr},
      {"absolute_ftp", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadScheme, nullptr},
      {"absolute_userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, kErrBadTarget,
       nullptr},
      // Host: §3.2.
      {"host_missing", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400, kErrMissingHost, nullptr},
      {"host_twice", get("Host: a\r\nHost: a\r\n"), 400, kErrDuplicateHost, nullptr},
      {"host_list", get("Host: a, b\r\n"), 400, kErrBadHost, nullptr},
      {"host_userinfo", get("Host: u@a\r\n"), 400, kErrBadHost, nullptr},
      // RFC 9110 §7.2: Host = uri-host [ ":" port ], port = *DIGIT.
      {"host_port_not_digits", get("Host: a:8x\r\n"), 400, kErrBadHost, nullptr},
      {"host_port_two_colons", get("Host: a:80:80\r\n"), 400, kErrBadHost, nullptr},
      {"host_absolute_wins", "GET http://b.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", 0,
       nullptr, "GET http b.example /x framing=none violations=4"},
      // RFC 9112 §2.2: empty lines before the request line are ignored, at any split.
      {"leading_empty_lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, nullptr,
       "head 1 request HTTP/1.1 GET - a / framing=none"},
      {"host_http10_optional", "GET / HTTP/1.0\r\n\r\n", 0, nullptr,
       "HTTP/1.0 GET - - / framing=none close"},
      // HTTP/1.0 + TE: §6.1 — reject.
      {"http10_te", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       kErrHttp10TransferEncoding, nullptr},
      {"http10_te_cl", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
       400, kErrHttp10TransferEncoding, nullptr},
      // 0.CL / CL.0 / Expect: bodies are always read to their declared end.
      {"get_with_body",
       get("Host: a\r\nContent-Length: 5\r\n") + "GET /x" + "GET /y HTTP/1.1\r\nHost: a\r\n\r\n", 0,
       nullptr, "data 1 \"GET /\"\nend 1\nhead 2 request HTTP/1.1 xGET"},
      {"expect_obfuscated", post("Expect: y 100-continue\r\nContent-Length: 1\r\n", "x"), 0,
       nullptr, "framing=known(1)\n"},
      {"expect_exact", post("Expect: 100-continue\r\nContent-Length: 1\r\n", "x"), 0, nullptr,
       "framing=known(1) expect-continue"},
      {"options_body", "OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 0, nullptr,
       "data 1 \"abc\"\nend 1"},
      // Pipelining boundaries: an invalid later request leaves earlier ones intact.
      {"pipeline_second_invalid",
       get("Host: a\r\n") + "GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n", 400,
       kErrSpaceBeforeColon,
       "head 1 request HTTP/1.1 GET - a / framing=none\n  field \"Host\" \"a\"\nend 1\n"
       "connection-error connection 400 (client): h1: whitespace between field name and colon "
       "[stream 2]"},
      // §3.1 O / P: responses from upstream.
      {"head_response_body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 502,
       kErrIncompleteMessage, nullptr, resp({.head = true})},
      {"no_content_body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", 502,
       kErrIncompleteMessage, nullptr, resp()},
      {"unsolicited_101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", 502,
       kErrUnexpectedSwitch, nullptr, resp()},
      {"response_cl_te",
       "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 502,
       kErrContentLengthWithTransferEncoding, nullptr, resp()},
      {"response_bad_cl", "HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\n", 502,
       kErrBadContentLength, nullptr, resp()},
      {"response_bare_cr", "HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", 502,
       kErrBareCr, nullptr, resp()},
      {"response_nul", "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 0\r\n\r\n"s, 502,
       kErrBadFieldValue, nullptr, resp()},
      {"response_extra_after_chunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 502,
       kErrUnsolicitedResponse, nullptr, resp()},
      // RFC 9110 §15: valid status codes are 100 to 599 inclusive.
      {"response_status_099", "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", 502, kErrBadStatus,
       nullptr, resp()},
      {"response_status_600", "HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n", 502, kErrBadStatus,
       nullptr, resp()},
      {"response_status_599_ok", "HTTP/1.1 599 X\r\nContent-Length: 0\r\n\r\n", 0, nullptr,
       "response HTTP/1.1 599 framing=known(0)", resp()},
      {"response_obs_fold_replaced", "HTTP/1.1 200 OK\r\nX: a\r\n  b\r\nContent-Length: 0\r\n\r\n",
       0, nullptr, "violations=1\n  field \"X\" \"a b\"", resp()},
  };
}

class AttackRows : public ::testing::TestWithParam<Row> {};

TEST_P(AttackRows, VerdictIsStableAtEverySplit) {
  const Row& row = GetParam();
  auto whole = decode(row.input, row.setup, Split::Whole);
  if (row.status == 0) {
    ASSERT_FALSE(whole.error) << to_string(*whole.error) << "\n" << whole.trace;
    EXPECT_NE(whole.trace.find(row.expect), std::string::npos) << whole.trace;
  } else {
    ASSERT_TRUE(whole.error) << whole.trace;
    EXPECT_EQ(whole.error->code, row.status) << to_string(*whole.error);
    EXPECT_EQ(whole.error->detail, row.detail) << to_string(*whole.error);
    EXPECT_EQ(whole.error->scope, Scope::Connection);
    if (row.expect != nullptr) {
      EXPECT_NE(whole.trace.find(row.expect), std::string::npos) << whole.trace;
    }
  }
  for (auto [split, seed] :
       {std::pair{Split::Bytewise, 0u}, {Split::Random, 7u}, {Split::Random, 99u}}) {
    auto other = decode(row.input, row.setup, split, seed);
    EXPECT_EQ(other.trace, whole.trace) << to_string(split);
    EXPECT_EQ(other.error.has_value(), whole.error.has_value()) << to_string(split);
    if (other.error && whole.error) {
      EXPECT_EQ(*other.error, *whole.error) << to_string(split);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Section32, AttackRows, ::testing::ValuesIn(rows()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace crossmux::codecs::h1
