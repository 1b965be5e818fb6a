// The daemon's log: one line per event on stderr, with the time, the level and the session
// where one is concerned. Never a password or a message body at info level (architecture rule
// 7); a session is named by the first 8 hex digits of its id, since the whole id lets anyone
// who reads the log act as that phone.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "config.hpp"

namespace onesoup::app {

class Logger {
  public:
    // Lines at `level` and above go to `sink`.
    explicit Logger(LogLevel level, std::FILE* sink = stderr) : level_(level), sink_(sink) {}

    [[nodiscard]] bool enabled(LogLevel level) const { return level >= level_; }

    // "2026-11-26T15:55:12.123Z info  [session 1a2b3c4d] text"; `session` may be empty.
    void log(LogLevel level, std::string_view session, std::string_view text) const;

    void debug(std::string_view text, std::string_view session = {}) const {
        log(LogLevel::debug, session, text);
    }
    void info(std::string_view text, std::string_view session = {}) const {
        log(LogLevel::info, session, text);
    }
    void warning(std::string_view text, std::string_view session = {}) const {
        log(LogLevel::warning, session, text);
    }
    void error(std::string_view text, std::string_view session = {}) const {
        log(LogLevel::error, session, text);
    }

    // The line log() would write at `now_unix_ms`, without the newline (for tests).
    [[nodiscard]] static std::string format(std::int64_t now_unix_ms, LogLevel level,
                                            std::string_view session, std::string_view text);

  private:
    LogLevel level_;
    std::FILE* sink_;
};

}  // namespace onesoup::app
