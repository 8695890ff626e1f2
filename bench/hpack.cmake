# bench_hpack: the codecs/hpack encoder and decoder beside nghttp2's nghttp2_hd_* on the same inputs.
add_executable(bench_hpack ${CMAKE_CURRENT_LIST_DIR}/hpack_bench.cc)
target_link_libraries(bench_hpack PRIVATE codecs_hpack PkgConfig::NGHTTP2 benchmark::benchmark)
