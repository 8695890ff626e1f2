# The whole proxy in memory: client and backend MemoryStreams scripted by the input, real
# mux/proxy code in between, llhttp and nghttp2 reading what reaches the backend.
if(TARGET mux_proxy)
  crossmux_fuzz_target(mux_session SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/mux/mux_session_fuzzer.cc
                       LIBS mux_proxy codecs_reference codecs_hpack)
endif()
