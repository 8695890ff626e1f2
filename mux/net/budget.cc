// Per-connection buffer accounting on top of the worker's BufferPool.
#include "mux/net/budget.h"

#include <algorithm>
#include <cassert>

namespace crossmux::mux::net {

BudgetedBuffer& BudgetedBuffer::operator=(BudgetedBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    buffer_ = std::move(o.buffer_);
    owner_ = o.owner_;
    o.owner_ = nullptr;
  }
  return *this;
}

void BudgetedBuffer::reset() {
  if (owner_ == nullptr) return;
  buffer_.reset();
  --owner_->held_;
  owner_ = nullptr;
}

ConnectionBudget::~ConnectionBudget() {
  assert(held_ == 0 && "a BudgetedBuffer outlived its ConnectionBudget");
}

std::optional<BudgetedBuffer> ConnectionBudget::acquire() {
  if (held_ >= max_) {
    ++refusals_;
    return std::nullopt;
  }
  std::optional<PooledBuffer> b = pool_->acquire();
  if (!b) return std::nullopt;
  ++held_;
  return BudgetedBuffer(std::move(*b), this);
}

size_t ConnectionBudget::available() const {
  const size_t own = max_ - held_;
  const size_t pool = pool_->max_buffers() - pool_->in_use();
  return std::min(own, pool);
}

}  // namespace crossmux::mux::net
