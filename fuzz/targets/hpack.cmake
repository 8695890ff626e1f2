crossmux_fuzz_target(hpack_decode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/hpack_decode_fuzzer.cc LIBS codecs_hpack)
crossmux_fuzz_target(hpack_roundtrip SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/hpack_roundtrip_fuzzer.cc LIBS codecs_hpack)
crossmux_fuzz_target(hpack_diff SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/hpack_diff_fuzzer.cc
                     LIBS codecs_hpack PkgConfig::NGHTTP2)
