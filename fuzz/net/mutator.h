// Where fuzz cases come from: the structured generators (fuzz/common's PeerWriter through
// build_client_wire for HTTP/2, h1_grammar for HTTP/1.1) driven by random generator input, and
// mutations of corpus cases, either of their generator input (the case is regenerated, so HPACK
// state and frame lengths stay coherent) or of their units (frames, lines).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/net/net_case.h"

namespace crossmux::fuzz::net {

// xorshift64*: deterministic per --seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint64_t next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545f4914f6cdd1dull;
  }
  // Uniform in [0, n) (0 when n is 0).
  size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
  bool chance(unsigned percent) { return below(100) < percent; }
  std::string bytes(size_t n);

 private:
  uint64_t s_;
};

// A case in the working corpus. `gen` is the generator input it was built from, when it was.
struct CorpusEntry {
  NetCase c;
  std::string gen;
  std::string origin;  // "generated", "seed:<file>", "mutant" (for reports)
};

class Mutator {
 public:
  // `authority`: the Host / :authority the target expects (HTTP/1.1 requests carry it).
  Mutator(Proto proto, uint64_t seed, std::string authority);

  // A case from fresh random generator input.
  CorpusEntry generate();
  // The case that generator input builds.
  NetCase build(const std::string& gen) const;
  // One to four stacked mutations of `base`; `corpus` supplies splice partners.
  CorpusEntry mutate(const CorpusEntry& base, const std::vector<CorpusEntry>& corpus);

  Rng& rng() { return rng_; }

 private:
  void mutate_gen(std::string& gen);
  void mutate_units(NetCase& c, const std::vector<CorpusEntry>& corpus);
  void h2_unit_op(NetCase& c);
  void h1_unit_op(NetCase& c);
  std::string h2_new_frame(const NetCase& c);

  Proto proto_;
  Rng rng_;
  std::string authority_;
};

}  // namespace crossmux::fuzz::net
