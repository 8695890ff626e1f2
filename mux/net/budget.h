// Memory budget: a per-worker buffer pool plus per-connection caps on how many buffers one holds.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "codecs/base/buffer_pool.h"

namespace crossmux::mux::net {

using codecs::BufferPool;
using codecs::PooledBuffer;

struct BudgetConfig {
  size_t buffer_size = BufferPool::kDefaultBufferSize;  // one H2 frame (16 KiB) + its header
  size_t max_buffers = 1000;                            // the whole worker's memory, in buffers
  size_t max_buffers_per_connection = 8;                // what one connection may pin at most
};

class ConnectionBudget;

// A pooled buffer charged to one connection; returns to the pool and uncharges on destruction.
class BudgetedBuffer {
 public:
  BudgetedBuffer() = default;
  BudgetedBuffer(BudgetedBuffer&& o) noexcept { *this = std::move(o); }
  BudgetedBuffer& operator=(BudgetedBuffer&& o) noexcept;
  BudgetedBuffer(const BudgetedBuffer&) = delete;
  BudgetedBuffer& operator=(const BudgetedBuffer&) = delete;
  ~BudgetedBuffer() { reset(); }

  bool valid() const { return owner_ != nullptr; }
  PooledBuffer& operator*() { return buffer_; }
  PooledBuffer* operator->() { return &buffer_; }
  const PooledBuffer* operator->() const { return &buffer_; }
  // Gives the buffer back now.
  void reset();

 private:
  friend class ConnectionBudget;
  BudgetedBuffer(PooledBuffer b, ConnectionBudget* owner) : buffer_(std::move(b)), owner_(owner) {}
  PooledBuffer buffer_;
  ConnectionBudget* owner_ = nullptr;
};

// Per-connection accounting. acquire() fails (nullopt) when this connection already holds its
// cap, or when the worker's pool is exhausted; the caller then stops reading that connection
// (backpressure) rather than allocating around the budget. Lent buffers must not outlive it.
// Not movable: buffers point back at it.
class ConnectionBudget {
 public:
  ConnectionBudget(BufferPool& pool, size_t max_buffers) : pool_(&pool), max_(max_buffers) {}
  ~ConnectionBudget();
  ConnectionBudget(const ConnectionBudget&) = delete;
  ConnectionBudget& operator=(const ConnectionBudget&) = delete;

  std::optional<BudgetedBuffer> acquire();
  size_t held() const { return held_; }
  size_t limit() const { return max_; }
  // Buffers this connection could still get: min(its own headroom, the pool's headroom).
  size_t available() const;
  // Bytes it could still buffer; an H2 session advertises receive windows no larger than this.
  size_t available_bytes() const { return available() * pool_->buffer_size(); }
  // Times acquire() was refused by the per-connection cap (not the pool).
  size_t refusals() const { return refusals_; }

 private:
  friend class BudgetedBuffer;
  BufferPool* pool_;
  size_t max_;
  size_t held_ = 0;
  size_t refusals_ = 0;
};

// One per worker: owns the pool that every connection on the worker draws from.
class WorkerBudget {
 public:
  explicit WorkerBudget(const BudgetConfig& config = {})
      : config_(config), pool_(config.buffer_size, config.max_buffers) {}

  BufferPool& pool() { return pool_; }
  const BudgetConfig& config() const { return config_; }
  // Buffers not lent out right now.
  size_t available() const { return pool_.max_buffers() - pool_.in_use(); }
  // Whether a new connection needing `buffers_needed` buffers fits now (admission check).
  bool can_admit(size_t buffers_needed = 1) const { return available() >= buffers_needed; }
  // A budget for a new connection with the configured per-connection cap. Heap-allocated
  // because it must not move while its buffers exist.
  std::unique_ptr<ConnectionBudget> connection_budget() {
    return std::make_unique<ConnectionBudget>(pool_, config_.max_buffers_per_connection);
  }

 private:
  BudgetConfig config_;
  BufferPool pool_;
};

}  // namespace crossmux::mux::net
