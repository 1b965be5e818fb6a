// Result<T>: a value or an Error, for conditions that are expected (bad input, refused login,
// a server that is down). Bugs are asserts, not Results. C++20 has no std::expected, so this is
// the small subset onesoup needs.
#pragma once

#include <cassert>
#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace onesoup {

// What went wrong, in words a user can act on, and where in the input (byte offset) if known.
struct Error {
    std::string message;
    std::size_t offset = npos;

    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    // "message (at byte N)" or just "message".
    [[nodiscard]] std::string describe() const;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    [[nodiscard]] bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { assert(ok()); return std::get<0>(v_); }
    const T& value() const& { assert(ok()); return std::get<0>(v_); }
    T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    [[nodiscard]] const Error& error() const { assert(!ok()); return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    [[nodiscard]] bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    [[nodiscard]] const Error& error() const { assert(!ok_); return error_; }

private:
    Error error_;
    bool ok_ = true;
};

inline Error make_error(std::string message, std::size_t offset = Error::npos) {
    return Error{std::move(message), offset};
}

}  // namespace onesoup
