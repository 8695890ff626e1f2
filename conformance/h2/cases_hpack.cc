// hpack/*: decoding errors are connection errors of type COMPRESSION_ERROR (RFC 7541, RFC 9113
// §4.3).
#include "conformance/h2/suite.h"
#include "conformance/h2/verdicts.h"

namespace crossmux::conformance::h2 {

namespace {

// A new-name literal "x-test" whose value is the given Huffman-coded bytes (H bit set).
std::string huffman_value(std::string_view coded) {
  std::string out = std::string(1, '\0') + hpack_string("x-test", false);
  out += hpack_int(0x80, 7, coded.size());
  out += coded;
  return out;
}

void bad_block(Section& s, const Target& t, const char* title,
               std::function<std::string(Probe&)> make) {
  s.add(title, "A decoding error MUST be treated as a connection error of type COMPRESSION_ERROR",
        [t, make] {
          return with_connection(t, [make](Probe& p) {
            p.send_headers(1, make(p), kEndStream | kEndHeaders);
            return expect_conn_error(p, {kCompressionError});
          });
        });
}

}  // namespace

Section build_hpack(const Target& t) {
  Section root{"hpack", "", "HPACK: Header Compression for HTTP/2", {}, {}};
  auto& s2 = root.child("2", "Compression Process Overview");
  auto& s23 = s2.child("2.3", "Indexing Tables");
  auto& s233 = s23.child("2.3.3", "Index Address Space");
  bad_block(s233, t, "Sends a indexed header field representation with invalid index",
            [](Probe& p) { return p.request_block() + hpack_int(0x80, 7, 70); });
  bad_block(
      s233, t, "Sends a literal header field representation with invalid index",
      [](Probe& p) { return p.request_block() + hpack_int(0x40, 6, 70) + std::string(1, '\0'); });
  auto& s4 = root.child("4", "Dynamic Table Management");
  bad_block(s4.child("4.2", "Maximum Table Size"), t,
            "Sends a dynamic table size update at the end of header block",
            [](Probe& p) { return p.request_block() + hpack_int(0x20, 5, 1); });
  auto& s5 = root.child("5", "Primitive Type Representations");
  auto& s52 = s5.child("5.2", "String Literal Representation");
  // "test" in Huffman is 0x49 0x50 0x9f (RFC 7541 Appendix B: t=01001, e=00101, s=01000,
  // t=01001, then 4 bits of EOS padding 1111).
  bad_block(s52, t,
            "Sends a Huffman-encoded string literal representation with padding longer than 7 bits",
            [](Probe& p) {
              return p.request_block() + huffman_value(std::string("\x49\x50\x9f\xff", 4));
            });
  bad_block(
      s52, t, "Sends a Huffman-encoded string literal representation padded by zero",
      [](Probe& p) { return p.request_block() + huffman_value(std::string("\x49\x50\x90", 3)); });
  // "te" (01001 00101) followed by the 30-bit EOS code (all ones) and 1 bit of padding.
  bad_block(s52, t,
            "Sends a Huffman-encoded string literal representation containing the EOS symbol",
            [](Probe& p) {
              return p.request_block() + huffman_value(std::string("\x49\x7f\xff\xff\xff", 5));
            });
  auto& s6 = root.child("6", "Binary Format");
  bad_block(s6.child("6.1", "Indexed Header Field Representation"), t,
            "Sends a indexed header field representation with index 0",
            [](Probe& p) { return p.request_block() + std::string(1, '\x80'); });
  bad_block(s6.child("6.3", "Dynamic Table Size Update"), t,
            "Sends a dynamic table size update larger than the value of SETTINGS_HEADER_TABLE_SIZE",
            [](Probe& p) {
              return hpack_int(0x20, 5, p.server_header_table_size() + 1) + p.request_block();
            });
  return root;
}

}  // namespace crossmux::conformance::h2
