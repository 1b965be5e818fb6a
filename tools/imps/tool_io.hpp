// Input, output and error reporting shared by the `imps` verbs.
#pragma once

#include <string>
#include <string_view>

#include "onesoup/core/result.hpp"

namespace onesoup::tools {

// Exit codes of the `imps` tool.
inline constexpr int exit_ok = 0;
inline constexpr int exit_bad_input = 1;  // the input (or output) could not be processed
inline constexpr int exit_usage = 2;      // the command line was wrong

// Reads a whole file as bytes; "-" reads standard input.
[[nodiscard]] Result<std::string> read_input(const std::string& path);

// Writes bytes to standard output unchanged; false if that failed (e.g. a closed pipe).
[[nodiscard]] bool write_output(std::string_view bytes);

// Prints one line "imps: <where>: <what>" on standard error.
void report_error(const Error& error);

}  // namespace onesoup::tools
