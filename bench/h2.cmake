# bench_h2: the codecs/h2 frame layer, and a server connection beside nghttp2's server session.
if(TARGET codecs_hpack)
  add_executable(bench_h2 ${CMAKE_CURRENT_LIST_DIR}/h2_bench.cc)
  target_link_libraries(bench_h2 PRIVATE codecs_h2 PkgConfig::NGHTTP2 benchmark::benchmark)
endif()
