#include "tool_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace onesoup::tools {
namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

Result<std::string> read_all(std::FILE* f, const std::string& shown_name) {
    std::string data;
    char buffer[64 * 1024];
    for (;;) {
        const std::size_t n = std::fread(buffer, 1, sizeof buffer, f);
        data.append(buffer, n);
        if (n < sizeof buffer) break;
    }
    if (std::ferror(f))
        return make_error("cannot read " + shown_name + ": " + std::strerror(errno));
    return data;
}

}  // namespace

Result<std::string> read_input(const std::string& path) {
    if (path == "-") return read_all(stdin, "standard input");
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
    if (!f) return make_error("cannot open " + path + ": " + std::strerror(errno));
    return read_all(f.get(), path);
}

bool write_output(std::string_view bytes) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size())
        return false;
    return std::fflush(stdout) == 0;
}

void report_error(const Error& error) {
    std::string line = "imps: ";
    // Decoder messages that already say where ("line 3, column 7 (byte 58): ...") stay as they
    // are; others get the byte offset in front.
    if (error.offset != Error::npos && error.message.rfind("line ", 0) != 0)
        line += "byte " + std::to_string(error.offset) + ": ";
    for (char c : error.message) line += (c == '\n' || c == '\r') ? ' ' : c;  // one line only
    line += '\n';
    std::fputs(line.c_str(), stderr);
}

}  // namespace onesoup::tools
