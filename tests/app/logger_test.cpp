// The log line format: time, level, short session id, and no way to forge a second line.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "logger.hpp"

using onesoup::app::Logger;
using onesoup::app::LogLevel;

TEST(Logger, FormatsTimeLevelAndShortSession) {
    // 2026-11-26T15:55:12.045Z
    const std::int64_t ms = 1795708512045;
    EXPECT_EQ(Logger::format(ms, LogLevel::info, "", "onesoup listening"),
              "2026-11-26T15:55:12.045Z info   onesoup listening");
    EXPECT_EQ(Logger::format(ms, LogLevel::warning, "0123456789abcdef0123456789abcdef", "x"),
              "2026-11-26T15:55:12.045Z warning [session 01234567] x");
}

TEST(Logger, ControlCharactersCannotStartANewLine) {
    EXPECT_EQ(Logger::format(0, LogLevel::error, "", "a\nb\rc\x1b"),
              "1970-01-01T00:00:00.000Z error  a?b?c?");
}

TEST(Logger, LevelFilters) {
    std::FILE* sink = std::tmpfile();
    ASSERT_NE(sink, nullptr);
    const Logger log(LogLevel::warning, sink);
    EXPECT_FALSE(log.enabled(LogLevel::info));
    EXPECT_TRUE(log.enabled(LogLevel::error));
    log.info("hidden");
    log.warning("shown", "abcdef0123456789");
    std::rewind(sink);
    char buffer[256] = {};
    const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, sink);
    std::fclose(sink);
    const std::string text(buffer, n);
    EXPECT_EQ(text.find("hidden"), std::string::npos);
    EXPECT_NE(text.find("warning [session abcdef01] shown\n"), std::string::npos) << text;
}
