// Result<T> and Status: errors as values, with std::expected's spelling so we can switch later.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "codecs/base/error.h"

namespace crossmux::codecs {

// Wraps an error so `return unexpected(err);` converts into any Result<T>.
template <class E = Error>
class Unexpected {
 public:
  constexpr explicit Unexpected(E e) : error_(std::move(e)) {}
  constexpr const E& error() const& { return error_; }
  constexpr E&& error() && { return std::move(error_); }

 private:
  E error_;
};

constexpr Unexpected<Error> unexpected(Error e) {
  return Unexpected<Error>(e);
}

// Either a T or an Error. Accessing the wrong alternative is a programming error (asserts).
template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  constexpr Result() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  constexpr Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}       // NOLINT
  constexpr Result(Unexpected<Error> e) : v_(std::in_place_index<1>, e.error()) {}  // NOLINT

  constexpr bool has_value() const { return v_.index() == 0; }
  constexpr explicit operator bool() const { return has_value(); }

  constexpr T& value() & {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  constexpr const T& value() const& {
    assert(has_value());
    return *std::get_if<0>(&v_);
  }
  constexpr T&& value() && {
    assert(has_value());
    return std::move(*std::get_if<0>(&v_));
  }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

  constexpr const Error& error() const {
    assert(!has_value());
    return *std::get_if<1>(&v_);
  }

  template <class U>
  constexpr T value_or(U&& other) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(other));
  }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error (std::expected<void, Error>).
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  constexpr Result() = default;
  constexpr Result(Unexpected<Error> e) : ok_(false), error_(e.error()) {}  // NOLINT

  constexpr bool has_value() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }
  constexpr void value() const { assert(ok_); }
  constexpr const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  bool ok_ = true;
  Error error_{};
};

using Status = Result<void>;

inline constexpr Status ok() {
  return Status();
}

}  // namespace crossmux::codecs
