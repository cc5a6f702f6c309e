// Errors as values: a small stand-in for C++23 std::expected (GCC 12 lacks it).
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace sysfence {

// A human-readable failure. `message` is complete and ready to print, including
// the location ("file:line:col: ..." or "file: offset 12: ...") where one exists.
struct Error {
  std::string message;
};

template <typename E>
struct Unexpected {
  E error;
};

inline Unexpected<Error> fail(std::string message) { return Unexpected<Error>{Error{std::move(message)}}; }

// Holds either a T or an E. Accessing the wrong alternative is a programming
// error (asserted), never undefined behaviour hidden behind a default.
template <typename T, typename E = Error>
class Expected {
 public:
  // Implicit on purpose, so that `return value;` and `return fail(...);`
  // build an Expected.
  // NOLINTNEXTLINE(google-explicit-constructor)
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  template <typename U>
  // NOLINTNEXTLINE(google-explicit-constructor): implicit, see above.
  Expected(Unexpected<U> u) : v_(std::in_place_index<1>, E(std::move(u.error))) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

// Expected<void>: success carries nothing.
template <typename E>
class Expected<void, E> {
 public:
  Expected() = default;
  template <typename U>
  // NOLINTNEXTLINE(google-explicit-constructor): implicit, so `return fail(...);` works.
  Expected(Unexpected<U> u) : error_(E(std::move(u.error))), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace sysfence
