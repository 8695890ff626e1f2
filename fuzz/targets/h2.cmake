# HTTP/2 targets: frame identity, the connection in both roles, and the diff against nghttp2.
crossmux_fuzz_target(h2_frame SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/h2/h2_frame_fuzzer.cc LIBS codecs_h2)
crossmux_fuzz_target(h2_server SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/h2/h2_connection_fuzzer.cc
                     LIBS codecs_h2)
crossmux_fuzz_target(h2_client SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/h2/h2_connection_fuzzer.cc
                     LIBS codecs_h2)
foreach(_role server client)
  string(SUBSTRING ${_role} 0 1 _first)
  string(TOUPPER ${_first} _first)
  string(SUBSTRING ${_role} 1 -1 _tail)
  foreach(_t h2_${_role}_fuzzer fuzz_replay_h2_${_role})
    if(TARGET ${_t})
      target_compile_definitions(${_t} PRIVATE CROSSMUX_H2_ROLE=${_first}${_tail})
    endif()
  endforeach()
endforeach()
crossmux_fuzz_target(h2_diff SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/h2/h2_diff_fuzzer.cc
                     LIBS codecs_h2 codecs_reference)
