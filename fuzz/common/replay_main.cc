// Replays corpus and regression files through a fuzz target without libFuzzer (a ctest).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace fs = std::filesystem;

static bool replay_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  // A copy of exactly `size` bytes so ASan catches reads past the end, as under libFuzzer.
  auto* copy = new uint8_t[bytes.size() ? bytes.size() : 1];
  if (!bytes.empty()) std::copy(bytes.begin(), bytes.end(), copy);
  LLVMFuzzerTestOneInput(copy, bytes.size());
  delete[] copy;
  return true;
}

// Usage: replay [--min N] PATH...   PATH is a file or a directory (walked recursively).
// Fails when a path is unreadable or fewer than N inputs ran (default 1), so an empty corpus cannot
// pass silently.
int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t min_inputs = 1, ran = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--min" && i + 1 < argc) {
      min_inputs = std::stoul(argv[++i]);
      continue;
    }
    fs::path p(arg);
    if (fs::is_directory(p)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) ran += replay_file(f) ? 1 : 0;
    } else if (fs::is_regular_file(p)) {
      ran += replay_file(p) ? 1 : 0;
    } else if (!fs::exists(p)) {
      continue;  // a target may have no regressions yet
    } else {
      ok = false;
    }
  }
  std::printf("replay: %zu inputs\n", ran);
  if (ran < min_inputs) {
    std::fprintf(stderr, "replay: expected at least %zu inputs\n", min_inputs);
    return 1;
  }
  return ok ? 0 : 1;
}
