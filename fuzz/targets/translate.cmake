# Translation oracles: H2 -> IR -> H1 re-parsed by llhttp, H1 -> IR -> H2 re-parsed by nghttp2.
crossmux_fuzz_target(translate_h2_h1
                     SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/translate/translate_h2_h1_fuzzer.cc
                     LIBS codecs_h2 codecs_h1 codecs_reference)
crossmux_fuzz_target(translate_h1_h2
                     SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/translate/translate_h1_h2_fuzzer.cc
                     LIBS codecs_h2 codecs_h1 codecs_reference)
