// The object that compiles the tests' shared precompiled header (CMakeLists.txt,
// crossmux_test_pch); it has no code of its own.
