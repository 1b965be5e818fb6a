// PhoneScript: the steps of an `imps phone` script (the language is specified in
// docs/phone.md; the integration tests rely on it). Parsing only: no I/O, nothing sent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onesoup/core/result.hpp"

namespace onesoup::tools {

// One step: `verb positional... key=value...`.
struct Step {
    std::size_t number = 0;  // 1-based position among the steps
    std::size_t line = 0;    // 1-based line of the script (or position in --steps)
    std::string verb;
    std::vector<std::string> args;                           // positional words, in order
    std::vector<std::pair<std::string, std::string>> named;  // key=value words, in order
    std::string source;                                      // the step as written

    // The value of named argument `key`, if given.
    [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
    // The positional words from `first` on, joined with single spaces ("TEXT...").
    [[nodiscard]] std::string text_from(std::size_t first) const;
};

// A parsed script.
struct PhoneScript {
    std::vector<Step> steps;
};

// Parses a script: one step per line, or `;`-separated steps when `semicolons` is true (the
// --steps option). `#` starts a comment; blank steps are ignored. Every verb, its number of
// positional words, its named arguments and their values (numbers, T/F, presence states) are
// checked; an error names the line ("line 3: send: needs a user id and a text").
[[nodiscard]] Result<PhoneScript> parse_phone_script(std::string_view text, bool semicolons);

// The user id as a phone sends it: "bob@b.test" -> "wv:bob@b.test"; "wv:bob" unchanged.
[[nodiscard]] std::string phone_user_id(std::string_view id);

// Parses a non-negative decimal number of seconds ("1", "0.25"); nullopt if it is not one.
[[nodiscard]] std::optional<double> parse_seconds(std::string_view text);

// Parses a whole decimal integer; nullopt if it is not one or does not fit.
[[nodiscard]] std::optional<long long> parse_integer(std::string_view text);

// Parses a boolean word: T, F, true, false, yes, no, 1, 0 (case-insensitive).
[[nodiscard]] std::optional<bool> parse_flag(std::string_view text);

}  // namespace onesoup::tools
