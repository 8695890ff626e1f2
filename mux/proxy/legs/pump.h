// pump(): the one writer that serves all four protocol pairings, draining an exchange half into
// the codec that writes it.
#pragma once

#include <cstddef>

#include "codecs/base/result.h"
#include "mux/proxy/exchange/exchange.h"
#include "mux/proxy/legs/buffer_cache.h"
#include "mux/proxy/legs/codec.h"

namespace crossmux::mux::proxy {

// Writes what `half` holds into `writer` as far as its capacity allows: interim heads, the head
// (client codecs assign `stream` here), then, when `body` is true, body, trailers and end (a
// tunnel request's bytes wait for the backend's consent: lifecycle.h request_body_flows).
// Returns the body bytes written for the first time (a replay writes again what was already
// credited), which the caller credits back to the reader. Errors: the writer's (translation,
// encoder, H2 stream errors). A body buffer handed to the writer whole is replaced in `half` by
// one from `spares` (the worker's cache), so the next bytes read need no allocation.
codecs::Result<size_t> pump(Half& half, Codec& writer, codecs::StreamId& stream, bool body = true,
                            BufferCache* spares = nullptr);

}  // namespace crossmux::mux::proxy
