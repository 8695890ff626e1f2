# bench_h1: the codecs/h1 decoder beside llhttp (strict, all lenient flags off) on the same inputs.
add_executable(bench_h1 ${CMAKE_CURRENT_LIST_DIR}/h1_bench.cc)
target_link_libraries(bench_h1 PRIVATE codecs_h1 llhttp_oracle benchmark::benchmark)
