// Shared by the config tests: parse a config text that must be accepted, or must be refused.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "config.hpp"

namespace onesoup::app::test {

// The config parsed from `text` (a test failure if it is refused).
inline Config parse_ok(const std::string& text) {
    auto config = parse_config(text, "test.toml", "/etc/onesoup");
    EXPECT_TRUE(config.ok()) << (config.ok() ? "" : config.error().message);
    return config.ok() ? std::move(*config) : Config{};
}

// The error message for a config that must be refused.
inline std::string parse_error(const std::string& text) {
    auto config = parse_config(text, "test.toml", "/etc/onesoup");
    EXPECT_FALSE(config.ok()) << "accepted:\n" << text;
    return config.ok() ? std::string() : config.error().message;
}

}  // namespace onesoup::app::test
