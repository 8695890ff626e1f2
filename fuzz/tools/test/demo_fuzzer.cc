// A fuzz target with two known bugs, for the triage and report tests: an input starting "!H"
// reads past a heap block, one starting "!A" fails an oracle (prints its verdict and aborts);
// every other input runs clean; built with -DDEMO_CLEAN, every input runs clean.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace demo {

__attribute__((noinline)) int read_past(size_t n) {
  auto* block = static_cast<volatile char*>(std::malloc(4));
  int v = block[n];  // n >= 4 for every caller: a heap-buffer-overflow
  std::free(const_cast<char*>(block));
  return v;
}

__attribute__((noinline)) void verdict() {
  std::fprintf(stderr, "demo: oracle violated: two framings\n");
  std::abort();
}

}  // namespace demo

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || data[0] != '!') return 0;
#ifdef DEMO_CLEAN
  if (data[1] == 'H' || data[1] == 'A') return 0;
#endif
  if (data[1] == 'H') return demo::read_past(size + 2);
  if (data[1] == 'A') demo::verdict();
  return 0;
}
