// Seeds for the working corpus: a few built-in cases, and the files of --corpus directories:
// our replayable .case files, HTTP/2 generator inputs in fuzz/common's structured format (the
// corpus of translate_h2_h1 is exactly that), raw HTTP/2 wire bytes, and raw HTTP/1.1 bytes
// (libFuzzer corpora whose inputs carry a request somewhere: it is cut out at its method).
#pragma once

#include <string>
#include <vector>

#include "fuzz/net/mutator.h"

namespace crossmux::fuzz::net {

// A plain GET, a POST with a body, a request with trailers (HTTP/2) or chunked (HTTP/1.1), and
// two pipelined requests (HTTP/1.1).
std::vector<CorpusEntry> builtin_seeds(Proto proto, const std::string& authority);

// Up to `max_files` files from `dirs` (spread evenly over each directory's sorted listing).
// `notes` receives one line per directory: how many seeds it gave, or why none.
std::vector<CorpusEntry> load_seeds(Proto proto, const std::vector<std::string>& dirs,
                                    const Mutator& builder, size_t max_files,
                                    std::vector<std::string>& notes);

}  // namespace crossmux::fuzz::net
