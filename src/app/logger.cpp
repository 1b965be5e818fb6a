#include "logger.hpp"

#include <chrono>
#include <ctime>

namespace onesoup::app {

std::string Logger::format(std::int64_t now_unix_ms, LogLevel level, std::string_view session,
                           std::string_view text) {
    const std::time_t seconds = static_cast<std::time_t>(now_unix_ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(now_unix_ms % 1000));
    std::string line = stamp;
    line += ' ';
    const std::string_view name = to_string(level);
    line += name;
    line.append(name.size() < 7 ? 7 - name.size() : 1, ' ');
    if (!session.empty()) {
        line += "[session ";
        line += session.substr(0, 8);
        line += "] ";
    }
    // One event, one line: a newline or control character inside the text (from a phone or a
    // server) must not forge a second line.
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        line += (u < 0x20 || u == 0x7f) ? '?' : c;
    }
    return line;
}

void Logger::log(LogLevel level, std::string_view session, std::string_view text) const {
    if (!enabled(level)) return;
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::string line = format(now, level, session, text);
    line += '\n';
    // One write per line, so lines from the daemon and its children never interleave.
    std::fwrite(line.data(), 1, line.size(), sink_);
    std::fflush(sink_);
}

}  // namespace onesoup::app
