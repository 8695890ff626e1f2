// Delta debugging (Zeller's ddmin) over a case's units (frames, lines), then over the bytes of
// each HTTP/1.1 line, keeping every reduction for which the finding still reproduces.
#pragma once

#include <cstddef>
#include <functional>

#include "fuzz/net/net_case.h"

namespace crossmux::fuzz::net {

// The smallest case found for which `reproduces` holds, trying at most `budget` candidates
// (each try runs the case against the target). `c` itself is assumed to reproduce. `tries`
// (optional) receives the number of candidates run.
NetCase minimize(const NetCase& c, const std::function<bool(const NetCase&)>& reproduces,
                 size_t budget, size_t* tries = nullptr);

}  // namespace crossmux::fuzz::net
